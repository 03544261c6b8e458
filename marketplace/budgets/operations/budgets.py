"""Creating a budget with its funding streams, and moving it through its statuses.

The stream checks here (`CATEGORIES`, `MAX_TERMS_DAYS`, `is_pence`, `LATEST_PERIOD`) are shared
with the amendment, support-plan and RAS operations."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace import ledger
from marketplace.accounts.models import Child, Organisation, OrgKind, Role
from marketplace.budgets.books import find_stream_account, funder_allocations_account, stream_account
from marketplace.budgets.models import Budget, BudgetStatus, FundingStream, ManagementOption, StreamKind
from marketplace.catalog.models import Category
from marketplace.core import audit
from marketplace.core.clock import financial_year, today
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.money import MAX_PENCE

CATEGORIES = frozenset(c.value for c in Category)  # the catalogue's taxonomy
MAX_TERMS_DAYS = 365
EARLIEST_PERIOD = date(2000, 1, 1)  # a budget's period lies in this window (rule 8)
LATEST_PERIOD = date(2099, 12, 31)

# Which status may follow which. A budget may be withdrawn (closed) before it is active; a
# closed budget is final.
TRANSITIONS: dict[BudgetStatus, set[BudgetStatus]] = {
    BudgetStatus.INDICATIVE: {BudgetStatus.AGREED, BudgetStatus.CLOSED},
    BudgetStatus.AGREED: {BudgetStatus.ACTIVE, BudgetStatus.CLOSED},
    BudgetStatus.ACTIVE: {BudgetStatus.CLOSED},
    BudgetStatus.CLOSED: set(),
}


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
    The period defaults to the financial year containing today (or `period_start`).
    """
    errors = _check_period(period_start, period_end)
    if not errors:
        default_start, default_end = financial_year(period_start or today())
        period_start = period_start or default_start
        period_end = period_end or default_end
        if period_end < period_start:
            errors["period_end"] = ["The period must end on or after it starts"]
    errors.update(_check_streams(streams))
    errors.update(_check_funders_agree(actor, streams))
    if BudgetStatus(status) is BudgetStatus.CLOSED:
        errors["status"] = ["A new budget cannot be closed"]
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
                categories=sorted(set(spec.get("categories", []))),
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


def _check_funders_agree(actor, streams: list[dict]) -> dict[str, list[str]]:
    """A commissioner commits only its own organisation's money: every stream must be funded by
    one of the actor's organisations (another funder has not agreed to it, and its allocation
    account would be drawn on without it being asked). An admin (or the system, actor=None) may
    set up any stream, on the funders' behalf."""
    if actor is None or getattr(actor, "role", None) is Role.ADMIN:
        return {}
    own = set(getattr(actor, "organisation_ids", None) or ())
    errors: dict[str, list[str]] = {}
    for i, spec in enumerate(streams):
        funder = spec.get("funder")
        if isinstance(funder, Organisation) and funder.id not in own:
            errors[f"streams.{i}.funder"] = [
                f"Each stream must be funded by your organisation: {funder.name} has not agreed to "
                "commit this money, so leave the stream out until it does"
            ]
    return errors


def _check_period(start, end) -> dict[str, list[str]]:
    """A budget's period (either end, where given) lies within a sane window of the calendar:
    no year 1 or 9999, whose neighbouring days and financial years do not exist."""
    errors: dict[str, list[str]] = {}
    for name, value in (("period_start", start), ("period_end", end)):
        if value is not None and (
            not isinstance(value, date) or not EARLIEST_PERIOD <= value <= LATEST_PERIOD
        ):
            errors[name] = [
                f"Enter a date between {EARLIEST_PERIOD.strftime('%-d %B %Y')} and "
                f"{LATEST_PERIOD.strftime('%-d %B %Y')}"
            ]
    return errors


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
        if not is_pence(amount, allow_zero=True):
            errors[f"streams.{i}.amount"] = ["Enter the allocation as a whole number of pence"]
        terms = spec.get("payment_terms_days", 30)
        if not isinstance(terms, int) or isinstance(terms, bool) or not 0 <= terms <= MAX_TERMS_DAYS:
            errors[f"streams.{i}.payment_terms_days"] = [f"Enter a number of days from 0 to {MAX_TERMS_DAYS}"]
        bad = [c for c in spec.get("categories", []) if c not in CATEGORIES]
        if bad:
            errors[f"streams.{i}.categories"] = ["Use the catalogue's categories, like overnight_short_break"]
        if spec.get("management", "managed") not in {m.value for m in ManagementOption}:
            errors[f"streams.{i}.management"] = ["Choose managed, isf, direct_payment or third_party"]
    return errors


def is_pence(value, *, allow_zero: bool) -> bool:
    return (
        isinstance(value, int)
        and not isinstance(value, bool)
        and (value > 0 or allow_zero and value == 0)
        and value < MAX_PENCE
    )


def change_budget_status(
    session: Session, budget: Budget, new_status: BudgetStatus | str, *, actor=None
) -> Budget:
    """Move a budget along indicative → agreed → active → closed (closing is allowed from any
    open state). Any other move is refused with a 409 naming both states; a budget with money
    still held for bookings cannot be closed."""
    try:
        target = BudgetStatus(new_status)
    except ValueError:
        raise ValidationFailed(
            "Choose a status", fields={"status": ["Choose indicative, agreed, active or closed"]}
        ) from None
    # Lock the budget row: booking and confirming lock it too (before the streams' accounts), so a
    # booking either commits its hold first (and closing is refused) or waits and finds it closed.
    # NO KEY UPDATE (key_share): rows that merely refer to the budget are not held up.
    budget = session.scalar(
        select(Budget)
        .where(Budget.id == budget.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    current = budget.status
    if target not in TRANSITIONS[current]:
        raise Conflict(
            f"A budget that is {current.value} cannot become {target.value}",
            fields={
                "status": [
                    f"From {current.value} a budget can become: "
                    f"{', '.join(sorted(s.value for s in TRANSITIONS[current])) or 'nothing'}"
                ]
            },
            code="illegal_transition",
        )
    if target is BudgetStatus.CLOSED:
        accounts = [a for a in (find_stream_account(session, s) for s in budget.streams) if a is not None]
        for account in ledger.lock_accounts(session, *accounts):  # their holds, read fresh
            if ledger.balance(account).pending:
                raise Conflict(
                    "Money is still held for bookings on this budget; resolve them before closing it",
                    code="money_held",
                )
    budget.status = target
    audit.record(session, actor, "budget.status_changed", budget, old=current.value, new=target.value)
    session.flush()
    return budget
