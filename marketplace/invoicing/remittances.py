"""Remittance advice import: a payer's list of the invoices a payment covers, read from a CSV file
(`remittance_csv.py`), checked line by line against the provider's invoices, and recorded through
`payments.record_payment` — all of it in one transaction, or nothing.

- `preview_remittance` reads the database and writes nothing: each line is matched (it will be
  recorded) or not, with the reason in words.
- `import_remittance` locks the invoices the file names (the order `payments` locks them in),
  checks every line again under those locks, and refuses (`RemittanceChanged`, carrying the new
  preview) if anything differs from the preview the person confirmed. Otherwise the matched lines
  become payments: one payment per payment reference, allocated to the invoices its lines name
  (the reference is unique per payer, so one reference is one payment), and the file with every
  line's outcome is kept as a `RemittanceImport`.
- Idempotent: a line whose reference was already recorded with that invoice and amount is "already
  recorded (reference …)", so importing the same file again records nothing new."""

import enum
import hashlib
import json
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Family, Organisation
from marketplace.core import audit
from marketplace.core.clock import today
from marketplace.core.errors import Conflict
from marketplace.core.money import format_pence
from marketplace.core.templating import uk_date
from marketplace.invoicing import books, payments
from marketplace.invoicing.models import Invoice, InvoiceStatus, Payment
from marketplace.invoicing.models.remittances import LineOutcome, RemittanceImport, RemittanceImportLine
from marketplace.invoicing.remittance_csv import RemittanceLine


class Reason(enum.StrEnum):
    """Why a line is not recorded: the groups the preview totals."""

    BAD_LINE = "bad_line"
    WRONG_DATE = "wrong_date"
    NAMED_TWICE = "named_twice"
    UNKNOWN_INVOICE = "unknown_invoice"
    OTHER_PAYER = "other_payer"
    ALREADY_RECORDED = "already_recorded"
    REFERENCE_USED = "reference_used"
    ALREADY_PAID = "already_paid"
    MORE_THAN_DUE = "more_than_due"

    @property
    def label(self) -> str:
        return REASON_LABELS[self]


REASON_LABELS = {
    Reason.BAD_LINE: "Invoice number, amount, date or reference missing or unreadable",
    Reason.WRONG_DATE: "Date in the future, before the invoice, or unlike the payment's other lines",
    Reason.NAMED_TWICE: "Invoice named twice in one payment",
    Reason.UNKNOWN_INVOICE: "Invoice number unknown",
    Reason.OTHER_PAYER: "Not this payer's invoice",
    Reason.ALREADY_RECORDED: "Already recorded",
    Reason.REFERENCE_USED: "Reference already used for another payment",
    Reason.ALREADY_PAID: "Already paid",
    Reason.MORE_THAN_DUE: "More than is due",
}


@dataclass
class CheckedLine:
    """A line of the file and its fate: `invoice` (if its number is one of the provider's),
    `due` (what was due on it before this file), and `reason`/`message` when it is not recorded."""

    line: RemittanceLine
    invoice: Invoice | None = None
    due: int | None = None
    reason: Reason | None = None
    message: str = ""

    @property
    def matched(self) -> bool:
        return self.reason is None


@dataclass
class ReasonGroup:
    reason: Reason
    lines: int
    total: int


@dataclass
class Preview:
    """What importing the file would do. `fingerprint` changes whenever any line's fate or any
    matched invoice's amount due does: the confirmation must see the same one."""

    provider: Organisation
    payer: Organisation | Family
    lines: list[CheckedLine]
    fingerprint: str = ""
    groups: list[ReasonGroup] = field(default_factory=list)

    @property
    def matched(self) -> list[CheckedLine]:
        return [c for c in self.lines if c.matched]

    @property
    def not_recorded(self) -> list[CheckedLine]:
        return [c for c in self.lines if not c.matched]

    @property
    def matched_total(self) -> int:
        return sum(c.line.amount for c in self.matched)

    @property
    def not_recorded_total(self) -> int:
        return sum(c.line.amount or 0 for c in self.not_recorded)

    @property
    def payments(self) -> dict[str, list[CheckedLine]]:
        """The matched lines by payment reference: each becomes one payment."""
        grouped: dict[str, list[CheckedLine]] = {}
        for checked in self.matched:
            grouped.setdefault(checked.line.reference, []).append(checked)
        return grouped


class RemittanceChanged(Conflict):
    """Something changed between the preview and the confirmation; `preview` is the new one."""

    code = "remittance_changed"

    def __init__(self, preview: Preview):
        super().__init__(
            "Something changed since you checked this file (a payment was recorded meanwhile, or an "
            "invoice changed). Nothing was recorded: check the lines again below, then confirm."
        )
        self.preview = preview


# ---- who the payer is ------------------------------------------------------------------------


def invoices_by_number(session: Session, provider: Organisation, numbers, lock: bool = False) -> dict:
    """The provider's invoices with these numbers, capitals or not (read afresh, locked FOR UPDATE
    in id order when `lock`), by number in capitals."""
    numbers = sorted({n.upper() for n in numbers if n})
    if not numbers:
        return {}
    query = select(Invoice.id).where(
        Invoice.issuer_id == provider.id, func.upper(Invoice.number).in_(numbers)
    )
    ids = list(session.scalars(query))
    if lock:
        found = payments.lock_invoices(session, ids).values()
    else:
        found = session.scalars(select(Invoice).where(Invoice.id.in_(ids)))
    return {invoice.number.upper(): invoice for invoice in found}


def _invoice_of(invoices: dict[str, Invoice], line: RemittanceLine) -> Invoice | None:
    """The invoice a line names: its number as written, in capitals or not."""
    return invoices.get(line.invoice_number.upper())


def payers_named(session: Session, provider: Organisation, lines: list[RemittanceLine]) -> dict:
    """The payers of the provider's invoices the file names: {payer: [rows]}."""
    invoices = invoices_by_number(session, provider, [line.invoice_number for line in lines])
    payers: dict = {}
    for line in lines:
        invoice = _invoice_of(invoices, line)
        if invoice is not None and invoice.status is not InvoiceStatus.DRAFT:
            payer = invoice.payer_org if invoice.payer_org_id else invoice.payer_family
            payers.setdefault(payer, []).append(line.row)
    return payers


# ---- checking each line ------------------------------------------------------------------------


def preview_remittance(
    session: Session, provider: Organisation, payer: Organisation | Family, lines: list[RemittanceLine]
) -> Preview:
    """What importing `lines` as `payer`'s remittance to `provider` would record, line by line, in
    file order; writes nothing."""
    invoices = invoices_by_number(session, provider, [line.invoice_number for line in lines])
    return _check(session, provider, payer, lines, invoices)


def _check(session, provider, payer, lines, invoices: dict[str, Invoice]) -> Preview:
    earlier = _earlier_payments(session, provider, payer, {line.reference for line in lines})
    left: dict[int, int] = {}  # invoice id -> what is still due after the lines above
    dates: dict[str, tuple[date, int]] = {}  # reference -> (its date, the row that gave it)
    seen: set[tuple[str, int]] = set()  # (reference, invoice id) already matched in this file
    checked = []
    for line in lines:
        item = CheckedLine(line, _invoice_of(invoices, line))
        if item.invoice is not None:
            item.due = item.invoice.amount_due
        _check_line(item, payer, earlier, left, dates, seen)
        checked.append(item)
    preview = Preview(provider, payer, checked)
    preview.fingerprint = _fingerprint(preview)
    preview.groups = _groups(preview)
    return preview


def _check_line(item: CheckedLine, payer, earlier: dict, left: dict, dates: dict, seen: set) -> None:
    line, invoice = item.line, item.invoice

    def refuse(reason: Reason, message: str) -> None:
        item.reason, item.message = reason, message

    if line.problems:
        return refuse(Reason.BAD_LINE, "; ".join(f"{col}: {msg}" for col, msg in line.problems.items()))
    if line.paid_on > today():
        return refuse(Reason.WRONG_DATE, f"Date: {uk_date(line.paid_on)} is in the future")
    if invoice is None or invoice.status is InvoiceStatus.DRAFT:
        return refuse(
            Reason.UNKNOWN_INVOICE, f"Invoice number {line.invoice_number} is not one of your invoices"
        )
    if not payments.is_payer_of(invoice, payer):
        other = invoice.payer_org or invoice.payer_family
        return refuse(Reason.OTHER_PAYER, f"Invoice {invoice.number} is to {other.name}, not {payer.name}")
    payment = earlier.get(line.reference)
    if payment is not None:
        return _check_against_earlier(item, payment, refuse)
    first = dates.setdefault(line.reference, (line.paid_on, line.row))
    if first[0] != line.paid_on:
        return refuse(
            Reason.WRONG_DATE,
            f"Date: reference {line.reference} is dated {uk_date(first[0])} on row {first[1]}; "
            "one reference is one payment, on one day",
        )
    if invoice.status is InvoiceStatus.VOID:
        return refuse(Reason.UNKNOWN_INVOICE, f"Invoice {invoice.number} is void")
    if line.paid_on < invoice.issue_date:
        return refuse(
            Reason.WRONG_DATE,
            f"Date: paid before invoice {invoice.number} was issued on {uk_date(invoice.issue_date)}",
        )
    if (line.reference, invoice.id) in seen:
        return refuse(
            Reason.NAMED_TWICE, f"Invoice {invoice.number} is named twice under reference {line.reference}"
        )
    due = left.get(invoice.id, invoice.amount_due)
    if due == 0:
        word = "credited" if invoice.status is InvoiceStatus.CREDITED else "paid"
        return refuse(Reason.ALREADY_PAID, f"Invoice {invoice.number} is already {word}: nothing is due")
    if line.amount > due:
        return refuse(
            Reason.MORE_THAN_DUE,
            f"{format_pence(line.amount)} is more than the {format_pence(due)} due on {invoice.number}",
        )
    left[invoice.id] = due - line.amount
    seen.add((line.reference, invoice.id))


def _check_against_earlier(item: CheckedLine, payment: Payment, refuse) -> None:
    """A reference already recorded: this line is that payment's (already recorded) or not."""
    line = item.line
    paid = {(a.invoice_id, a.amount) for a in payment.allocations}
    if (
        (item.invoice.id, line.amount) in paid
        and payment.received_on == line.paid_on
        and not payment.is_reversed
    ):
        return refuse(Reason.ALREADY_RECORDED, f"Already recorded (reference {payment.reference})")
    reversed_ = " and later reversed" if payment.is_reversed else ""
    refuse(
        Reason.REFERENCE_USED,
        f"Reference {payment.reference} was already used for {format_pence(payment.amount)} received on "
        f"{uk_date(payment.received_on)}{reversed_}; a reference is used once per payer",
    )


def _earlier_payments(session: Session, provider, payer, references: set[str]) -> dict[str, Payment]:
    references = {r for r in references if r}
    if not references:
        return {}
    query = select(Payment).where(
        Payment.provider_id == provider.id,
        Payment.payer_key == books.payer_key(*payments.payer_ids(payer)),
        Payment.reference.in_(sorted(references)),
    )
    return {payment.reference: payment for payment in session.scalars(query)}


def _fingerprint(preview: Preview) -> str:
    facts = [
        [c.line.row, c.line.invoice_number, c.line.amount, c.line.reference, str(c.line.paid_on),
         c.reason and c.reason.value, c.message, c.due]
        for c in preview.lines
    ]  # fmt: skip
    payer = books.payer_key(*payments.payer_ids(preview.payer))
    return hashlib.sha256(json.dumps([preview.provider.id, payer, facts]).encode()).hexdigest()


def _groups(preview: Preview) -> list[ReasonGroup]:
    groups = []
    for reason in Reason:
        lines = [c for c in preview.not_recorded if c.reason is reason]
        if lines:
            groups.append(ReasonGroup(reason, len(lines), sum(c.line.amount or 0 for c in lines)))
    return groups


# ---- confirming ----------------------------------------------------------------------------------


def import_remittance(
    session: Session,
    *,
    provider: Organisation,
    payer: Organisation | Family,
    lines: list[RemittanceLine],
    fingerprint: str,
    filename: str,
    actor=None,
) -> RemittanceImport:
    """Record the file's matched lines as payments, one per payment reference, and keep the file
    with each line's outcome. Checks every line again under the invoices' locks; if the result is
    not the preview the person saw (`fingerprint`), raises RemittanceChanged with the new preview
    and writes nothing. Flushes; the caller commits (or rolls back everything on any error)."""
    invoices = invoices_by_number(session, provider, [line.invoice_number for line in lines], lock=True)
    preview = _check(session, provider, payer, lines, invoices)
    if preview.fingerprint != fingerprint:
        raise RemittanceChanged(preview)
    if not preview.matched:
        raise Conflict("Nothing in this file can be recorded", code="nothing_to_record")
    recorded: dict[int, Payment] = {}
    for reference, group in preview.payments.items():
        payment = payments.record_payment(
            session,
            provider=provider,
            payer=payer,
            amount=sum(c.line.amount for c in group),
            received_on=group[0].line.paid_on,
            reference=reference,
            allocations=[(c.invoice, c.line.amount) for c in group],
            actor=actor,
        )
        recorded.update({c.line.row: payment for c in group})
    kept = _keep(session, preview, recorded, filename, actor)
    audit.record(
        session, actor, "invoicing.remittance_imported", kept, filename=filename,
        recorded=len(preview.matched), not_recorded=len(preview.not_recorded),
    )  # fmt: skip
    session.flush()
    return kept


def _keep(session: Session, preview: Preview, recorded: dict, filename: str, actor) -> RemittanceImport:
    org_id, family_id = payments.payer_ids(preview.payer)
    kept = RemittanceImport(
        provider_id=preview.provider.id,
        payer_org_id=org_id,
        payer_family_id=family_id,
        filename=filename[:255] or "remittance.csv",
        imported_by_id=getattr(actor, "id", None),
    )
    session.add(kept)
    for c in preview.lines:
        payment = recorded.get(c.line.row)
        kept.lines.append(
            RemittanceImportLine(
                row=c.line.row,
                invoice_number=c.line.invoice_number,
                amount_text=c.line.amount_text,
                reference=c.line.reference,
                date_text=c.line.date_text,
                amount=c.line.amount,
                paid_on=c.line.paid_on,
                outcome=LineOutcome.RECORDED if payment is not None else LineOutcome.NOT_RECORDED,
                reason=None if payment is not None else c.message,
                invoice_id=c.invoice.id if c.invoice is not None else None,
                payment_id=payment.id if payment is not None else None,
            )
        )
    session.flush()
    return kept
