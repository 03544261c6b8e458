"""Getting paid late, as pages: a provider's aged debt (rows: its payers) and a commissioner's aged
creditors (rows: the providers that invoiced it), each figure a link to the invoices behind it,
with a bar chart drawn on the server (SVG, no JavaScript) beside the numbers; a provider's chasing
view (overdue invoices, most overdue first, with the interest and compensation it may claim);
and the claim PDF for one overdue invoice. Dashboard panels for providers and commissioners."""

from dataclasses import dataclass

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from marketplace.accounts.models import Role
from marketplace.accounts.permissions import acts_for_organisation, visible
from marketplace.core.auth import signed_in
from marketplace.core.clock import today
from marketplace.core.dashboard import register_panel
from marketplace.core.db import db
from marketplace.core.errors import Forbidden
from marketplace.core.money import format_pence
from marketplace.invoicing import aged_debt, late_payment
from marketplace.invoicing.claim_pdf import claim_filename, claim_pdf
from marketplace.invoicing.models import Invoice

bp = Blueprint("late_payment", __name__)
PER_PAGE = 50


def register(app) -> None:
    app.register_blueprint(bp)
    register_panel("provider", provider_panel)
    register_panel("commissioner", commissioner_panel)


def _own_organisation(role: Role, what: str):
    """The organisation of the staff member asking, if they have `role`; anyone else is refused."""
    organisation = current_user.organisation if current_user.role is role else None
    if organisation is None:
        raise Forbidden(f"Only a {role.value}'s staff can see {what}.")
    return organisation


# ---- the chart ---------------------------------------------------------------------------------

BAR_COLOURS = {  # GOV.UK colours: blue not yet due, then yellow, orange, red, dark red
    "not_due": "#1d70b8",
    "days_1_30": "#ffdd00",
    "days_31_60": "#f47738",
    "days_61_90": "#d4351c",
    "days_over_90": "#942514",
}
CHART_WIDTH, CHART_HEIGHT, PLOT_TOP, PLOT_HEIGHT, BAR_WIDTH, BAR_STEP = 500, 250, 30, 170, 64, 96


@dataclass(frozen=True)
class Bar:
    label: str
    amount: str  # £1,234.56
    x: int
    y: int
    height: int
    colour: str

    @property
    def middle(self) -> int:
        return self.x + BAR_WIDTH // 2


def chart(aged: aged_debt.AgedDebt) -> dict:
    """The bars' geometry (integer pixels, scaled to the largest bucket) and the words a screen
    reader reads for the chart: the title and a description listing every figure."""
    top = max([*aged.totals.amounts.values(), 1])
    bars = []
    for index, bucket in enumerate(aged_debt.BUCKETS):
        amount = aged.totals.amounts[bucket.key]
        height = amount * PLOT_HEIGHT // top
        if amount and not height:
            height = 1  # a small debt still shows
        bars.append(
            Bar(
                bucket.label,
                format_pence(amount),
                8 + index * BAR_STEP,
                PLOT_TOP + PLOT_HEIGHT - height,
                height,
                BAR_COLOURS[bucket.key],
            )
        )
    owed = "owed to you" if aged.side == "debtors" else "you owe"
    return {
        "title": f"Amounts {owed} by days past the due date, on {aged.on:%-d %B %Y}",
        "desc": "; ".join(f"{bar.label}: {bar.amount}" for bar in bars) + ".",
        "bars": bars,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "bar_width": BAR_WIDTH,
        "baseline": PLOT_TOP + PLOT_HEIGHT,
    }


# ---- dashboard panels --------------------------------------------------------------------------


def _panel(aged: aged_debt.AgedDebt, side: str) -> dict:
    return {"aged": aged, "chart": chart(aged), "side": side, "buckets": aged_debt.BUCKETS}


def provider_panel(user):
    """What the provider is owed, by age, with a link to chase what is overdue."""
    if user.role is not Role.PROVIDER or user.organisation is None:
        return None
    aged = aged_debt.aged_debt(db.session, user.organisation.id, today())
    if aged.is_empty:
        return None
    return "invoicing/_aged_panel.html", _panel(aged, "debtors")


def commissioner_panel(user):
    """What the commissioner owes providers, by age."""
    if user.role is not Role.COMMISSIONER or user.organisation is None:
        return None
    aged = aged_debt.aged_creditors(db.session, today(), payer_org_id=user.organisation.id)
    if aged.is_empty:
        return None
    return "invoicing/_aged_panel.html", _panel(aged, "creditors")


# ---- aged debt and aged creditors --------------------------------------------------------------


@bp.get("/invoices/aged-debt")
@signed_in
def provider_aged_debt():
    provider = _own_organisation(Role.PROVIDER, "its aged debt")
    aged = aged_debt.aged_debt(db.session, provider.id, today())
    return render_template(
        "invoicing/aged_debt.html", aged=aged, chart=chart(aged), buckets=aged_debt.BUCKETS, side="debtors"
    )


@bp.get("/invoices/aged-creditors")
@signed_in
def commissioner_aged_creditors():
    payer = _own_organisation(Role.COMMISSIONER, "what it owes")
    aged = aged_debt.aged_creditors(db.session, today(), payer_org_id=payer.id)
    return render_template(
        "invoicing/aged_debt.html", aged=aged, chart=chart(aged), buckets=aged_debt.BUCKETS, side="creditors"
    )


def _figure_filters(party_arg: str) -> tuple[aged_debt.Bucket | None, tuple | None, int, dict]:
    """The bucket, the other party and the page from the query string, or the errors naming them."""
    errors = {}
    bucket_key = request.args.get("bucket", "")
    bucket = aged_debt.BY_KEY.get(bucket_key) if bucket_key else None
    if bucket_key and bucket is None:
        errors["bucket"] = ["Choose one of the aged-debt columns"]
    party_key = request.args.get(party_arg, "")
    party = aged_debt.parse_party(party_key) if party_key else None
    if party_key and (party is None or (party_arg == "provider" and party[0] is None)):
        errors[party_arg] = [f"Choose a {'payer' if party_arg == 'payer' else 'provider'} from the table"]
    page = request.args.get("page", "1")
    if not page.isdigit() or not 1 <= int(page) <= 10**6:
        errors["page"] = ["The page must be a whole number"]
    return bucket, party, int(page) if page.isdigit() else 1, errors


def _figure_page(side: str, query, bucket, party_arg: str, errors: dict, page: int):
    invoices = None
    if not errors:
        invoices = db.paginate(query, page=page, per_page=PER_PAGE, error_out=False)
    on = today()
    return (
        render_template(
            "invoicing/aged_invoices.html",
            side=side,
            on=on,
            bucket=bucket,
            invoices=invoices,
            errors=errors,
            party_arg=party_arg,
            args={k: v for k, v in request.args.items() if k in ("bucket", party_arg)},
            days_past_due={i.id: (on - i.due_date).days for i in (invoices.items if invoices else [])},
        ),
        422 if errors else 200,
    )


@bp.get("/invoices/aged-debt/invoices")
@signed_in
def provider_aged_invoices():
    """The invoices behind one of the provider's aged-debt figures (a payer, a bucket, or both)."""
    provider = _own_organisation(Role.PROVIDER, "its aged debt")
    bucket, payer, page, errors = _figure_filters("payer")
    org_id, family_id = payer or (None, None)
    query = aged_debt.invoices_behind(
        today(), bucket, provider_id=provider.id, payer_org_id=org_id, payer_family_id=family_id
    )
    return _figure_page("debtors", query, bucket, "payer", errors, page)


@bp.get("/invoices/aged-creditors/invoices")
@signed_in
def commissioner_aged_invoices():
    """The invoices behind one of the commissioner's aged-creditors figures."""
    payer = _own_organisation(Role.COMMISSIONER, "what it owes")
    bucket, provider, page, errors = _figure_filters("provider")
    query = aged_debt.invoices_behind(
        today(), bucket, provider_id=provider[0] if provider else None, payer_org_id=payer.id
    )
    return _figure_page("creditors", query, bucket, "provider", errors, page)


# ---- chasing -----------------------------------------------------------------------------------


@dataclass
class PayerTotals:
    name: str
    is_family: bool
    count: int = 0
    amount_due: int = 0
    interest: int = 0
    compensation: int = 0

    @property
    def claimable(self) -> int:
        return self.interest + self.compensation


def _by_payer(invoices: list[Invoice], claims: dict) -> list[PayerTotals]:
    totals: dict[tuple, PayerTotals] = {}
    for invoice in invoices:
        claim = claims[invoice.id]
        key = (invoice.payer_org_id, invoice.payer_family_id)
        row = totals.setdefault(key, PayerTotals(invoice.payer_name, invoice.payer_family_id is not None))
        row.count += 1
        row.amount_due += invoice.amount_due
        row.interest += claim.interest
        row.compensation += claim.compensation
    return sorted(totals.values(), key=lambda r: (-r.amount_due, r.name))


@bp.get("/invoices/chasing")
@signed_in
def chasing():
    """The provider's overdue invoices, most overdue first, with what it may claim on each and
    per payer; the reference rate in force is shown."""
    provider = _own_organisation(Role.PROVIDER, "its overdue invoices")
    on = today()
    overdue = list(
        db.session.scalars(
            aged_debt.invoices_behind(on, None, provider_id=provider.id).where(Invoice.due_date < on)
        )
    )
    table = late_payment.rate_table()
    claims = late_payment.for_invoices(db.session, overdue, on, table)
    page = request.args.get("page", "1")
    pages = max(1, -(-len(overdue) // PER_PAGE))
    page = min(int(page), pages) if page.isdigit() and int(page) > 0 else 1
    return render_template(
        "invoicing/chasing.html",
        on=on,
        rows=[(i, claims[i.id]) for i in overdue[(page - 1) * PER_PAGE : page * PER_PAGE]],
        count=len(overdue),
        page=page,
        pages=pages,
        payers=_by_payer(overdue, claims),
        totals={
            "amount_due": sum(i.amount_due for i in overdue),
            "interest": sum(c.interest for c in claims.values()),
            "compensation": sum(c.compensation for c in claims.values()),
        },
        rate=late_payment.rate_in_force(on, table),
        rate_listed=late_payment.is_listed(on, table),
        act=late_payment.ACT,
    )


# ---- the claim ---------------------------------------------------------------------------------


def _issuers_invoice(invoice_id: int) -> Invoice:
    """The invoice, for its issuer's staff (and admins): the claim is the provider's to send, so
    anyone else, the payer included, gets a 404."""
    invoice = db.session.get(Invoice, invoice_id)
    return visible(
        invoice, invoice is not None and acts_for_organisation(current_user, invoice.issuer_id), "invoice"
    )


@bp.get("/invoices/<int:invoice_id>/claim.pdf")
@signed_in
def claim(invoice_id: int):
    """The late-payment claim for an overdue invoice to an organisation, as a PDF."""
    invoice = _issuers_invoice(invoice_id)
    worked_out = late_payment.for_invoice(db.session, invoice, today())
    if worked_out is None or not worked_out.is_overdue or worked_out.not_claimable:
        reason = worked_out.not_claimable if worked_out and worked_out.not_claimable else None
        flash(
            reason
            or f"Invoice {invoice.number or '(draft)'} is not overdue: there is nothing to claim on it."
        )
        return redirect(url_for("invoicing.invoice_detail", invoice_id=invoice.id))
    return Response(
        claim_pdf(invoice, worked_out),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{claim_filename(invoice)}"'},
    )
