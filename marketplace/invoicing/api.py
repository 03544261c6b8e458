"""The invoices JSON API (CONTRACT.md): the invoices the caller may see, and one with its lines."""

from flask import Blueprint, Response, request
from flask_login import current_user

from marketplace.core.api import page_args
from marketplace.core.auth import signed_in
from marketplace.core.db import db
from marketplace.core.errors import ValidationFailed
from marketplace.core.ids import db_id
from marketplace.core.openapi import describe, page_of
from marketplace.invoicing import documents, pdf, permissions
from marketplace.invoicing.models import Invoice, InvoiceStatus
from marketplace.invoicing.schemas import InvoiceDetailOut, InvoiceOut

bp = Blueprint("invoicing_api", __name__)


def _filters(query):
    errors = {}
    status = request.args.get("status", "")
    if status:
        if status in {s.value for s in InvoiceStatus}:
            query = query.where(Invoice.status == InvoiceStatus(status))
        else:
            errors["status"] = [f"One of {', '.join(s.value for s in InvoiceStatus)}"]
    payer = request.args.get("payer", "")
    if payer:
        try:
            query = query.where(Invoice.payer_org_id == db_id(payer))
        except ValueError:
            errors["payer"] = ["The id of the paying organisation"]
    if errors:
        raise ValidationFailed("Check the filters", fields=errors)
    return query


@bp.get("/invoices")
@describe(
    "get",
    "/invoices",
    "Invoices the caller may see (issued by its provider, or addressed to it), newest first; "
    "status= one status, payer= the paying organisation's id",
    response=page_of(InvoiceOut),
    params=["status", "payer", "page", "per_page"],
)
@signed_in
def list_invoices():
    page, per_page = page_args()
    query = _filters(permissions.visible_invoices(current_user))
    items = db.paginate(query.order_by(Invoice.id.desc()), page=page, per_page=per_page, error_out=False)
    return {
        "items": InvoiceOut(many=True).dump(items.items),
        "total": items.total,
        "page": page,
        "per_page": per_page,
    }


@bp.get("/invoices/<int:invoice_id>")
@describe("get", "/invoices/{id}", "One invoice with its lines and totals", response=InvoiceDetailOut)
@signed_in
def get_invoice(invoice_id: int):
    return InvoiceDetailOut().dump(permissions.get_visible(current_user, invoice_id))


@bp.get("/invoices/<int:invoice_id>.csv")
@describe(
    "get",
    "/invoices/{id}.csv",
    "The invoice as CSV (text/csv): one row per line; amounts as £1,234.56, dates DD/MM/YYYY",
)
@signed_in
def get_invoice_csv(invoice_id: int):
    invoice = permissions.get_visible(current_user, invoice_id)
    return csv_response(invoice)


def csv_response(invoice: Invoice) -> Response:
    return Response(
        documents.invoice_csv(invoice),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{documents.csv_filename(invoice)}"'},
    )


@bp.get("/invoices/<int:invoice_id>.pdf")
@describe(
    "get",
    "/invoices/{id}.pdf",
    "The invoice as a PDF (application/pdf): seller, buyer, number, dates, PO number, lines, totals",
)
@signed_in
def get_invoice_pdf(invoice_id: int):
    return pdf_response(permissions.get_visible(current_user, invoice_id))


def pdf_response(invoice: Invoice) -> Response:
    return Response(
        pdf.invoice_pdf(invoice),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{pdf.pdf_filename(invoice)}"'},
    )


from marketplace.invoicing import statement_api  # noqa: E402, F401  (statements share this blueprint)
