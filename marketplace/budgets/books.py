"""A personal budget's ledger accounts, opened on first use.

Per funding stream: `available` (protected, never below zero counting holds), the stream's
spendable money. Per funder organisation: `allocations`, where its allocations come from (it
goes negative by what the funder has committed, so the ledger always sums to zero).
Bookings and ISFs pay out of a stream's account; they look it up here, not in the operations.
"""

from sqlalchemy.orm import Session

from marketplace import ledger
from marketplace.accounts.models import Organisation
from marketplace.budgets.models import FundingStream
from marketplace.ledger.models import Account

STREAM_OWNER = "funding_stream"
FUNDER_OWNER = "organisation"


def stream_account(session: Session, stream: FundingStream) -> Account:
    """The stream's spendable money: protected, it never goes below zero counting holds."""
    return ledger.open_account(
        session,
        STREAM_OWNER,
        stream.id,
        "available",
        non_negative=True,
        name=f"{stream.budget.child.name}'s {stream.kind.value.replace('_', ' ')} budget",
    )


def funder_allocations_account(session: Session, funder: Organisation) -> Account:
    """Where a funder's allocations come from (it goes negative by what the funder has committed)."""
    return ledger.open_account(
        session, FUNDER_OWNER, funder.id, "allocations", name=f"{funder.name} allocations"
    )


def find_stream_account(session: Session, stream: FundingStream) -> Account | None:
    """The stream's account without creating it (None before anything was allocated)."""
    return ledger.find_account(session, STREAM_OWNER, stream.id, "available")
