"""Credit note pages, on the invoicing blueprint: the issuer's "Issue a credit note" form (each
line with a tick box and an amount in pounds, and a reason), a credit note's page (for the
issuer and the payer) with its PDF and CSV, and the credit-notes panel of the invoice page."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from marketplace.core.auth import signed_in
from marketplace.core.db import db
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.money import format_pence, parse_pounds
from marketplace.core.schemas import parse
from marketplace.invoicing import credit_notes, permissions, ubl
from marketplace.invoicing.credit_note_api import (
    credit_note_csv_response,
    credit_note_pdf_response,
    credit_note_xml_response,
)
from marketplace.invoicing.models import Invoice
from marketplace.invoicing.schemas import CreditNoteForm
from marketplace.invoicing.views import bp


@bp.context_processor
def _credit_note_panel():
    return {"credit_note_panel": credit_note_panel}


def credit_note_panel(invoice: Invoice) -> dict:
    """What the invoice page says of credit notes: those issued, and whether the caller may issue
    one now (the issuer's staff, while something is creditable) and up to how much."""
    creditable = credit_notes.creditable_amount(db.session, invoice)
    may_issue = permissions.may_issue_credit_note(current_user, invoice) and creditable > 0
    return {"notes": invoice.credit_notes, "may_issue": may_issue, "creditable": creditable}


def _issuers_invoice(invoice_id: int) -> Invoice:
    invoice = permissions.get_visible(current_user, invoice_id)
    permissions.require_issuer(current_user, invoice)
    return invoice


def _form_page(invoice: Invoice, errors=None, form=None, status=200):
    creditable = credit_notes.creditable_amount(db.session, invoice)
    if not creditable and not errors:
        raise Conflict(
            f"Invoice {invoice.number} has nothing left to credit: of its {format_pence(invoice.total)}, "
            f"{format_pence(invoice.amount_paid)} is paid and {format_pence(invoice.amount_credited)} credited. "
            "To credit money already paid, reverse the payment first.",
            code="not_creditable",
        )
    return (
        render_template(
            "invoicing/credit_note_form.html",
            invoice=invoice,
            lines=credit_notes.line_credits(db.session, invoice),
            creditable=creditable,
            errors=errors or {},
            form=form or {},
        ),
        status,
    )


@bp.get("/invoices/<int:invoice_id>/credit-notes/new")
@signed_in
def new_credit_note(invoice_id: int):
    return _form_page(_issuers_invoice(invoice_id))


@bp.post("/invoices/<int:invoice_id>/credit-notes")
@signed_in
def issue_credit_note(invoice_id: int):
    invoice = _issuers_invoice(invoice_id)
    form = request.form.to_dict()
    positions = [line.position for line in invoice.lines]
    lines, errors = _chosen_lines(positions, form)
    try:
        reason = parse(CreditNoteForm(), form)["reason"]
    except ValidationFailed as err:
        errors.update(err.fields)
    if errors:  # every problem of the form at once
        return _form_page(invoice, errors, form, status=422)
    try:
        note = credit_notes.issue_credit_note(
            db.session, invoice, reason=reason, lines=lines, actor=current_user
        )
    except (ValidationFailed, Conflict) as err:
        db.session.rollback()
        return _form_page(invoice, _form_errors(err, lines, positions), form, status=err.status)
    db.session.commit()
    flash(
        f"Credit note {note.number} issued: invoice {invoice.number} is credited {format_pence(note.total)}.",
        "success",
    )
    return redirect(url_for("invoicing.credit_note_detail", credit_note_id=note.id))


def _chosen_lines(positions: list[int], form: dict) -> tuple[list[dict], dict]:
    """The lines ticked or given an amount (£12.50, 1,234.56), as the operation takes them."""
    lines, errors = [], {}
    for position in positions:
        ticked = bool(form.get(f"line-{position}"))
        typed = (form.get(f"amount-{position}") or "").strip()
        if not (ticked or typed):
            continue
        amount = None
        if typed:
            try:
                amount = parse_pounds(typed)
            except ValueError as err:
                errors[f"amount-{position}"] = [f"Line {position}: {err}"]
                continue
        lines.append({"line": position, "amount": amount})
    if not lines and not errors:
        errors[_first_line(positions)] = ["Choose at least one line to credit"]
    return lines, errors


def _first_line(positions: list[int]) -> str:
    """The input an error about the lines as a whole points at."""
    return f"line-{positions[0]}" if positions else "reason"


def _form_errors(err, lines: list[dict], positions: list[int]) -> dict:
    """The operation's field names (lines.0.amount) as this form's inputs (amount-2)."""
    errors: dict[str, list[str]] = {}
    for name, messages in (err.fields or {}).items():
        parts = name.split(".")
        if parts[0] == "lines" and len(parts) == 3:
            position = lines[int(parts[1])]["line"]
            errors[f"{'amount' if parts[2] == 'amount' else 'line'}-{position}"] = messages
        elif name == "reason":
            errors["reason"] = messages
        else:
            errors[_first_line(positions)] = [err.message]
    return errors or {_first_line(positions): [err.message]}


@bp.get("/credit-notes/<int:credit_note_id>")
@signed_in
def credit_note_detail(credit_note_id: int):
    note = permissions.get_visible_credit_note(current_user, credit_note_id)
    return render_template(
        "invoicing/credit_note.html",
        note=note,
        invoice=note.invoice,
        no_einvoice_because=ubl.why_unavailable(note.invoice),
    )


@bp.get("/credit-notes/<int:credit_note_id>.pdf")
@signed_in
def credit_note_pdf(credit_note_id: int):
    return credit_note_pdf_response(permissions.get_visible_credit_note(current_user, credit_note_id))


@bp.get("/credit-notes/<int:credit_note_id>.csv")
@signed_in
def credit_note_csv(credit_note_id: int):
    return credit_note_csv_response(permissions.get_visible_credit_note(current_user, credit_note_id))


@bp.get("/credit-notes/<int:credit_note_id>.xml")
@signed_in
def credit_note_xml(credit_note_id: int):
    return credit_note_xml_response(permissions.get_visible_credit_note(current_user, credit_note_id))
