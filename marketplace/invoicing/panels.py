"""The invoicing panels of the dashboards: a provider's invoices issued and what is still owed on
them; a payer's (commissioner's or family's) invoices still to pay. Registered in views.register."""

from sqlalchemy import func, select

from marketplace.accounts.models import Role
from marketplace.core.clock import today
from marketplace.core.db import db
from marketplace.invoicing import lists
from marketplace.invoicing.models import Invoice, InvoiceStatus
from marketplace.invoicing.permissions import visible_invoices


def provider_panel(user):
    """'Invoices issued: 12, £1,234.56 still due (2 overdue)' for the provider's staff."""
    if user.role is not Role.PROVIDER or not user.organisation_ids:
        return None
    mine = visible_invoices(user).where(Invoice.issuer_id.in_(user.organisation_ids))
    issued = db.session.scalar(
        select(func.count()).select_from(mine.where(Invoice.status != InvoiceStatus.DRAFT).subquery())
    )
    return "invoicing/_panel.html", {
        "title": "Invoices",
        "view": "provider",
        "issued": issued,
        "owed": lists.owed(db.session, mine, today()),
    }


def payer_panel(user):
    """'Invoices: 3 to pay, £1,234.56 due (1 overdue)' for a commissioner's staff or a family."""
    if user.role is Role.FAMILY:
        if user.family_id is None:
            return None
        addressed = visible_invoices(user).where(Invoice.payer_family_id == user.family_id)
    elif user.role is Role.COMMISSIONER and user.organisation_ids:
        addressed = visible_invoices(user).where(Invoice.payer_org_id.in_(user.organisation_ids))
    else:
        return None
    received = db.session.scalar(select(func.count()).select_from(addressed.subquery()))
    if user.role is Role.FAMILY and not received:
        return None  # most families are never invoiced: no empty panel for them
    return "invoicing/_panel.html", {
        "title": "Your invoices" if user.role is Role.FAMILY else "Invoices",
        "view": "payer",
        "received": received,
        "owed": lists.owed(db.session, addressed, today()),
    }
