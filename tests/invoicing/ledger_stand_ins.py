"""Credit notes and payments as the ledger sees them, for tests of what reads the ledger.

The credit-note and payment operations arrive from their own slices; a statement of account and
the reminders only read the books (books.py's scheme: a credit note moves receivable -> invoiced,
a payment receivable -> cash_received, a payment's reversal is `ledger.reverse`). These helpers
post exactly those transfers, with the agreed references, and move the invoice's own figures the
same way, so `reconcile_receivables` holds as it will with the real operations. They stand in
for the operations; they test nothing about them.
"""

from datetime import date

from marketplace import ledger
from marketplace.invoicing import books
from marketplace.invoicing.models import Invoice, InvoiceStatus


def _settle(invoice: Invoice) -> None:
    if invoice.amount_due == 0:
        invoice.status = InvoiceStatus.PAID if invoice.amount_paid else InvoiceStatus.CREDITED
    elif invoice.amount_paid:
        invoice.status = InvoiceStatus.PART_PAID
    else:
        invoice.status = InvoiceStatus.ISSUED


def credit(session, invoice: Invoice, amount: int, on: date, credit_note_id: int):
    transfer = ledger.transfer(
        session,
        books.receivable_account(session, invoice),
        books.invoiced_account(session, invoice.issuer_id),
        amount,
        "credit_note",
        reference=("credit_note", credit_note_id),
        effective_date=on,
    )
    invoice.amount_credited += amount
    _settle(invoice)
    session.flush()
    return transfer


def pay(session, invoice: Invoice, amount: int, on: date, allocation_id: int):
    transfer = ledger.transfer(
        session,
        books.receivable_account(session, invoice),
        books.cash_account(session, invoice.issuer_id),
        amount,
        "payment",
        reference=("payment_allocation", allocation_id),
        effective_date=on,
    )
    invoice.amount_paid += amount
    _settle(invoice)
    session.flush()
    return transfer


def reverse_payment(session, invoice: Invoice, transfer, on: date):
    reversal = ledger.reverse(session, transfer, code="payment_reversal", effective_date=on)
    invoice.amount_paid -= transfer.amount
    _settle(invoice)
    session.flush()
    return reversal
