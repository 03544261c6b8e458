"""Reading lists of invoices, for the pages, the list CSV, the API and the dashboards (nothing here
writes): the filters, the choices a filter form offers each user, the children a commissioner's
invoices are for, what is still owed, and the history of a provider's invoice runs.

Every query starts from `permissions.visible_invoices(user)`, so a filter can only narrow what
the user may see.
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from marketplace.accounts.models import Child, Family, Organisation, User
from marketplace.budgets.models import Budget, FundingStream
from marketplace.budgets.permissions import budget_visibility
from marketplace.invoicing import permissions
from marketplace.invoicing.books import OWED
from marketplace.invoicing.models import BillableItem, Invoice, InvoiceRun, InvoiceStatus

# Issued and not settled: what a payer still has to pay.
UNSETTLED = (InvoiceStatus.ISSUED, InvoiceStatus.PART_PAID)


def filtered_invoices(user: User, filters: dict) -> Select:
    """The invoices `user` may see that match `filters` (InvoiceFilters), newest first."""
    query = permissions.visible_invoices(user)
    if filters.get("status") is not None:
        query = query.where(Invoice.status == filters["status"])
    if filters.get("payer") is not None:
        kind, payer_id = filters["payer"]
        column = Invoice.payer_org_id if kind == "organisation" else Invoice.payer_family_id
        query = query.where(column == payer_id)
    if filters.get("po"):
        query = query.where(func.lower(Invoice.po_number) == filters["po"].lower())
    if filters.get("budget") is not None:
        billed_from_budget = (
            select(BillableItem.invoice_id)
            .join(FundingStream, FundingStream.id == BillableItem.stream_id)
            .where(FundingStream.budget_id == filters["budget"], BillableItem.invoice_id.is_not(None))
        )
        query = query.where(Invoice.id.in_(billed_from_budget))
    if filters.get("outstanding") is True:
        query = query.where(Invoice.status.in_(UNSETTLED), OWED > 0)
    elif filters.get("outstanding") is False:
        query = query.where(or_(Invoice.status.not_in(UNSETTLED), OWED <= 0))
    # the parties every row names, loaded with the page rather than one by one
    parties = (
        selectinload(Invoice.issuer),
        selectinload(Invoice.payer_org),
        selectinload(Invoice.payer_family),
    )
    return query.options(*parties).order_by(Invoice.id.desc())


def payer_choices(session: Session, user: User) -> list[tuple[str, str]]:
    """(filter value, name) of every payer of the invoices the user may see, by name."""
    visible = permissions.visible_invoices(user).subquery()
    orgs = session.execute(
        select(Organisation.id, Organisation.name).where(
            Organisation.id.in_(select(visible.c.payer_org_id).where(visible.c.payer_org_id.is_not(None)))
        )
    )
    families = session.execute(
        select(Family.id, Family.name).where(
            Family.id.in_(select(visible.c.payer_family_id).where(visible.c.payer_family_id.is_not(None)))
        )
    )
    choices = [(str(i), name) for i, name in orgs] + [(f"family:{i}", name) for i, name in families]
    return sorted(choices, key=lambda choice: choice[1].lower())


def budget_choices(session: Session, user: User) -> list[tuple[str, str]]:
    """(budget id, "Ben Smith: 1 April 2026 to 31 March 2027") of the budgets the user may see
    that the invoices they may see bill care from. Only users who may see those budgets (the
    family, its funders, admins) are offered them, so the child's name stays on our own pages."""
    visible = permissions.visible_invoices(user).with_only_columns(Invoice.id)
    billed = (
        select(FundingStream.budget_id)
        .join(BillableItem, BillableItem.stream_id == FundingStream.id)
        .where(BillableItem.invoice_id.in_(visible))
    )
    rows = session.execute(
        select(Budget.id, Child.name, Budget.period_start, Budget.period_end)
        .join(Child, Child.id == Budget.child_id)
        .where(Budget.id.in_(billed), budget_visibility(user))
        .order_by(Child.name, Budget.period_start.desc())
    )
    return [(str(i), f"{name}: {start:%-d %B %Y} to {end:%-d %B %Y}") for i, name, start, end in rows]


def children_of(session: Session, user: User, invoice_ids: list[int]) -> dict[int, list[str]]:
    """For each invoice, the names of the children whose care it bills, from budgets the user may
    see (a commissioner funds them; a family is theirs). Others get nothing: invoices name a
    child by reference only."""
    names: dict[int, list[str]] = {}
    for start in range(0, len(invoice_ids), 1000):  # a whole list's CSV may name thousands
        rows = session.execute(
            select(BillableItem.invoice_id, Child.name)
            .join(FundingStream, FundingStream.id == BillableItem.stream_id)
            .join(Budget, Budget.id == FundingStream.budget_id)
            .join(Child, Child.id == Budget.child_id)
            .where(BillableItem.invoice_id.in_(invoice_ids[start : start + 1000]), budget_visibility(user))
            .distinct()
        )
        for invoice_id, name in rows:
            names.setdefault(invoice_id, []).append(name)
    return {invoice_id: sorted(found) for invoice_id, found in names.items()}


@dataclass(frozen=True)
class Owed:
    """Issued invoices not yet settled: how many, what is still due on them, how many overdue."""

    count: int
    due: int
    overdue: int


def owed(session: Session, query: Select, on: date) -> Owed:
    """What is still owed on the invoices of `query` (a select of Invoice)."""
    unsettled = query.where(Invoice.status.in_(UNSETTLED), OWED > 0).subquery()
    count, due, overdue = session.execute(
        select(
            func.count(),
            func.coalesce(
                func.sum(unsettled.c.total - unsettled.c.amount_paid - unsettled.c.amount_credited), 0
            ),
            func.count().filter(unsettled.c.due_date < on),
        ).select_from(unsettled)
    ).one()
    return Owed(count=count, due=int(due), overdue=overdue)  # PostgreSQL sums as Decimal


@dataclass(frozen=True)
class RunRow:
    """One run in a provider's history: the provider's own invoices from it."""

    started_at: datetime
    finished_at: datetime | None
    through: date
    by: str
    invoices: int
    total: int
    failed: int


def run_history(session: Session, provider_id: int, limit: int = 30) -> list[RunRow]:
    """The provider's recent invoice runs, newest first: the runs it started, and the runs for
    every provider (the daily run, the command) that issued invoices of its."""
    issued_its_invoices = select(Invoice.run_id).where(
        Invoice.issuer_id == provider_id, Invoice.run_id.is_not(None)
    )
    runs = list(
        session.scalars(
            select(InvoiceRun)
            .where(or_(InvoiceRun.provider_id == provider_id, InvoiceRun.id.in_(issued_its_invoices)))
            .order_by(InvoiceRun.started_at.desc(), InvoiceRun.id.desc())
            .limit(limit)
        )
    )
    figures = {
        run_id: (count, int(total or 0))
        for run_id, count, total in session.execute(
            select(Invoice.run_id, func.count(Invoice.id), func.sum(Invoice.total))
            .where(and_(Invoice.issuer_id == provider_id, Invoice.run_id.in_([r.id for r in runs])))
            .group_by(Invoice.run_id)
        )
    }
    return [
        RunRow(
            started_at=run.started_at,
            finished_at=run.finished_at,
            through=run.through,
            by=_started_by(run),
            invoices=figures.get(run.id, (0, 0))[0],
            total=figures.get(run.id, (0, 0))[1],
            failed=run.failed if run.provider_id == provider_id else 0,  # others' failures are not its own
        )
        for run in runs
    ]


def _started_by(run: InvoiceRun) -> str:
    return run.started_by.name if run.started_by is not None else run.source.label
