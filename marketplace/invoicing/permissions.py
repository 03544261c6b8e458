"""Who may see an invoice: the issuing provider's staff, the payer (its organisation's staff, or
its family) once it is issued, and admins; anyone else gets a 404."""

from sqlalchemy import Select, false, or_, select

from marketplace.accounts.models import Family, Organisation, Role, User
from marketplace.accounts.permissions import is_admin, visible
from marketplace.core.db import db
from marketplace.invoicing.models import Invoice, InvoiceStatus


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
