"""Set-based issuing for the invoice run: many groups' invoices drafted, numbered and issued in one
transaction, with a handful of statements instead of dozens per invoice.

Same rules as `operations.invoice_group` (drafting with `draft_invoice`, issuing with
`issue_invoice`), paid for once per batch: the batch's counters are locked together in issuer id
order, then its unbilled items (FOR UPDATE, read afresh, so a concurrent run that billed them
first leaves nothing to bill); each kind's lines are built for all items at once
(`lines.line_fields`); invoices (issued, numbered from the locked counters in group order),
lines and the items' invoice ids go in with one statement each; the receivables are posted by
one `ledger.transfer_many` (`books.post_issues`). All or nothing: the caller commits the batch,
or rolls it back whole and retries it group by group.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Family, Organisation
from marketplace.core.clock import today, utcnow
from marketplace.core.sql import bulk_insert, bulk_update, id_in
from marketplace.invoicing import books, lines, operations
from marketplace.invoicing.models import BillableItem, Invoice, InvoiceLine, InvoiceStatus


@dataclass(frozen=True)
class IssuedInvoice:
    """What a run says of an invoice it issued, read before the commit."""

    id: int
    number: str
    payer: str
    po_number: str
    total: int
    lines: int
    due_date: date


def issue_groups(
    session: Session,
    keys: list[tuple],
    through: date,
    issue_date: date | None = None,
    *,
    run_id: int | None = None,
) -> dict[tuple, IssuedInvoice]:
    """Bill each group's unbilled items (service date up to `through`) on one invoice and issue it,
    for every group of `keys` (as `operations.unbilled_groups` gives them), set-based. A group
    another run has billed meanwhile is skipped. Numbers follow the order of `keys`. Returns
    {group key: what was issued}."""
    if not keys:
        return {}
    counters = operations.lock_counters(session, {key[0] for key in keys})
    items = _lock_unbilled(session, keys, through)
    if not items:
        return {}
    fields = lines.line_fields(session, [item for group in items.values() for item in group])
    issue_date = issue_date or today()
    now = utcnow()
    billed, invoices, invoice_lines = [], [], []
    for key in keys:
        group = sorted(items.get(key, ()), key=operations.line_order)
        if not group:
            continue
        rows = [fields[item.id] | {"position": n} for n, item in enumerate(group, start=1)]
        number = operations.take_number(counters[key[0]])
        invoices.append(_invoice_row(key, rows, number, issue_date, now) | {"run_id": run_id})
        invoice_lines.append(rows)
        billed.append(key)
    ids = bulk_insert(session, Invoice.__table__, invoices, returning_ids=True)
    _insert_lines(session, ids, invoice_lines)
    _mark_billed(session, ids, invoice_lines)
    for invoice, new_id in zip(invoices, ids, strict=True):
        invoice["id"] = new_id
    books.post_issues(session, invoices)  # the payers now owe them, in the same transaction
    session.flush()  # the counters
    return dict(zip(billed, _figures(session, invoices, invoice_lines), strict=True))


def _lock_unbilled(session: Session, keys: list[tuple], through: date) -> dict[tuple, list]:
    """The groups' unbilled items (rows of BillableItem's columns), locked FOR UPDATE and read
    afresh, by group.

    Selected by the batch's providers and payers (a few id lists, whatever the batch size), which
    may take in a few items of other groups of the same providers: they are locked (harmless:
    this transaction holds those providers' counters) but left out."""
    wanted = set(keys)
    table = BillableItem.__table__
    payers = or_(
        id_in(session, table.c.payer_org_id, {k[1] for k in keys if k[1] is not None}),
        id_in(session, table.c.payer_family_id, {k[2] for k in keys if k[2] is not None}),
    )
    query = (
        select(*(column for column in table.c if column.key != "created_at"))  # all a line may need
        .where(
            id_in(session, table.c.provider_id, {k[0] for k in keys}),
            table.c.invoice_id.is_(None),
            table.c.service_date <= through,
            payers,
        )
        .order_by(table.c.id)
        .with_for_update()
    )
    items: dict[tuple, list] = {}
    for item in session.execute(query):
        if (key := operations.group_key(item)) in wanted:
            items.setdefault(key, []).append(item)
    return items


def _invoice_row(key: tuple, rows: list[dict], number: str, issue_date: date, now) -> dict:
    provider_id, payer_org_id, payer_family_id, po_number, terms = key
    net, vat, total = operations.invoice_totals(
        (r["amount"], r["vat_category"], r["vat_rate_bp"]) for r in rows
    )
    return dict(
        issuer_id=provider_id,
        payer_org_id=payer_org_id,
        payer_family_id=payer_family_id,
        po_number=po_number,
        payment_terms_days=terms,
        status=InvoiceStatus.ISSUED.value,
        number=number,
        issue_date=issue_date,
        due_date=issue_date + timedelta(days=terms),
        net_total=net,
        vat_total=vat,
        total=total,
        amount_paid=0,
        amount_credited=0,
        created_at=now,
        issued_at=now,
    )


def _insert_lines(session: Session, ids: list[int], invoice_lines: list[list[dict]]) -> None:
    rows = [
        {**row, "invoice_id": invoice_id, "vat_category": row["vat_category"].value}
        for invoice_id, group in zip(ids, invoice_lines, strict=True)
        for row in group
    ]
    bulk_insert(session, InvoiceLine.__table__, rows)


def _mark_billed(session, ids, invoice_lines) -> None:
    """Each billed item's `invoice_id`, written with one statement."""
    billed = {
        row["billable_item_id"]: i for i, group in zip(ids, invoice_lines, strict=True) for row in group
    }
    bulk_update(session, BillableItem.__table__, "invoice_id", billed)


def _figures(session: Session, invoices: list[dict], invoice_lines: list[list[dict]]) -> list[IssuedInvoice]:
    orgs = names_of(session, Organisation, {i["payer_org_id"] for i in invoices})
    families = names_of(session, Family, {i["payer_family_id"] for i in invoices})
    return [
        IssuedInvoice(
            id=invoice["id"],
            number=invoice["number"],
            payer=orgs.get(invoice["payer_org_id"]) or families.get(invoice["payer_family_id"], ""),
            po_number=invoice["po_number"],
            total=invoice["total"],
            lines=len(rows),
            due_date=invoice["due_date"],
        )
        for invoice, rows in zip(invoices, invoice_lines, strict=True)
    ]


def names_of(session: Session, model, ids: set) -> dict[int, str]:
    """{id: name} of the organisations or families with these ids (None is skipped)."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(session.execute(select(model.id, model.name).where(model.id.in_(ids))).all())
