"""The invoice run: every unbilled item up to a date, billed on one invoice per (provider, payer,
PO number, payment terms) and issued.

A job, so its own transaction boundary: the billable items are recorded and committed first, then
the groups are invoiced in batches (`batch.issue_groups`: drafted, numbered and issued set-based),
one transaction per batch — all or nothing, so a run that fails or is killed midway leaves whole
invoices only, and the next run bills the rest. A batch that fails is retried group by group,
each group in a transaction of its own, so one bad group never blocks the rest (the weekly
drawdown's pattern). A second run finds nothing unbilled; two runs at once meet at the providers'
counter locks and the second finds the items billed (the unique line per item is the backstop).
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Family, Organisation, User
from marketplace.core.clock import utcnow
from marketplace.invoicing import batch, isf_funding, operations
from marketplace.invoicing.batch import IssuedInvoice
from marketplace.invoicing.models import BillableItem, InvoiceRun, RunSource

log = logging.getLogger(__name__)

# Groups (invoices) per transaction: big enough that each statement carries hundreds of rows,
# small enough that a failed batch's group-by-group retry and a run's lock time stay short.
DEFAULT_BATCH_SIZE = 200


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
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> RunSummary:
    """Record what became billable through `through` (for one provider, or all), then bill and
    issue each group's unbilled items on one invoice, `batch_size` groups per transaction. A batch
    that fails is rolled back whole and retried group by group, so a group that fails is noted in
    `failed` and left for the next run while the others go on. `progress` is told of every group.
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
    done = 0
    for start in range(0, len(groups), batch_size):
        keys = groups[start : start + batch_size]
        issued = _run_batch(session, keys, through, issue_date, summary)
        for key in keys:
            done += 1
            summary.issued += [issued[key]] if key in issued else []
            if progress is not None:
                progress(done, len(groups), issued.get(key))
    _finish(session, summary)
    return summary


def _finish(session: Session, summary: RunSummary) -> None:
    """Note on the run's record that it finished, and how many groups failed."""
    run = session.get(InvoiceRun, summary.run_id)
    run.finished_at = utcnow()
    run.failed = len(summary.failed)
    session.commit()


def _run_batch(session, keys, through, issue_date, summary) -> dict[tuple, IssuedInvoice]:
    """{group key: its invoice} for the batch, committed; retried group by group if it fails."""
    try:
        try:
            return _issue(session, keys, through, issue_date, summary.run_id)
        except Exception:
            session.rollback()
            if len(keys) > 1:
                log.warning(
                    "invoice batch of %d groups failed; retrying group by group", len(keys), exc_info=True
                )
            issued = {}
            for key in keys:
                try:
                    issued |= _issue(session, [key], through, issue_date, summary.run_id)
                except Exception as err:  # noqa: BLE001 - one bad group never blocks the rest
                    session.rollback()
                    log.exception("invoice run: group %s failed", key)
                    summary.failed[key] = str(err) or type(err).__name__
            return issued
    except BaseException:  # interrupted: this batch is rolled back, earlier batches stay committed
        session.rollback()
        raise


def _issue(session, keys, through, issue_date, run_id) -> dict[tuple, IssuedInvoice]:
    issued = batch.issue_groups(session, keys, through, issue_date, run_id=run_id)
    session.commit()
    return issued


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
    orgs = batch.names_of(session, Organisation, {k[0] for k in groups})
    families = batch.names_of(session, Family, {k[1] for k in groups})
    rows = [
        PreviewRow(orgs.get(org_id) or families.get(family_id, ""), po_number, items, total)
        for (org_id, family_id, po_number), (items, total) in groups.items()
    ]
    return sorted(rows, key=lambda r: (r.payer, r.po_number))
