"""Invoice pages: the invoices a provider issued and those addressed to the caller's
organisation, and one invoice with its lines (CSV download from the API)."""

from flask import Blueprint, render_template, request
from flask_login import current_user

from marketplace.core.auth import signed_in
from marketplace.core.db import db
from marketplace.core.templating import register_nav
from marketplace.invoicing import permissions
from marketplace.invoicing.api import csv_response, pdf_response
from marketplace.invoicing.models import STATUS_LABELS, Invoice, InvoiceStatus

bp = Blueprint("invoicing", __name__)


def register(app) -> None:
    register_nav("invoicing.list_invoices", "Invoices", roles=("provider", "commissioner", "admin"))


@bp.get("/invoices")
@signed_in
def list_invoices():
    status = request.args.get("status", "")
    query = permissions.visible_invoices(current_user).order_by(Invoice.id.desc()).limit(500)
    if status in {s.value for s in InvoiceStatus}:
        query = query.where(Invoice.status == InvoiceStatus(status))
    else:
        status = ""
    invoices = db.session.scalars(query).all()
    orgs = current_user.organisation_ids
    issued = [i for i in invoices if i.issuer_id in orgs]
    received = [i for i in invoices if i.issuer_id not in orgs]
    return render_template(
        "invoicing/list.html",
        issued=issued,
        received=received,
        status=status,
        statuses=[(s.value, label) for s, label in STATUS_LABELS.items()],
    )


@bp.get("/invoices/<int:invoice_id>")
@signed_in
def invoice_detail(invoice_id: int):
    invoice = permissions.get_visible(current_user, invoice_id)
    return render_template("invoicing/detail.html", invoice=invoice)


@bp.get("/invoices/<int:invoice_id>.csv")
@signed_in
def invoice_csv(invoice_id: int):
    return csv_response(permissions.get_visible(current_user, invoice_id))


@bp.get("/invoices/<int:invoice_id>.pdf")
@signed_in
def invoice_pdf(invoice_id: int):
    return pdf_response(permissions.get_visible(current_user, invoice_id))
