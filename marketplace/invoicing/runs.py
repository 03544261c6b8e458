"""The invoice run: every unbilled item up to a date, billed on one invoice per (provider, payer,
PO number, payment terms) and issued.

A job, so its own transaction boundary: the billable items are recorded and committed first, then
each invoice is drafted, numbered and issued in a transaction of its own — all or nothing, so a
run that fails or is killed midway leaves whole invoices only, and the next run bills the rest.
A second run finds nothing unbilled; two runs at once meet at each provider's counter lock and
the second finds the items billed (the unique line per item is the backstop).
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Family, Organisation, User
from marketplace.core.clock import utcnow
from marketplace.invoicing import isf_funding, operations
from marketplace.invoicing.models import BillableItem, Invoice, InvoiceRun, RunSource

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IssuedInvoice:
    """What the summary says of an invoice, read before its commit."""

    id: int
    number: str
    payer: str
    po_number: str
    total: int
    lines: int
    due_date: date


@dataclass
class RunSummary:
    through: date
    run_id: int | None = None
    items_recorded: int = 0
    groups: int = 0
    issued: list[IssuedInvoice] = field(default_factory=list)
    failed: dict[tuple, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(i.total for i in self.issued)


def run_invoices(
    session: Session,
    through: date,
    provider: int | Organisation | None = None,
    *,
    issue_date: date | None = None,
    progress: Callable[[int, int, IssuedInvoice | None], None] | None = None,
    source: RunSource = RunSource.COMMAND,
    started_by: User | None = None,
) -> RunSummary:
    """Record what became billable through `through` (for one provider, or all), then bill and
    issue each group's unbilled items on one invoice, committing invoice by invoice. A group that
    fails is rolled back whole, noted in `failed`, and left for the next run; the others go on.
    The run itself is recorded (`InvoiceRun`: when, through which date, by whom) and its invoices
    point at it; a run killed midway is left without `finished_at`."""
    provider = provider.id if isinstance(provider, Organisation) else provider
    run = InvoiceRun(
        provider_id=provider,
        through=through,
        source=source,
        started_by_id=started_by.id if started_by is not None else None,
    )
    session.add(run)
    session.flush()
    summary = RunSummary(through=through, run_id=run.id)
    run.items_recorded = summary.items_recorded = operations.record_billable_items(session, through, provider)
    session.commit()
    groups = operations.unbilled_groups(session, through, provider)
    summary.groups = len(groups)
    for number, key in enumerate(groups, start=1):
        issued = None
        try:
            invoice = operations.invoice_group(session, key, through, issue_date, run_id=summary.run_id)
            issued = _figures(invoice) if invoice is not None else None
            session.commit()
        except Exception as err:  # noqa: BLE001 - one bad group never blocks the rest
            session.rollback()
            log.exception("invoice run: group %s failed", key)
            summary.failed[key] = str(err) or type(err).__name__
        except BaseException:
            session.rollback()
            raise
        if issued is not None:
            summary.issued.append(issued)
        if progress is not None:
            progress(number, len(groups), issued)
    _finish(session, summary)
    return summary


def _finish(session: Session, summary: RunSummary) -> None:
    """Note on the run's record that it finished, and how many groups failed."""
    run = session.get(InvoiceRun, summary.run_id)
    run.finished_at = utcnow()
    run.failed = len(summary.failed)
    session.commit()


def _figures(invoice: Invoice) -> IssuedInvoice:
    return IssuedInvoice(
        id=invoice.id,
        number=invoice.number,
        payer=invoice.payer_name,
        po_number=invoice.po_number,
        total=invoice.total,
        lines=len(invoice.lines),
        due_date=invoice.due_date,
    )


@dataclass(frozen=True)
class PreviewRow:
    """What a run would bill one payer under one PO number: how many items, and their total."""

    payer: str
    po_number: str
    items: int
    total: int


def preview_run(session: Session, through: date, provider_id: int) -> list[PreviewRow]:
    """What `run_invoices(session, through, provider_id)` would bill, per payer and PO number,
    read without writing anything: the items recorded but unbilled, and those not yet recorded
    (care, and ISF funding instalments due)."""
    groups: dict[tuple, list[int]] = {}

    def add(org_id, family_id, po_number, items, total):
        figures = groups.setdefault((org_id, family_id, po_number or ""), [0, 0])
        figures[0] += items
        figures[1] += total

    recorded = session.execute(
        select(
            BillableItem.payer_org_id,
            BillableItem.payer_family_id,
            BillableItem.po_number,
            func.count(BillableItem.id),
            func.sum(BillableItem.amount),
        )
        .where(
            BillableItem.provider_id == provider_id,
            BillableItem.invoice_id.is_(None),
            BillableItem.service_date <= through,
        )
        .group_by(BillableItem.payer_org_id, BillableItem.payer_family_id, BillableItem.po_number)
    )
    for org_id, family_id, po_number, items, total in recorded:
        add(org_id, family_id, po_number, items, int(total or 0))
    for row in session.execute(operations.pending_billable(through, provider_id)):
        payer = operations.payer_columns(row[11], row[5], row[12], row[6])
        add(payer["payer_org_id"], payer["payer_family_id"], payer["po_number"], 1, row[10])
    for row in isf_funding.pending_instalments(session, through, provider_id):
        add(row["payer_org_id"], None, row["po_number"], 1, row["amount"])
    orgs = _names(session, Organisation, {k[0] for k in groups})
    families = _names(session, Family, {k[1] for k in groups})
    rows = [
        PreviewRow(orgs.get(org_id) or families.get(family_id, ""), po_number, items, total)
        for (org_id, family_id, po_number), (items, total) in groups.items()
    ]
    return sorted(rows, key=lambda r: (r.payer, r.po_number))


def _names(session: Session, model, ids: set) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {i: name for i, name in session.execute(select(model.id, model.name).where(model.id.in_(ids)))}
