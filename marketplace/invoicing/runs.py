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

from sqlalchemy.orm import Session

from marketplace.accounts.models import Organisation
from marketplace.invoicing import operations
from marketplace.invoicing.models import Invoice

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
) -> RunSummary:
    """Record what became billable through `through` (for one provider, or all), then bill and issue each group's unbilled
    items on one invoice, committing invoice by invoice. A group that fails is rolled back whole,
    noted in `failed`, and left for the next run; the others go on."""
    provider = provider.id if isinstance(provider, Organisation) else provider
    summary = RunSummary(through=through)
    summary.items_recorded = operations.record_billable_items(session, through, provider)
    session.commit()
    groups = operations.unbilled_groups(session, through, provider)
    summary.groups = len(groups)
    for number, key in enumerate(groups, start=1):
        issued = None
        try:
            invoice = operations.invoice_group(session, key, through, issue_date)
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
    return summary


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
