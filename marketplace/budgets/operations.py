"""Creating budgets and moving their allocations into the ledger. Operations flush; callers commit."""

from datetime import date

from sqlalchemy.orm import Session

from marketplace.accounts.models import Child, Organisation, OrgKind
from marketplace.budgets.models import Budget, BudgetStatus, FundingStream, ManagementOption, StreamKind
from marketplace.core import audit
from marketplace.core.clock import financial_year
from marketplace.core.errors import ValidationFailed
from marketplace.ledger import operations as ledger
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


def create_budget(
    session: Session,
    *,
    child: Child,
    streams: list[dict],
    actor=None,
    period_start: date | None = None,
    period_end: date | None = None,
    status: BudgetStatus | str = BudgetStatus.ACTIVE,
) -> Budget:
    """Create a budget with its streams and allocate each stream's amount through the ledger.

    `streams`: dicts with kind, funder (a commissioner Organisation), amount (pence), and optional
    po_number, payment_terms_days, categories, management. Kinds are unique within a budget.
    """
    if period_start is None:
        period_start, default_end = financial_year(date.today())
        period_end = period_end or default_end
    errors = _check_streams(streams)
    if period_end is None or period_end < period_start:
        errors["period_end"] = ["The period must end on or after it starts"]
    if errors:
        raise ValidationFailed("Check the budget's funding streams", fields=errors)
    budget = Budget(
        child=child,
        family_id=child.family_id,
        period_start=period_start,
        period_end=period_end,
        status=BudgetStatus(status),
    )
    session.add(budget)
    for position, spec in enumerate(streams):
        budget.streams.append(
            FundingStream(
                position=position,
                kind=StreamKind(spec["kind"]),
                funder=spec["funder"],
                amount=spec["amount"],
                po_number=spec.get("po_number", ""),
                payment_terms_days=spec.get("payment_terms_days", 30),
                categories=list(spec.get("categories", [])),
                management=ManagementOption(spec.get("management", ManagementOption.MANAGED)),
            )
        )
    session.flush()
    for stream in budget.streams:
        if stream.amount:
            ledger.transfer(
                session,
                funder_allocations_account(session, stream.funder),
                stream_account(session, stream),
                stream.amount,
                "allocation",
                reference=("funding_stream", stream.id),
                idempotency_key=f"funding_stream:{stream.id}:allocation",
                effective_date=period_start,
            )
    audit.record(session, actor, "budget.created", budget, allocated=budget.allocated)
    return budget


def _check_streams(streams: list[dict]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not streams:
        errors["streams"] = ["A budget needs at least one funding stream"]
    seen = set()
    for i, spec in enumerate(streams):
        kind = spec.get("kind")
        if kind not in {k.value for k in StreamKind}:
            errors[f"streams.{i}.kind"] = ["Choose social_care, education, health or charity"]
        elif kind in seen:
            errors[f"streams.{i}.kind"] = ["Each kind of stream appears once in a budget"]
        seen.add(kind)
        funder = spec.get("funder")
        if not isinstance(funder, Organisation) or funder.kind is not OrgKind.COMMISSIONER:
            errors[f"streams.{i}.funder"] = ["The funder must be a commissioning organisation"]
        amount = spec.get("amount")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
            errors[f"streams.{i}.amount"] = ["Enter the allocation as a whole number of pence"]
    return errors
