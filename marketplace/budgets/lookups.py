"""Finding budget objects by id for other code (nothing here writes), like `catalog/lookups.py`.

Bookings name the support-plan outcome a booking serves; they look it up here rather than in the
budgets' operations.
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.budgets.models import SupportOutcome


def outcome_for_budget(session: Session, budget_id: int, outcome_id: int) -> SupportOutcome | None:
    """The outcome with that id in that budget's support plan (bookings name the outcome they serve)."""
    return session.scalar(
        select(SupportOutcome).where(SupportOutcome.id == outcome_id, SupportOutcome.budget_id == budget_id)
    )
