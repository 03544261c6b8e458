"""Invoice pages: the list each user may see (a provider's invoices issued, a commissioner's or a
family's invoices received; filtered, paged, and as a CSV), one invoice with its lines (PDF and
CSV downloads), the invoicing panels of the dashboards; and, for provider staff, "Run invoices":
a preview of what a run through a date would bill, the button that runs it for their own
organisation, and the history of runs (when, through which date, by whom, what they issued)."""

from datetime import date, datetime, timedelta

from flask import Blueprint, Response, render_template, request
from flask_login import current_user

from marketplace.accounts.models import Role
from marketplace.accounts.permissions import is_admin
from marketplace.core.auth import signed_in
from marketplace.core.clock import today
from marketplace.core.dashboard import register_panel
from marketplace.core.db import db
from marketplace.core.errors import Forbidden, ValidationFailed
from marketplace.core.schemas import parse
from marketplace.core.templating import register_nav
from marketplace.invoicing import documents, late_payment, lists, panels, permissions, reminders, ubl
from marketplace.invoicing.api import csv_response, pdf_response, xml_response
from marketplace.invoicing.models import Invoice, InvoiceStatus, RunSource
from marketplace.invoicing.runs import preview_run, run_invoices
from marketplace.invoicing.schemas import InvoiceFilters
from marketplace.invoicing.statements import invoice_statement_path

bp = Blueprint("invoicing", __name__)


def register(app) -> None:
    register_nav("invoicing.list_invoices", "Invoices", roles=("provider", "commissioner", "admin"))
    register_nav("invoicing.list_invoices", "Your invoices", roles=("family",))
    register_nav("invoicing.invoices_to_pay", "To pay", roles=("commissioner",))
    register_nav("invoicing.list_payments", "Payments", roles=("provider", "commissioner", "admin"))
    register_nav(
        "invoicing.list_statements", "Statements", roles=("provider", "commissioner", "family", "admin")
    )
    register_panel("provider", panels.provider_panel)
    register_panel("commissioner", panels.payer_panel)
    register_panel("family", panels.payer_panel)
    from marketplace.invoicing import late_payment_views  # aged debt, chasing, claims: own blueprint

    late_payment_views.register(app)


PER_PAGE = 50
# The filters each kind of user is offered (and the only ones its page applies).
FILTERS = {
    "provider": ("status", "payer", "po", "outstanding"),
    "commissioner": ("status", "po", "budget", "outstanding"),
    "family": ("status", "outstanding"),
    "admin": ("status", "payer", "po", "budget", "outstanding"),
}
ISSUER_VIEWS = ("provider", "admin")  # see drafts
NAMING_CHILDREN = ("commissioner", "family", "admin")  # see the children of the budgets billed


def _perspective(user) -> str:
    """Whose list this is: a provider's invoices issued, a payer's (commissioner or family)
    invoices received, or an admin's view of all."""
    return "admin" if is_admin(user) else user.role.value


def _filters(view: str) -> tuple[dict, dict]:
    """The filters of the list (those offered to `view`), or the errors naming each bad one."""
    names = (*FILTERS[view], "page")
    args = {name: value for name, value in request.args.items() if name in names}
    try:
        loaded = parse(InvoiceFilters(), args, "Check the filters")
    except ValidationFailed as err:
        return {}, err.fields
    return {name: loaded.get(name) for name in names}, {}


def _list_page(view: str, filters: dict, errors: dict, status: int = 200):
    page = None
    if not errors:
        query = lists.filtered_invoices(current_user, filters)
        page = db.paginate(query, page=filters["page"], per_page=PER_PAGE, error_out=False)
    shown = [invoice.id for invoice in page.items] if page else []
    return render_template(
        "invoicing/list.html",
        view=view,
        offered=FILTERS[view],
        page=page,
        errors=errors,
        form=request.args.to_dict(),
        children=lists.children_of(db.session, current_user, shown) if view in NAMING_CHILDREN else {},
        # payers never see a draft: the filter does not offer one
        statuses=[
            (s.value, s.label) for s in InvoiceStatus if view in ISSUER_VIEWS or s is not InvoiceStatus.DRAFT
        ],
        payers=lists.payer_choices(db.session, current_user) if "payer" in FILTERS[view] else [],
        budgets=lists.budget_choices(db.session, current_user) if "budget" in FILTERS[view] else [],
        may_run=current_user.role is Role.PROVIDER and current_user.organisation is not None,
    ), status


@bp.get("/invoices")
@signed_in
def list_invoices():
    view = _perspective(current_user)
    filters, errors = _filters(view)
    return _list_page(view, filters, errors, 422 if errors else 200)


@bp.get("/invoices.csv")
@signed_in
def list_csv():
    """The filtered list as a CSV for people (£1,234.56, UK dates, states by label), every page."""
    view = _perspective(current_user)
    filters, errors = _filters(view)
    if errors:
        return _list_page(view, filters, errors, 422)
    invoices = db.session.scalars(lists.filtered_invoices(current_user, filters)).all()
    children = None  # a provider's CSV has no Child column
    if view in NAMING_CHILDREN:
        children = lists.children_of(db.session, current_user, [i.id for i in invoices])
    return Response(
        documents.invoice_list_csv(invoices, children),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="invoices-{today():%Y-%m-%d}.csv"'},
    )


@bp.get("/invoices/<int:invoice_id>")
@signed_in
def invoice_detail(invoice_id: int):
    invoice = permissions.get_visible(current_user, invoice_id)
    return render_template(
        "invoicing/detail.html",
        invoice=invoice,
        no_einvoice_because=ubl.why_unavailable(invoice),
        may_record_payment=permissions.may_record_payments(current_user, invoice.issuer_id),
        **chasing(invoice),
    )


def chasing(invoice: Invoice) -> dict:
    """When the invoice's payer was last reminded, whether the caller may remind them now (the
    issuer's staff, while something is owed), the statement between them and, for the issuer's
    staff, what it may claim for late payment (None unless overdue and claimable)."""
    may_remind = current_user.role is Role.PROVIDER and invoice.issuer_id in current_user.organisation_ids
    late = late_payment.for_invoice(db.session, invoice) if may_remind else None
    return {
        "last_chased": reminders.last_chased(db.session, invoice) if invoice.number else None,
        "may_remind": may_remind and invoice.status in reminders.OPEN and invoice.amount_due > 0,
        "statement_link": invoice_statement_path(invoice) if invoice.number else None,
        "claim": late if late and late.is_overdue and not late.not_claimable and late.claimable else None,
    }


@bp.get("/invoices/<int:invoice_id>.csv")
@signed_in
def invoice_csv(invoice_id: int):
    return csv_response(permissions.get_visible(current_user, invoice_id))


@bp.get("/invoices/<int:invoice_id>.pdf")
@signed_in
def invoice_pdf(invoice_id: int):
    return pdf_response(permissions.get_visible(current_user, invoice_id))


@bp.get("/invoices/<int:invoice_id>.xml")
@signed_in
def invoice_xml(invoice_id: int):
    return xml_response(permissions.get_visible(current_user, invoice_id))


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
            history=lists.run_history(db.session, provider.id),
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
    # a job: commits invoice by invoice, and records the run (who, through which date)
    summary = run_invoices(db.session, through, provider.id, source=RunSource.PAGE, started_by=current_user)
    return _run_page(provider, through, summary=summary)


# Credit notes', payments', remittances' and the payer's pages live beside these, on this blueprint.
from marketplace.invoicing import (  # noqa: E402, F401  (their routes)
    credit_note_views,
    payer_views,
    payment_views,
    remittance_views,
    statement_views,
)
