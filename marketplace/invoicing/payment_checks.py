"""Checks on a payment before anything is written: its fields (rule 8), its allocations, what is
due on each invoice, the oldest-first plan, and a replay of an earlier payment. `payments` is the
public face; these are its helpers."""

from dataclasses import dataclass
from datetime import date

from marketplace.accounts.models import Family, Organisation
from marketplace.core.clock import today
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.money import MAX_PENCE, format_pence
from marketplace.core.templating import uk_date
from marketplace.invoicing.models import (
    Invoice,
    InvoiceStatus,
    Payment,
)

NOT_PAYABLE = (InvoiceStatus.DRAFT, InvoiceStatus.VOID)
MAX_REFERENCE = 120
MAX_REASON = 2000


@dataclass(frozen=True)
class Allocation:
    """What a caller asks: `amount` pence of the payment to `invoice`."""

    invoice: Invoice
    amount: int


def payer_ids(payer: Organisation | Family) -> tuple[int | None, int | None]:
    """(payer org id, payer family id) of an organisation or a family."""
    return (None, payer.id) if isinstance(payer, Family) else (payer.id, None)


def is_payer_of(invoice: Invoice, payer: Organisation | Family) -> bool:
    return (invoice.payer_org_id, invoice.payer_family_id) == payer_ids(payer)


def check_payment(provider, payer, amount, received_on, reference, wanted) -> None:
    """Rule 8: each bad field named, before anything is read under a lock or written."""
    errors: dict[str, list[str]] = {}
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount < MAX_PENCE:
        errors["amount"] = ["Enter the amount received, more than £0.00"]
    if not isinstance(received_on, date):
        errors["received_on"] = ["Enter the date the money was received"]
    elif received_on > today():
        errors["received_on"] = ["The date the money was received must be today or earlier"]
    if not isinstance(reference, str) or not reference:
        errors["reference"] = ["Enter the payment's reference, as the payer's remittance gives it"]
    elif len(reference) > MAX_REFERENCE:
        errors["reference"] = [f"The reference must be {MAX_REFERENCE} characters or fewer"]
    if wanted is not None:
        errors |= check_allocations(provider, payer, amount, received_on, wanted)
    if errors:
        raise ValidationFailed("Check the payment", fields=errors)


def check_allocations(provider, payer, amount, received_on, wanted: list[Allocation]) -> dict:
    errors: dict[str, list[str]] = {}
    seen: set[int] = set()
    for i, allocation in enumerate(wanted):
        invoice, share = allocation.invoice, allocation.amount
        if invoice.issuer_id != provider.id or not is_payer_of(invoice, payer):
            errors[f"allocations.{i}.invoice"] = ["Not one of this payer's invoices from you"]
        elif invoice.status in NOT_PAYABLE:
            errors[f"allocations.{i}.invoice"] = [f"Invoice {invoice.number or '(draft)'} is not issued"]
        elif invoice.id in seen:
            errors[f"allocations.{i}.invoice"] = [f"Invoice {invoice.number} is named twice"]
        elif isinstance(received_on, date) and invoice.issue_date > received_on:
            errors["received_on"] = [
                f"The money was received before invoice {invoice.number} was issued "
                f"on {uk_date(invoice.issue_date)}"
            ]
        seen.add(invoice.id)
        if not isinstance(share, int) or isinstance(share, bool) or not 0 < share < MAX_PENCE:
            errors[f"allocations.{i}.amount"] = ["Enter an amount more than £0.00"]
    shares = [a.amount for a in wanted]
    if not errors and isinstance(amount, int) and sum(shares) != amount:
        errors["amount"] = [
            f"The amounts allocated add up to {format_pence(sum(shares))}, "
            f"not the {format_pence(amount)} received"
        ]
    return errors


def replay(earlier: Payment, amount: int, received_on: date, wanted: list[Allocation] | None) -> Payment:
    """The same payment recorded again is the first one; the same reference otherwise is refused."""
    same = (earlier.amount, earlier.received_on) == (amount, received_on)
    if same and wanted is not None:
        same = sorted((a.invoice_id, a.amount) for a in earlier.allocations) == sorted(
            (a.invoice.id, a.amount) for a in wanted
        )
    if not same:
        raise Conflict(
            f"Reference {earlier.reference} was already used for {format_pence(earlier.amount)} received "
            f"on {uk_date(earlier.received_on)}; a payment's reference is used once per payer",
            code="reference_used",
            fields={"reference": ["Already used for a different payment from this payer"]},
        )
    if earlier.is_reversed:
        raise Conflict(
            f"The payment with reference {earlier.reference} was reversed; record the money again "
            "under a new reference (for example with a suffix)",
            code="reference_used",
            fields={"reference": ["Already used for a payment that was reversed"]},
        )
    return earlier


def more_than_due(amount: int, due: int, where: str, field: str = "amount") -> Conflict:
    return Conflict(
        f"{format_pence(amount)} is more than the {format_pence(due)} due on {where}",
        code="more_than_due",
        fields={field: [f"More than the {format_pence(due)} due on {where}"]},
    )


def check_within_due(plan: list[Allocation]) -> None:
    """Each allocation is at most what is due on its invoice, read under the invoice's lock."""
    for i, allocation in enumerate(plan):
        invoice = allocation.invoice
        if allocation.amount > invoice.amount_due:
            field = "amount" if len(plan) == 1 else f"allocations.{i}.amount"
            raise more_than_due(allocation.amount, invoice.amount_due, invoice.number, field)


def oldest_first(
    provider, payer, amount: int, received_on: date, invoices: list[Invoice]
) -> list[Allocation]:
    """Allocate `amount` to the oldest invoices first; refuse more than all of them owe."""
    invoices = sorted(
        (i for i in invoices if i.status not in NOT_PAYABLE and i.amount_due > 0),
        key=lambda i: (i.due_date, i.number),
    )
    if not invoices:
        raise Conflict(
            f"{payer.name} has no invoices from {provider.name} to pay, issued on or before "
            f"{uk_date(received_on)}",
            code="nothing_due",
            fields={"amount": ["There is nothing due from this payer to pay"]},
        )
    plan, left = [], amount
    for invoice in invoices:
        share = min(left, invoice.amount_due)
        if share > 0:
            plan.append(Allocation(invoice, share))
            left -= share
    if left > 0:
        due = sum(i.amount_due for i in invoices)
        where = invoices[0].number if len(invoices) == 1 else (
            f"all of {payer.name}'s open invoices ({', '.join(i.number for i in invoices)})"
        )  # fmt: skip
        raise more_than_due(amount, due, where)
    return plan
