"""Invoice pages: the invoices a provider issued and those addressed to the caller's
organisation, and one invoice with its lines (CSV download from the API); and, for provider
staff, "Run invoices": a preview of what a run through a date would bill, the button that runs it
for their own organisation, and the run history (what was issued, by date)."""

from datetime import date, datetime, timedelta

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import func, select

from marketplace.accounts.models import Role
from marketplace.core.auth import signed_in
from marketplace.core.clock import today
from marketplace.core.db import db
from marketplace.core.errors import Forbidden
from marketplace.core.templating import register_nav
from marketplace.invoicing import permissions, reminders
from marketplace.invoicing.api import csv_response, pdf_response
from marketplace.invoicing.models import Invoice, InvoiceStatus
from marketplace.invoicing.runs import preview_run, run_invoices
from marketplace.invoicing.statements import invoice_statement_path

bp = Blueprint("invoicing", __name__)


def register(app) -> None:
    register_nav("invoicing.list_invoices", "Invoices", roles=("provider", "commissioner", "admin"))
    register_nav(
        "invoicing.list_statements", "Statements", roles=("provider", "commissioner", "family", "admin")
    )


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
        statuses=[(s.value, s.label) for s in InvoiceStatus],
        may_run=current_user.role is Role.PROVIDER and current_user.organisation is not None,
    )


@bp.get("/invoices/<int:invoice_id>")
@signed_in
def invoice_detail(invoice_id: int):
    invoice = permissions.get_visible(current_user, invoice_id)
    return render_template("invoicing/detail.html", invoice=invoice, **chasing(invoice))


def chasing(invoice: Invoice) -> dict:
    """When the invoice's payer was last reminded, whether the caller may remind them now (the
    issuer's staff, while something is owed) and the statement between them."""
    may_remind = current_user.role is Role.PROVIDER and invoice.issuer_id in current_user.organisation_ids
    return {
        "last_chased": reminders.last_chased(db.session, invoice) if invoice.number else None,
        "may_remind": may_remind and invoice.status in reminders.OPEN and invoice.amount_due > 0,
        "statement_link": invoice_statement_path(invoice) if invoice.number else None,
    }


@bp.get("/invoices/<int:invoice_id>.csv")
@signed_in
def invoice_csv(invoice_id: int):
    return csv_response(permissions.get_visible(current_user, invoice_id))


@bp.get("/invoices/<int:invoice_id>.pdf")
@signed_in
def invoice_pdf(invoice_id: int):
    return pdf_response(permissions.get_visible(current_user, invoice_id))


def _own_provider():
    """The provider organisation of the provider staff member asking; anyone else is refused."""
    organisation = current_user.organisation if current_user.role is Role.PROVIDER else None
    if organisation is None:
        raise Forbidden("Only a provider's staff can run its invoices.")
    return organisation


def _through(value: str | None) -> tuple[date | None, dict]:
    """The run's 'through' date from the form (yesterday if not given), or the error naming it."""
    if not value:
        return today() - timedelta(days=1), {}
    through = None
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):  # as people write it, or as the page's links send it
        try:
            through = datetime.strptime(value.strip(), pattern).date()
            break
        except ValueError:
            continue
    if through is None:
        return None, {"through": ["Enter the date to bill through as a date, for example 29/11/2026"]}
    if through > today():
        return None, {"through": ["The date to bill through must be today or earlier"]}
    return through, {}


def _history(provider_id: int) -> list:
    """The invoices the provider issued, by issue date, most recent first: (date, count, pence)."""
    rows = db.session.execute(
        select(Invoice.issue_date, func.count(Invoice.id), func.sum(Invoice.total))
        .where(Invoice.issuer_id == provider_id, Invoice.status != InvoiceStatus.DRAFT)
        .group_by(Invoice.issue_date)
        .order_by(Invoice.issue_date.desc())
        .limit(30)
    ).all()
    return [
        (issued_on, count, int(total or 0)) for issued_on, count, total in rows
    ]  # PostgreSQL sums as Decimal


def _run_page(provider, through, errors=None, form=None, summary=None, status=200):
    preview = preview_run(db.session, through, provider.id) if through is not None else []
    return (
        render_template(
            "invoicing/run.html",
            provider=provider,
            through=through,
            preview=preview,
            errors=errors or {},
            form=form or {"through": through.strftime("%d/%m/%Y") if through else ""},
            summary=summary,
            history=_history(provider.id),
        ),
        status,
    )


@bp.get("/invoices/run")
@signed_in
def run_preview():
    provider = _own_provider()
    through, errors = _through(request.args.get("through"))
    if errors:
        return _run_page(provider, None, errors, dict(request.args), status=422)
    return _run_page(provider, through)


@bp.post("/invoices/run")
@signed_in
def run_now():
    provider = _own_provider()
    through, errors = _through(request.form.get("through"))
    if errors:
        return _run_page(provider, None, errors, dict(request.form), status=422)
    summary = run_invoices(db.session, through, provider.id)  # a job: commits invoice by invoice
    return _run_page(provider, through, summary=summary)


from marketplace.invoicing import statement_views  # noqa: E402, F401  (statements share this blueprint)
