"""Statements of account (page, CSV, PDF) and a provider's "Send a reminder" on an invoice.

A provider's staff see a statement per payer, a paying organisation's staff theirs per provider,
a family its own; anyone else gets a 404 (permissions.statement_parties). The period is chosen
with UK dates; by default the financial year so far (statements.default_period).
"""

from datetime import date

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from marketplace.accounts.models import Role
from marketplace.accounts.permissions import allowed, is_admin
from marketplace.core.auth import signed_in
from marketplace.core.db import db
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.schemas import parse
from marketplace.invoicing import permissions, reminders, statement_documents, statements
from marketplace.invoicing.schemas import StatementPeriodForm
from marketplace.invoicing.views import bp

STATEMENT = statements.STATEMENT_RULE


def period(args) -> tuple[date, date]:
    """The period ?from=&to= names (UK dates), or the default; bad dates are a 422 naming them."""
    if not args.get("from") and not args.get("to"):
        return statements.default_period()
    given = {key: value for key, value in args.items() if value.strip()}  # a blank date is a missing one
    data = parse(StatementPeriodForm(), given, "Check the dates of the statement")
    return data["from_"], data["to"]


def parties(provider_id: int, payer_kind: str, payer_id: int):
    return permissions.statement_parties(current_user, provider_id, payer_kind, payer_id)


def statement_for(provider_id: int, payer_kind: str, payer_id: int, args) -> statements.Statement:
    provider, payer = parties(provider_id, payer_kind, payer_id)
    start, end = period(args)
    return statements.statement(db.session, provider, payer, start, end)


@bp.get("/statements")
@signed_in
def list_statements():
    user = current_user
    if is_admin(user):
        pairs = statements.counterparties(db.session, everyone=True)
    elif user.role is Role.FAMILY:
        pairs = statements.counterparties(db.session, family_id=user.family_id)
    else:
        orgs = user.organisation_ids
        pairs = statements.counterparties(db.session, provider_ids=orgs, payer_org_ids=orgs)
    mine = user.organisation_ids
    return render_template(
        "invoicing/statements.html",
        owed_to_you=[p for p in pairs if p.provider.id in mine],
        owed_by_you=[p for p in pairs if p.provider.id not in mine],
        is_admin=is_admin(user),
    )


@bp.get(STATEMENT)
@signed_in
def statement_page(provider_id: int, payer_kind: str, payer_id: int):
    provider, payer = parties(provider_id, payer_kind, payer_id)
    try:
        start, end = period(request.args)
    except ValidationFailed as err:
        form = {"from": request.args.get("from", ""), "to": request.args.get("to", "")}
        page = render_template(
            "invoicing/statement.html", provider=provider, payer=payer, s=None, errors=err.fields, form=form
        )
        return page, 422
    stmt = statements.statement(db.session, provider, payer, start, end)
    form = {"from": start.strftime("%d/%m/%Y"), "to": end.strftime("%d/%m/%Y")}
    return render_template(
        "invoicing/statement.html", provider=provider, payer=payer, s=stmt, errors={}, form=form
    )


@bp.get(STATEMENT + ".csv")
@signed_in
def statement_csv(provider_id: int, payer_kind: str, payer_id: int):
    stmt = statement_for(provider_id, payer_kind, payer_id, request.args)
    return _download(
        statement_documents.statement_csv(stmt), "text/csv", statement_documents.filename(stmt, "csv")
    )


@bp.get(STATEMENT + ".pdf")
@signed_in
def statement_pdf(provider_id: int, payer_kind: str, payer_id: int):
    stmt = statement_for(provider_id, payer_kind, payer_id, request.args)
    body = statement_documents.statement_pdf(stmt)
    return _download(body, "application/pdf", statement_documents.filename(stmt, "pdf"))


def _download(body, mimetype: str, name: str) -> Response:
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.post("/invoices/<int:invoice_id>/remind")
@signed_in
def send_reminder(invoice_id: int):
    """The provider that issued the invoice reminds its payer, with a link to their statement."""
    invoice = permissions.get_visible(current_user, invoice_id)
    allowed(
        current_user.role is Role.PROVIDER and invoice.issuer_id in current_user.organisation_ids,
        "Only the provider that issued an invoice can send a reminder about it.",
    )
    payer = invoice.payer_name
    try:
        reminders.remind_now(db.session, invoice, current_user)
    except Conflict as err:
        db.session.rollback()
        flash(err.message, "info")
    else:
        db.session.commit()
        flash(f"Reminder sent to {payer}, with a link to your statement of account with them.", "success")
    return redirect(url_for("invoicing.invoice_detail", invoice_id=invoice_id))
