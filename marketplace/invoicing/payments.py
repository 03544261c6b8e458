"""Payments received (remittances): record money a payer sent, allocate it to that payer's open
invoices, and reverse a payment recorded in error. Payments are never edited or deleted.

Each allocation moves its amount in the ledger, receivable -> cash_received (`books.py`), in the
same transaction as the allocation row and the invoice's `amount_paid`, so for each provider and
payer invoices − credits − payments = what the ledger says is owed.

Operations flush; the caller commits. Locks, in this order: the invoices a payment touches (FOR
UPDATE, by id), then the ledger accounts (the ledger locks them, by id) — the order issuing and
crediting take them too. What is due is read only under the invoices' locks, so two payments of
one invoice queue there and the second sees what the first paid: an invoice is never over-paid.

A payment's reference is unique per (provider, payer). Recording the same payment again (same
reference, amount, date and allocations) returns the first and writes nothing — a remittance
sent twice, or a retried request, is recorded once; the same reference with different figures is
refused.
"""

from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace import ledger
from marketplace.accounts.models import Family, Organisation
from marketplace.core import audit
from marketplace.core.clock import today
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.invoicing import books, isf_funding
from marketplace.invoicing.models import (
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentReversal,
)
from marketplace.invoicing.payment_checks import (
    MAX_REASON,
    MAX_REFERENCE,
    NOT_PAYABLE,
    Allocation,
    check_payment,
    check_within_due,
    is_payer_of,
    oldest_first,
    payer_ids,
    replay,
)
from marketplace.isf import operations as isf_operations
from marketplace.isf.models import IsfReceipt

PAYMENT_CODE = "payment"
REVERSAL_CODE = "payment_reversal"

__all__ = [  # the public face: the checks live in payment_checks
    "MAX_REASON",
    "MAX_REFERENCE",
    "NOT_PAYABLE",
    "PAYMENT_CODE",
    "REVERSAL_CODE",
    "Allocation",
    "is_payer_of",
    "lock_invoices",
    "open_invoices_query",
    "payer_ids",
    "record_payment",
    "reverse_payment",
    "status_after_payments",
]


# ---- recording a payment ---------------------------------------------------------------------


def record_payment(
    session: Session,
    *,
    provider: Organisation,
    payer: Organisation | Family,
    amount: int,
    received_on: date,
    reference: str,
    allocations: list[Allocation] | list[tuple[Invoice, int]] | None = None,
    actor=None,
) -> Payment:
    """Record `amount` pence received from `payer` on `received_on` under the payer's `reference`,
    and allocate it to the payer's open invoices from `provider`: as `allocations` say
    [(invoice, amount)], which must add up to the payment, or else the oldest first (by due date,
    then number) among those issued on or before the day the money arrived.

    Refuses (422, naming the field) a bad amount, a date in the future or before an invoice was
    issued, an empty reference, and allocations to invoices that are not this payer's from this
    provider; refuses (409) paying an invoice more than is due on it, and a payment larger than
    everything the payer owes. Idempotent on (provider, payer, reference)."""
    reference = (reference or "").strip() if isinstance(reference, str) else reference
    wanted = (
        [a if isinstance(a, Allocation) else Allocation(*a) for a in allocations]
        if allocations is not None
        else None
    )
    check_payment(provider, payer, amount, received_on, reference, wanted)
    if wanted is not None:
        invoices = lock_invoices(session, [a.invoice.id for a in wanted])
        plan = [Allocation(invoices[a.invoice.id], a.amount) for a in wanted]
    else:
        plan = None
        invoices = lock_invoices(session, _open_invoice_ids(session, provider, payer, received_on))
    earlier = _earlier_payment(session, provider, payer, reference)
    if earlier is not None:
        return replay(earlier, amount, received_on, wanted)
    if plan is None:
        plan = oldest_first(provider, payer, amount, received_on, list(invoices.values()))
    else:
        check_within_due(plan)
    payment = _insert_payment(session, provider, payer, amount, received_on, reference, actor)
    for allocation in plan:
        _allocate(session, payment, allocation, actor)
    audit.record(
        session, actor, "invoicing.payment_recorded", payment, amount=amount, reference=reference,
        invoices=[a.invoice.number for a in plan],
    )  # fmt: skip
    session.flush()
    return payment


def lock_invoices(session: Session, ids: list[int]) -> dict[int, Invoice]:
    """The invoices, locked FOR UPDATE in id order (the one lock order), read afresh."""
    if not ids:
        return {}
    session.flush()
    rows = session.scalars(
        select(Invoice)
        .where(Invoice.id.in_(sorted(set(ids))))
        .order_by(Invoice.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {invoice.id: invoice for invoice in rows}


def open_invoices_query(provider_id: int, payer_org_id: int | None, payer_family_id: int | None):
    """The payer's invoices from the provider with something still due, oldest first (by due
    date, then number): the order a payment is allocated in."""
    payer = (
        Invoice.payer_org_id == payer_org_id
        if payer_org_id is not None
        else Invoice.payer_family_id == payer_family_id
    )
    return (
        select(Invoice)
        .where(
            Invoice.issuer_id == provider_id,
            payer,
            Invoice.status.not_in(NOT_PAYABLE),
            books.OWED > 0,
        )
        .order_by(Invoice.due_date, Invoice.number)
    )


def _open_invoice_ids(session: Session, provider, payer, received_on: date) -> list[int]:
    query = open_invoices_query(provider.id, *payer_ids(payer)).where(Invoice.issue_date <= received_on)
    return list(session.scalars(query.with_only_columns(Invoice.id)))


def _earlier_payment(session: Session, provider, payer, reference: str) -> Payment | None:
    return session.scalar(
        select(Payment).where(
            Payment.provider_id == provider.id,
            Payment.payer_key == books.payer_key(*payer_ids(payer)),
            Payment.reference == reference,
        )
    )


def _insert_payment(session, provider, payer, amount, received_on, reference, actor) -> Payment:
    """The payment row; the unique reference per (provider, payer) is the backstop for two
    different requests naming it at once (their invoices' locks did not meet)."""
    org_id, family_id = payer_ids(payer)
    payment = Payment(
        provider_id=provider.id,
        payer_org_id=org_id,
        payer_family_id=family_id,
        payer_key=books.payer_key(org_id, family_id),
        amount=amount,
        received_on=received_on,
        reference=reference,
        recorded_by_id=getattr(actor, "id", None),
    )
    try:
        with session.begin_nested():
            session.add(payment)
            session.flush()
    except IntegrityError:
        raise Conflict(
            f"Reference {reference} was recorded by another payment from {payer.name} a moment ago",
            code="reference_used",
            fields={"reference": ["Already used for a payment from this payer"]},
        ) from None
    return payment


def _allocate(session: Session, payment: Payment, allocation: Allocation, actor) -> PaymentAllocation:
    """One invoice paid by part of a payment: the row, the ledger transfer, the invoice's figures."""
    invoice = allocation.invoice
    row = PaymentAllocation(payment=payment, invoice_id=invoice.id, amount=allocation.amount)
    session.add(row)
    session.flush()
    transfer = ledger.transfer(
        session,
        books.receivable_account(session, invoice),
        books.cash_account(session, invoice.issuer_id),
        allocation.amount,
        PAYMENT_CODE,
        reference=("payment_allocation", row.id),
        idempotency_key=f"payment_allocation:{row.id}",
        effective_date=payment.received_on,
    )
    row.transfer_id = transfer.id
    invoice.amount_paid += allocation.amount
    invoice.status = status_after_payments(invoice)
    session.flush()
    _after_allocation(session, invoice, allocation.amount, payment.received_on, payment.reference, actor)
    return row


def status_after_payments(invoice: Invoice) -> InvoiceStatus:
    """issued -> part_paid -> paid as money arrives, and back as payments are reversed."""
    if invoice.amount_paid == 0:
        credited = invoice.amount_credited and invoice.amount_credited == invoice.total
        return InvoiceStatus.CREDITED if credited else InvoiceStatus.ISSUED
    return InvoiceStatus.PAID if invoice.amount_due == 0 else InvoiceStatus.PART_PAID


def _after_allocation(
    session: Session, invoice: Invoice, amount: int, received_on: date, reference: str, actor
):
    """Called once per allocation, after the invoice's figures and the ledger moved, in the same
    transaction: a payment of an ISF funding invoice IS the ISF's receipt (a part payment is a part
    receipt), so contingency and availability follow (`isf_funding.receive_payment`; nothing for
    an invoice without ISF funding lines). References are unique per provider and payer, so the
    payment's reference names its receipts."""
    isf_funding.receive_payment(session, invoice, amount, received_on, reference, actor=actor)


# ---- reversing a payment ---------------------------------------------------------------------


def reverse_payment(session: Session, payment: Payment, reason: str, actor=None) -> PaymentReversal:
    """Undo a payment with a reason: each allocation's ledger transfer is reversed (a new,
    opposite transfer, code "payment_reversal"), its invoice owes that amount again and goes back
    to part paid or issued, and a reversal row says who, when and why. A payment that became an
    ISF's receipt takes the receipt back out of the ISF in the same transaction, or is refused
    (409 `isf_receipt_drawn`, nothing written) if the ISF no longer holds that money. A payment is
    reversed once; the payment itself never changes."""
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason or len(reason) > MAX_REASON:
        message = "Enter why the payment is being reversed" if not reason else "The reason is too long"
        raise ValidationFailed("Check the reversal", fields={"reason": [message]})
    invoices = lock_invoices(session, [a.invoice_id for a in payment.allocations])
    session.scalar(select(Payment.id).where(Payment.id == payment.id).with_for_update())
    if session.scalar(select(PaymentReversal.id).where(PaymentReversal.payment_id == payment.id)):
        raise Conflict(
            f"The payment with reference {payment.reference} was already reversed", code="already_reversed"
        )
    receipts = _before_reversal(session, payment)
    for allocation in payment.allocations:
        ledger.reverse(
            session,
            session.get(ledger.Transfer, allocation.transfer_id),
            code=REVERSAL_CODE,
            effective_date=today(),
            idempotency_key=f"payment_allocation:{allocation.id}:reversal",
        )
        invoice = invoices[allocation.invoice_id]
        invoice.amount_paid -= allocation.amount
        invoice.status = status_after_payments(invoice)
    reversal = PaymentReversal(
        payment=payment, reason=reason, reversed_on=today(), reversed_by_id=getattr(actor, "id", None)
    )
    session.add(reversal)
    session.flush()
    for receipt in receipts:
        isf_operations.reverse_receipt(
            session, receipt, reason=f"Payment {payment.reference} reversed: {reason}", actor=actor
        )
    audit.record(session, actor, "invoicing.payment_reversed", payment, reason=reason)
    return reversal


def _before_reversal(session: Session, payment: Payment) -> list[IsfReceipt]:
    """Before anything is written: the ISF receipts the payment became, each checked under its
    accounts' locks to be still held by its ISF (else a 409 and nothing moves). The allocations'
    receivable and cash accounts are locked first, the order recording a payment takes them in."""
    transfers = [session.get(ledger.Transfer, a.transfer_id) for a in payment.allocations]
    ledger.lock_accounts(
        session,
        *[
            session.get(ledger.Account, i)
            for t in transfers
            for i in (t.debit_account_id, t.credit_account_id)
        ],
    )
    receipts = [
        receipt
        for allocation in payment.allocations
        for receipt in isf_funding.payment_receipts(session, allocation.invoice_id, payment.reference)
    ]
    for receipt in receipts:
        isf_operations.check_receipt_reversible(session, receipt, because=f"Payment {payment.reference}")
    return receipts
