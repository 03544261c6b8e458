"""The invoices JSON API (CONTRACT.md): the invoices the caller may see, and one with its lines."""

from flask import Blueprint, Response, request
from flask_login import current_user

from marketplace.core.api import page_args
from marketplace.core.auth import signed_in
from marketplace.core.db import db
from marketplace.core.errors import ValidationFailed
from marketplace.core.ids import db_id
from marketplace.core.openapi import describe, page_of
from marketplace.core.schemas import parse
from marketplace.invoicing import documents, late_payment_api, lists, pdf, permissions, ubl
from marketplace.invoicing.models import Invoice
from marketplace.invoicing.schemas import InvoiceDetailOut, InvoiceFilters, InvoiceOut

bp = Blueprint("invoicing_api", __name__)
bp.register_blueprint(late_payment_api.bp)  # aged debt


@bp.get("/invoices")
@describe(
    "get",
    "/invoices",
    "Invoices the caller may see (issued by its provider, or addressed to it), newest first; "
    "status= one status, payer= the paying organisation's id (or family:<id>), po= a purchase-order "
    "number, budget= a budget's id, outstanding=yes only those with money still due",
    response=page_of(InvoiceOut),
    params=InvoiceFilters,
)
@signed_in
def list_invoices():
    filters = parse(InvoiceFilters(), request.args.to_dict(), "Check the filters")
    page, per_page = filters["page"], filters["per_page"] or 20
    return page_json(lists.filtered_invoices(current_user, filters), InvoiceOut, page, per_page)


def page_json(query, schema, page: int, per_page: int) -> dict:
    """One page of `query`'s rows as a list response: {items, total, page, per_page}."""
    items = db.paginate(query, page=page, per_page=per_page, error_out=False)
    return {
        "items": schema(many=True).dump(items.items),
        "total": items.total,
        "page": page,
        "per_page": per_page,
    }


def invoice_filtered_page(query, schema, *, order_by, of_invoice) -> dict:
    """A page (page=, per_page=) of what the caller may see, `query`, in `order_by` order; with
    invoice= only the rows `of_invoice(invoice_id)` selects (a 422 naming the field if it is not
    an id). The list routes of credit notes and payments."""
    page, per_page = page_args()
    if invoice := request.args.get("invoice", ""):
        try:
            invoice_id = db_id(invoice)
        except ValueError:
            raise ValidationFailed(
                "Check the filters", fields={"invoice": ["The id of an invoice"]}
            ) from None
        query = query.where(of_invoice(invoice_id))
    return page_json(query.order_by(order_by), schema, page, per_page)


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


@bp.get("/invoices/<int:invoice_id>.xml")
@describe(
    "get",
    "/invoices/{id}.xml",
    "The invoice as an e-invoice (application/xml): UBL 2.1 in the Peppol BIS Billing 3.0 format, "
    "PO in OrderReference; 409 when it cannot be made (a draft, or a party with no electronic address)",
    errors=(401, 403, 404, 409),
)
@signed_in
def get_invoice_xml(invoice_id: int):
    return xml_response(permissions.get_visible(current_user, invoice_id))


def xml_response(invoice: Invoice) -> Response:
    return Response(
        ubl.invoice_xml(invoice),
        mimetype="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{ubl.xml_filename(invoice)}"'},
    )


# Credit notes' routes live beside these, on this blueprint.
from marketplace.invoicing import credit_note_api, payment_api, statement_api  # noqa: E402, F401
