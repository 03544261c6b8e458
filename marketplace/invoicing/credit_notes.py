"""Credit notes: an issued invoice is corrected by giving back part or all of it, never by an edit.

Rules it enforces:
- A credit note credits one issued invoice: whole lines, chosen amounts per line, or an amount
  spread over the lines in order. A reason is required.
- Never more than is creditable: per line, the line's amount less what earlier credit notes took
  from it; per invoice, the amount still due (total − paid − credited). Money already paid is
  credited only after its payment is reversed (the refusal says so).
- Its number is the next of the provider's own gap-free credit-note sequence (`HIL-CN-000001`),
  taken under the provider's counter row lock in this transaction, so a refusal or a rollback
  leaves no gap; a unique index on (issuer, number) is the backstop.
- Money, in the same transaction (rule 2, `books`): the payer owes the total less (receivable ->
  invoiced); and each credited line whose billable item was paid from a funding stream gives
  that much back to the stream (the provider's account -> the stream's account, a reversing-style
  transfer of the care's own transfer, one idempotency key per credit-note line), so the budget's
  available goes back up. A line with no ledger transfer (ISF funding) only reduces what is owed.

Locks, in this order: the invoice row (what is creditable is read under it), the provider's
`InvoiceCounter` row (the number), then the ledger accounts (ascending ids, `ledger.lock_accounts`).
Operations flush; the caller commits.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace import ledger
from marketplace.core import audit
from marketplace.core.clock import today
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.money import format_pence
from marketplace.invoicing import books
from marketplace.invoicing.models import (
    BillableItem,
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    VatCategory,
)
from marketplace.invoicing.operations import lock_counter
from marketplace.ledger.models import Account, Transfer

CREDITABLE_STATES = (InvoiceStatus.ISSUED, InvoiceStatus.PART_PAID)
REASON_MAX = 500
REFUND_CODE = "credit_note_refund"


@dataclass(frozen=True)
class LineCredit:
    """One invoice line as a credit note sees it: its amount, what credit notes have taken from
    it so far, and what is left to credit."""

    line: InvoiceLine
    credited: int

    @property
    def creditable(self) -> int:
        return self.line.amount - self.credited


def line_credits(session: Session, invoice: Invoice) -> list[LineCredit]:
    """Every line of the invoice, in order, with what has been credited on it so far."""
    taken = dict(
        session.execute(
            select(CreditNoteLine.invoice_line_id, func.sum(CreditNoteLine.amount))
            .join(CreditNote, CreditNote.id == CreditNoteLine.credit_note_id)
            .where(CreditNote.invoice_id == invoice.id)
            .group_by(CreditNoteLine.invoice_line_id)
        ).all()
    )
    return [LineCredit(line, int(taken.get(line.id) or 0)) for line in invoice.lines]


def creditable_amount(session: Session, invoice: Invoice) -> int:
    """The most a credit note could give back on the invoice now (0 when it cannot be credited)."""
    if invoice.status not in CREDITABLE_STATES:
        return 0
    net = sum(c.creditable for c in line_credits(session, invoice))
    return min(invoice.amount_due, net + _vat_left(session, invoice))


def issue_credit_note(
    session: Session,
    invoice: Invoice,
    *,
    reason: str,
    lines: list[dict] | None = None,
    amount: int | None = None,
    actor,
    issue_date: date | None = None,
) -> CreditNote:
    """Credit an issued invoice: `lines` = [{"line": position, "amount": pence or None (the whole
    of what is left on it)}], or `amount` pence spread over the lines in order. Refuses (422) bad
    input and (409) more than is creditable, naming the invoice and what is creditable; nothing is
    written then. Returns the credit note, numbered, with the ledger posted."""
    invoice = _lock_invoice(session, invoice.id)
    issue_date = issue_date or today()
    reason = _check_input(invoice, reason, lines, amount, issue_date)
    _check_state(invoice)
    credits = line_credits(session, invoice)
    wanted = _by_lines(invoice, credits, lines) if lines is not None else _spread(invoice, credits, amount)
    net = sum(pence for _, pence in wanted)
    vat = _vat(session, invoice, credits, wanted)
    _check_within_due(invoice, net + vat, "lines" if lines is not None else "amount")

    note = CreditNote(
        invoice_id=invoice.id,
        issuer_id=invoice.issuer_id,
        payer_org_id=invoice.payer_org_id,
        payer_family_id=invoice.payer_family_id,
        number=next_credit_number(session, invoice.issuer_id),
        issue_date=issue_date,
        reason=reason,
        net_total=net,
        vat_total=vat,
        total=net + vat,
        created_by_id=getattr(actor, "id", None),
    )
    note.lines = [_credit_line(position, line, pence) for position, (line, pence) in enumerate(wanted, 1)]
    session.add(note)
    session.flush()
    _post(session, invoice, note)
    invoice.amount_credited += note.total
    invoice.status = _status_after_credit(invoice)
    audit.record(session, actor, "invoice.credited", invoice, credit_note=note.number, total=note.total)
    session.flush()
    return note


def next_credit_number(session: Session, issuer_id: int) -> str:
    """The provider's next credit-note number (HIL-CN-000001), taken under its counter row's lock in
    the caller's transaction: a rollback gives it back, so the sequence has no gaps."""
    counter = lock_counter(session, issuer_id)
    counter.last_credit_number += 1
    return f"{counter.prefix}-CN-{counter.last_credit_number:06d}"


# ---- checks ---------------------------------------------------------------------------------


def _lock_invoice(session: Session, invoice_id: int) -> Invoice:
    return session.scalar(
        select(Invoice)
        .where(Invoice.id == invoice_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _check_input(invoice: Invoice, reason, lines, amount, issue_date) -> str:
    """Bad input, named field by field (422); returns the reason, trimmed."""
    errors: dict[str, list[str]] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = ["Say why the invoice is being credited"]
    elif len(reason) > REASON_MAX:
        errors["reason"] = [f"The reason must be {REASON_MAX} characters or fewer"]
    if lines is None and amount is None:
        errors["lines"] = ["Choose the lines to credit, or give an amount"]
    elif lines is not None and amount is not None:
        errors["amount"] = ["Give either lines or an amount, not both"]
    elif amount is not None and (isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0):
        errors["amount"] = ["The amount to credit must be more than zero pence"]
    elif lines is not None:
        errors.update(_line_input_errors(invoice, lines))
    if invoice.issue_date is not None and issue_date < invoice.issue_date:
        errors["issue_date"] = [
            f"A credit note cannot be dated before its invoice ({invoice.issue_date:%-d %B %Y})"
        ]
    if errors:
        raise ValidationFailed(f"Check the credit note for invoice {invoice.number}", fields=errors)
    return reason


def _line_input_errors(invoice: Invoice, lines: list[dict]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not lines:
        return {"lines": ["Choose at least one line to credit"]}
    positions = {line.position for line in invoice.lines}
    seen: set[int] = set()
    for index, asked in enumerate(lines):
        position, pence = asked.get("line"), asked.get("amount")
        if position not in positions:
            errors[f"lines.{index}.line"] = [f"Invoice {invoice.number} has no line {position}"]
        elif position in seen:
            errors[f"lines.{index}.line"] = [f"Line {position} is chosen twice"]
        seen.add(position)
        if pence is not None and (isinstance(pence, bool) or not isinstance(pence, int) or pence <= 0):
            errors[f"lines.{index}.amount"] = ["The amount to credit must be more than zero pence"]
    return errors


def _check_state(invoice: Invoice) -> None:
    if invoice.status in CREDITABLE_STATES:
        return
    if invoice.status is InvoiceStatus.DRAFT:
        message = "This invoice is a draft: it has not been issued, so there is nothing to credit."
    elif invoice.status is InvoiceStatus.PAID:
        message = (
            f"Invoice {invoice.number} is paid in full: nothing is still due, so nothing can be credited "
            f"(creditable: {format_pence(0)}). Reverse its payment first, then credit it."
        )
    else:
        message = f"Invoice {invoice.number} is {invoice.status.label.lower()}: nothing is left to credit."
    raise Conflict(message, code="not_creditable")


def _check_within_due(invoice: Invoice, total: int, field: str) -> None:
    """Per invoice: never more than is still due. Paid money is credited only once its payment
    is reversed, so the payer is never owed money by a credit note."""
    if total <= invoice.amount_due:
        return
    paid = (
        f"; {format_pence(invoice.amount_paid)} of it is paid, and a payment is reversed before the "
        "money it paid is credited"
        if invoice.amount_paid
        else ""
    )
    raise Conflict(
        f"Invoice {invoice.number} has {format_pence(invoice.amount_due)} creditable (still due){paid}: "
        f"a credit note of {format_pence(total)} is more than that.",
        code="more_than_creditable",
        fields={field: [f"At most {format_pence(invoice.amount_due)} can be credited"]},
    )


# ---- what each line credits -----------------------------------------------------------------


def _by_lines(
    invoice: Invoice, credits: list[LineCredit], lines: list[dict]
) -> list[tuple[InvoiceLine, int]]:
    """Whole lines (what is left on each) or chosen amounts, each within what is left on its line;
    in the invoice's line order."""
    by_position = {c.line.position: c for c in credits}
    wanted, errors = [], {}
    for index, asked in enumerate(lines):
        credit = by_position[asked["line"]]
        pence = asked.get("amount")
        pence = credit.creditable if pence is None else pence
        if credit.creditable <= 0 or pence > credit.creditable:
            errors[f"lines.{index}.amount"] = [
                f"Line {credit.line.position} of invoice {invoice.number} has "
                f"{format_pence(credit.creditable)} left to credit"
            ]
        wanted.append((credit.line, pence))
    if errors:
        raise Conflict(
            f"That is more than invoice {invoice.number} has left to credit on "
            f"{'that line' if len(errors) == 1 else 'those lines'}: "
            + "; ".join(m[0] for m in errors.values()),
            code="more_than_creditable",
            fields=errors,
        )
    return sorted(wanted, key=lambda pair: pair[0].position)


def _spread(invoice: Invoice, credits: list[LineCredit], amount: int) -> list[tuple[InvoiceLine, int]]:
    """`amount` over the lines in order, each taking what is left on it until the amount is used."""
    wanted, left = [], amount
    for credit in credits:
        take = min(left, credit.creditable)
        if take > 0:
            wanted.append((credit.line, take))
            left -= take
    if left:
        creditable = sum(c.creditable for c in credits)
        raise Conflict(
            f"Invoice {invoice.number} has {format_pence(min(creditable, invoice.amount_due))} creditable: "
            f"{format_pence(amount)} is more than that.",
            code="more_than_creditable",
            fields={
                "amount": [f"At most {format_pence(min(creditable, invoice.amount_due))} can be credited"]
            },
        )
    return wanted


def _vat_left(session: Session, invoice: Invoice) -> int:
    credited = session.scalar(
        select(func.coalesce(func.sum(CreditNote.vat_total), 0)).where(CreditNote.invoice_id == invoice.id)
    )
    return invoice.vat_total - int(credited)


def _vat(session: Session, invoice: Invoice, credits, wanted) -> int:
    """VAT on the credited net, per rate over the note and rounded once (half up), as the invoice's
    was. A note that credits everything left takes exactly the VAT left, so credit notes that
    together credit the whole invoice sum to its total to the penny."""
    left = _vat_left(session, invoice)
    if sum(p for _, p in wanted) == sum(c.creditable for c in credits):
        return left
    by_rate: dict[int, int] = {}
    for line, pence in wanted:
        if line.vat_category is VatCategory.STANDARD:
            by_rate[line.vat_rate_bp] = by_rate.get(line.vat_rate_bp, 0) + pence
    return min(left, sum((net * bp + 5000) // 10000 for bp, net in by_rate.items()))


def _credit_line(position: int, line: InvoiceLine, pence: int) -> CreditNoteLine:
    return CreditNoteLine(
        position=position,
        invoice_line_id=line.id,
        description=line.description,
        quantity=line.quantity,
        unit=line.unit,
        unit_price=line.unit_price,
        vat_category=line.vat_category,
        vat_rate_bp=line.vat_rate_bp,
        vat_exemption_reason=line.vat_exemption_reason,
        amount=pence,
    )


# ---- money ----------------------------------------------------------------------------------


def _care_transfer(session: Session, line: CreditNoteLine) -> Transfer | None:
    """The ledger transfer that paid the provider for this line's care from a funding stream
    (None for a line with no billable item, or an item with no transfer, such as ISF funding)."""
    item_id = line.invoice_line.billable_item_id
    item = session.get(BillableItem, item_id) if item_id is not None else None
    transfer_id = getattr(item, "transfer_id", None)
    return session.get(Transfer, transfer_id) if transfer_id is not None else None


def _post(session: Session, invoice: Invoice, note: CreditNote) -> None:
    """The payer owes the note's total less; each credited line of care goes back to its stream."""
    receivable = books.receivable_account(session, invoice)
    invoiced = books.invoiced_account(session, invoice.issuer_id)
    refunds = [(line, t) for line in note.lines if (t := _care_transfer(session, line)) is not None]
    ids = {receivable.id, invoiced.id} | {
        i for _, t in refunds for i in (t.debit_account_id, t.credit_account_id)
    }
    ledger.lock_accounts(session, *(session.get(Account, i) for i in sorted(ids)))
    ledger.transfer(
        session,
        receivable,
        invoiced,
        note.total,
        "credit_note",
        reference=("credit_note", note.id),
        idempotency_key=f"credit_note:{note.id}",
        effective_date=note.issue_date,
    )
    for line, care in refunds:
        ledger.transfer(
            session,
            session.get(Account, care.credit_account_id),  # the provider's account the care was paid into
            session.get(Account, care.debit_account_id),  # back to the stream it was paid from
            line.amount,
            REFUND_CODE,
            reference=("credit_note", note.id),
            idempotency_key=f"credit_note_line:{line.id}:refund",
            effective_date=note.issue_date,
        )


def _status_after_credit(invoice: Invoice) -> InvoiceStatus:
    """Fully credited -> credited; nothing left due after payments and credits -> paid; else as it was."""
    if invoice.amount_credited == invoice.total:
        return InvoiceStatus.CREDITED
    if invoice.amount_due == 0:
        return InvoiceStatus.PAID
    return invoice.status
