"""The support plan: outcomes, each with a time frame and a review date, and progress on them."""

from datetime import date

from sqlalchemy.orm import Session

from marketplace.budgets.models import Budget, OutcomeStatus, SupportOutcome, TimeFrame
from marketplace.budgets.operations.budgets import LATEST_PERIOD
from marketplace.core import audit
from marketplace.core.clock import utcnow
from marketplace.core.errors import Conflict, ValidationFailed


def add_outcome(
    session: Session, budget: Budget, *, actor, description: str, time_frame: str, review_date: date
) -> SupportOutcome:
    """Add an outcome to the budget's support plan. It needs a description, a time frame and a
    review date no earlier than the budget's start; a closed budget's plan is final."""
    errors = _check_outcome(description, time_frame, review_date, budget)
    if errors:
        raise ValidationFailed("Check the outcome", fields=errors)
    if budget.is_closed:
        raise Conflict("This budget is closed; its support plan cannot change", code="budget_closed")
    outcome = SupportOutcome(
        budget=budget,
        description=description.strip(),
        time_frame=TimeFrame(time_frame),
        review_date=review_date,
        created_by_id=getattr(actor, "id", None),
    )
    session.add(outcome)
    session.flush()
    audit.record(session, actor, "support_outcome.added", outcome, budget=budget.id)
    return outcome


def _check_outcome(description, time_frame, review_date, budget) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not isinstance(description, str) or not description.strip():
        errors["description"] = ["Describe the outcome"]
    elif len(description) > 2000:
        errors["description"] = ["Keep the outcome to 2,000 characters"]
    if time_frame not in {t.value for t in TimeFrame}:
        errors["time_frame"] = ["Choose short, medium or long"]
    if not isinstance(review_date, date):
        errors["review_date"] = ["Enter a review date"]
    elif review_date < budget.period_start:
        errors["review_date"] = ["The review date must be on or after the budget starts"]
    elif review_date > LATEST_PERIOD:
        errors["review_date"] = [f"Enter a review date up to {LATEST_PERIOD.strftime('%-d %B %Y')}"]
    return errors


def update_outcome(
    session: Session,
    outcome: SupportOutcome,
    *,
    actor,
    status: str | None = None,
    review_date: date | None = None,
) -> SupportOutcome:
    """Record progress on an outcome (its status) or move its review date; each change is audited."""
    errors: dict[str, list[str]] = {}
    if status is not None and status not in {s.value for s in OutcomeStatus}:
        errors["status"] = ["Choose a status from the list"]
    if review_date is not None and review_date < outcome.budget.period_start:
        errors["review_date"] = ["The review date must be on or after the budget starts"]
    elif review_date is not None and review_date > LATEST_PERIOD:
        errors["review_date"] = [f"Enter a review date up to {LATEST_PERIOD.strftime('%-d %B %Y')}"]
    if status is None and review_date is None:
        errors["status"] = ["Change the status or the review date"]
    if errors:
        raise ValidationFailed("Check the outcome", fields=errors)
    if outcome.budget.is_closed:
        raise Conflict("This budget is closed; its support plan cannot change", code="budget_closed")
    old = {"status": outcome.status.value, "review_date": outcome.review_date.isoformat()}
    if status is not None:
        outcome.status = OutcomeStatus(status)
    if review_date is not None:
        outcome.review_date = review_date
    outcome.updated_at = utcnow()
    audit.record(
        session,
        actor,
        "support_outcome.updated",
        outcome,
        old=old,
        new={"status": outcome.status.value, "review_date": outcome.review_date.isoformat()},
    )
    session.flush()
    return outcome
