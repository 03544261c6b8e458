"""The credit notes JSON API (CONTRACT.md), on the invoicing API blueprint: the credit notes the
caller may see (those of the invoices it may see), one with its lines, as PDF and CSV, and, for
the invoice's issuer, issuing one."""

from flask import Response
from flask_login import current_user

from marketplace.core.api import json_body
from marketplace.core.auth import signed_in
from marketplace.core.db import db
from marketplace.core.openapi import describe, page_of
from marketplace.core.schemas import parse
from marketplace.invoicing import credit_notes, documents, pdf, permissions, ubl
from marketplace.invoicing.api import bp, invoice_filtered_page
from marketplace.invoicing.models import CreditNote
from marketplace.invoicing.schemas import CreditNoteDetailOut, CreditNoteIn, CreditNoteOut


@bp.get("/credit-notes")
@describe(
    "get",
    "/credit-notes",
    "Credit notes the caller may see (of invoices issued by its provider, or addressed to it), "
    "newest first; invoice= one invoice's id",
    response=page_of(CreditNoteOut),
    params=["invoice", "page", "per_page"],
)
@signed_in
def list_credit_notes():
    return invoice_filtered_page(
        permissions.visible_credit_notes(current_user),
        CreditNoteOut,
        order_by=CreditNote.id.desc(),
        of_invoice=lambda invoice_id: CreditNote.invoice_id == invoice_id,
    )


@bp.get("/credit-notes/<int:credit_note_id>")
@describe(
    "get",
    "/credit-notes/{id}",
    "One credit note with its lines, totals and the invoice it credits",
    response=CreditNoteDetailOut,
)
@signed_in
def get_credit_note(credit_note_id: int):
    return CreditNoteDetailOut().dump(permissions.get_visible_credit_note(current_user, credit_note_id))


@bp.get("/credit-notes/<int:credit_note_id>.pdf")
@describe(
    "get",
    "/credit-notes/{id}.pdf",
    "The credit note as a PDF (application/pdf): its number, the invoice it credits, reason, lines, totals",
)
@signed_in
def get_credit_note_pdf(credit_note_id: int):
    return credit_note_pdf_response(permissions.get_visible_credit_note(current_user, credit_note_id))


@bp.get("/credit-notes/<int:credit_note_id>.csv")
@describe(
    "get",
    "/credit-notes/{id}.csv",
    "The credit note as CSV (text/csv): one row per line, with the credited invoice's number; "
    "amounts as £1,234.56, dates DD/MM/YYYY",
)
@signed_in
def get_credit_note_csv(credit_note_id: int):
    return credit_note_csv_response(permissions.get_visible_credit_note(current_user, credit_note_id))


@bp.get("/credit-notes/<int:credit_note_id>.xml")
@describe(
    "get",
    "/credit-notes/{id}.xml",
    "The credit note as an e-invoice (application/xml): a UBL 2.1 CreditNote in the Peppol BIS "
    "Billing 3.0 format referring to the invoice it corrects; 409 when a party has no electronic address",
    errors=(401, 403, 404, 409),
)
@signed_in
def get_credit_note_xml(credit_note_id: int):
    return credit_note_xml_response(permissions.get_visible_credit_note(current_user, credit_note_id))


@bp.post("/invoices/<int:invoice_id>/credit-notes")
@describe(
    "post",
    "/invoices/{id}/credit-notes",
    "The invoice's issuer credits it: `lines` [{line (position), amount (pence; omitted: all that "
    "is left on it)}] or `amount` (pence, spread over the lines in order), and a reason. 409 when "
    "that is more than is creditable (per line, or what is still due: reverse a payment first)",
    body=CreditNoteIn,
    response=CreditNoteDetailOut,
    status=201,
)
@signed_in
def post_credit_note(invoice_id: int):
    invoice = permissions.get_visible(current_user, invoice_id)
    permissions.require_issuer(current_user, invoice)
    data = parse(CreditNoteIn(), json_body(), f"Check the credit note for invoice {invoice.number}")
    note = credit_notes.issue_credit_note(
        db.session,
        invoice,
        reason=data["reason"],
        lines=data.get("lines"),
        amount=data.get("amount"),
        actor=current_user,
    )
    db.session.commit()
    return CreditNoteDetailOut().dump(note), 201


def credit_note_pdf_response(note: CreditNote) -> Response:
    return Response(
        pdf.credit_note_pdf(note),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="credit-note-{note.number}.pdf"'},
    )


def credit_note_csv_response(note: CreditNote) -> Response:
    return Response(
        documents.credit_note_csv(note),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="credit-note-{note.number}.csv"'},
    )


def credit_note_xml_response(note: CreditNote) -> Response:
    return Response(
        ubl.credit_note_xml(note),
        mimetype="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{ubl.credit_note_xml_filename(note)}"'},
    )
