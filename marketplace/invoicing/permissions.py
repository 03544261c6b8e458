"""Who may see an invoice: the issuing provider's staff, the payer (its organisation's staff, or
its family) once it is issued, and admins; anyone else gets a 404.

Payments received: the provider's staff record and reverse them; the payer (a commissioner's
staff, or the family) sees its own payments; a commissioner's staff may also record a payment
their organisation made, on its own pages (`payer_views.py`, `payer_api.py`), never reverse one;
admins read all."""

from sqlalchemy import Select, false, or_, select

from marketplace.accounts.models import Family, Organisation, Role, User
from marketplace.accounts.permissions import allowed, is_admin, visible
from marketplace.core.db import db
from marketplace.core.errors import Forbidden
from marketplace.invoicing.models import CreditNote, Invoice, InvoiceStatus, Payment


def may_see(user: User, invoice: Invoice) -> bool:
    if is_admin(user):
        return True
    if not user.is_authenticated:
        return False
    if invoice.issuer_id in user.organisation_ids:
        return True
    if invoice.status is InvoiceStatus.DRAFT:  # a payer sees an invoice once it is issued
        return False
    if user.role is Role.FAMILY:
        return invoice.payer_family_id is not None and invoice.payer_family_id == user.family_id
    return invoice.payer_org_id is not None and invoice.payer_org_id in user.organisation_ids


def visible_invoices(user: User) -> Select:
    """A query for the invoices the user may see."""
    query = select(Invoice)
    if is_admin(user):
        return query
    if not user.is_authenticated:
        return query.where(false())
    orgs = user.organisation_ids or {-1}
    issued = Invoice.status != InvoiceStatus.DRAFT
    as_payer = (
        Invoice.payer_family_id == user.family_id
        if user.role is Role.FAMILY and user.family_id is not None
        else Invoice.payer_org_id.in_(orgs)
    )
    return query.where(or_(Invoice.issuer_id.in_(orgs), issued & as_payer))


def get_visible(user: User, invoice_id: int) -> Invoice:
    invoice = db.session.get(Invoice, invoice_id)
    return visible(invoice, invoice is not None and may_see(user, invoice), "invoice")


# ---- credit notes: seen by whoever may see their invoice; issued by the invoice's issuer ----


def visible_credit_notes(user: User) -> Select:
    """A query for the credit notes the user may see: those of the invoices they may see."""
    invoice_ids = visible_invoices(user).with_only_columns(Invoice.id)
    return select(CreditNote).where(CreditNote.invoice_id.in_(invoice_ids))


def get_visible_credit_note(user: User, credit_note_id: int) -> CreditNote:
    note = db.session.get(CreditNote, credit_note_id)
    return visible(note, note is not None and may_see(user, note.invoice), "credit note")


def may_issue_credit_note(user: User, invoice: Invoice) -> bool:
    """Only the issuing provider's staff correct an invoice (not its payer, not an admin)."""
    return user.is_authenticated and user.role is Role.PROVIDER and invoice.issuer_id in user.organisation_ids


def require_issuer(user: User, invoice: Invoice) -> None:
    """For someone who may see the invoice (strangers had their 404 already): 403 unless its issuer."""
    if not may_issue_credit_note(user, invoice):
        raise Forbidden(f"Only {invoice.issuer.name} can issue a credit note for invoice {invoice.number}.")


# ---- payments received -------------------------------------------------------------------------


def may_record_payments(user: User, provider_id: int) -> bool:
    """Provider staff of that provider (not an admin: only the provider says it was paid)."""
    return user.is_authenticated and user.role is Role.PROVIDER and provider_id in user.organisation_ids


def require_payment_recorder(user: User, provider_id: int) -> None:
    allowed(
        may_record_payments(user, provider_id),
        "Only the provider that issued the invoice records the money it received.",
    )


def has_invoiced(provider, payer) -> bool:
    """Whether the provider has issued this payer (an organisation or a family) any invoice: the
    only payers it may record money from, or even name (a family's name is never revealed)."""
    is_family = isinstance(payer, Family)
    payer_is = Invoice.payer_family_id == payer.id if is_family else Invoice.payer_org_id == payer.id
    query = select(Invoice.id).where(
        Invoice.issuer_id == provider.id, payer_is, Invoice.status != InvoiceStatus.DRAFT
    )
    return db.session.scalar(query.limit(1)) is not None


def may_see_payment(user: User, payment: Payment) -> bool:
    if is_admin(user):
        return True
    if not user.is_authenticated:
        return False
    if payment.provider_id in user.organisation_ids:
        return True
    if user.role is Role.FAMILY:
        return payment.payer_family_id is not None and payment.payer_family_id == user.family_id
    return payment.payer_org_id is not None and payment.payer_org_id in user.organisation_ids


def visible_payments(user: User) -> Select:
    """A query for the payments the user may see: received by its provider, or made by it."""
    query = select(Payment)
    if is_admin(user):
        return query
    if not user.is_authenticated:
        return query.where(false())
    orgs = user.organisation_ids or {-1}
    as_payer = (
        Payment.payer_family_id == user.family_id
        if user.role is Role.FAMILY and user.family_id is not None
        else Payment.payer_org_id.in_(orgs)
    )
    return query.where(or_(Payment.provider_id.in_(orgs), as_payer))


def get_visible_payment(user: User, payment_id: int) -> Payment:
    payment = db.session.get(Payment, payment_id)
    return visible(payment, payment is not None and may_see_payment(user, payment), "payment")


def may_see_statement(user: User, provider_id: int, payer_kind: str, payer_id: int) -> bool:
    """A statement of account is the provider's and the payer's: the provider's staff, the paying
    organisation's staff (or the paying family), and admins."""
    if is_admin(user):
        return True
    if not user.is_authenticated:
        return False
    if provider_id in user.organisation_ids:
        return True
    if user.role is Role.FAMILY:
        return payer_kind == "family" and user.family_id == payer_id
    return payer_kind == "org" and payer_id in user.organisation_ids


def statement_parties(user: User, provider_id: int, payer_kind: str, payer_id: int):
    """The (provider, payer) of a statement the user may see, or a 404."""
    may = may_see_statement(user, provider_id, payer_kind, payer_id)
    provider = visible(db.session.get(Organisation, provider_id), may, "statement")
    payer = db.session.get(Organisation if payer_kind == "org" else Family, payer_id)
    return provider, visible(payer, True, "statement")
