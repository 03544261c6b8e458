"""The paying organisation's pages, on the invoicing blueprint (`invoicing.views.bp`): "Invoices to
pay" (its open invoices grouped by when they fall due, overdue first, with totals per group) and
"Record a payment you made" (to one provider, with the remittance reference, allocated to that
provider's open invoices to it, oldest first unless chosen).

A payment recorded here goes through the same operation as the provider's own
(`payments.record_payment`), with the payer's staff member as the one who recorded it; the
provider sees it on its payments page. References are unique per provider and payer, so the same
remittance recorded by both sides is recorded once. Only commissioners' staff, for their own
organisation's invoices; families and providers are refused (403)."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from marketplace.accounts.models import Organisation, Role
from marketplace.core.auth import signed_in
from marketplace.core.clock import today
from marketplace.core.db import db
from marketplace.core.errors import Conflict, Forbidden, ValidationFailed
from marketplace.invoicing import payer_pages, payments, permissions
from marketplace.invoicing.models import Invoice
from marketplace.invoicing.payment_views import _on_form, _read_form
from marketplace.invoicing.views import bp


def _own_payer() -> Organisation:
    organisation = current_user.organisation if current_user.role is Role.COMMISSIONER else None
    if organisation is None:
        raise Forbidden("Only a paying organisation's staff see the invoices it has to pay.")
    return organisation


@bp.get("/invoices/to-pay")
@signed_in
def invoices_to_pay():
    payer = _own_payer()
    on = today()
    groups = payer_pages.invoices_to_pay(db.session, payer.id, on)
    return render_template(
        "invoicing/to_pay.html", payer=payer, on=on, groups=groups, total=sum(g.total for g in groups)
    )


# ---- recording a payment the payer made ------------------------------------------------------


def _provider(payer: Organisation, raw: str | None) -> Organisation | None:
    """The provider named by id, if it has invoiced the payer; else None (nothing is revealed)."""
    if not raw or not raw.isdigit() or len(raw) > 10:
        return None
    provider = db.session.get(Organisation, int(raw))
    return provider if provider is not None and permissions.has_invoiced(provider, payer) else None


def _open_invoices(provider: Organisation, payer: Organisation) -> list[Invoice]:
    return list(db.session.scalars(payments.open_invoices_query(provider.id, payer.id, None)))


# The shared form's messages speak as the provider ("the money was received"); the payer paid it.
PAYER_WORDS = (
    ("the date the money was received", "the date you paid"),
    ("The date the money was received", "The date you paid"),
    ("The money was received", "The payment was made"),
    ("amount received", "amount paid"),
    (" received", " paid"),
)


def _in_payer_words(errors: dict) -> dict:
    def reword(message: str) -> str:
        for provider_words, payer_words in PAYER_WORDS:
            message = message.replace(provider_words, payer_words)
        return message

    return {field: [reword(m) for m in messages] for field, messages in errors.items()}


def _form_page(payer, provider, form, errors=None, status=200):
    return render_template(
        "invoicing/payment_made_new.html",
        payer=payer,
        provider=provider,
        providers=payer_pages.providers_owed(db.session, payer.id) if provider is None else [],
        invoices=_open_invoices(provider, payer) if provider else [],
        form=form,
        errors=errors or {},
    ), status


@bp.get("/payments/made/new")
@signed_in
def new_payment_made():
    payer = _own_payer()
    raw = request.args.get("provider")
    provider = _provider(payer, raw)
    errors = {"provider": ["Choose who you paid"]} if raw and provider is None else {}
    return _form_page(payer, provider, {"allocate": "oldest"}, errors, 422 if errors else 200)


@bp.post("/payments/made/new")
@signed_in
def record_payment_made():
    payer = _own_payer()
    provider = _provider(payer, request.form.get("provider"))
    if provider is None:
        return _form_page(payer, None, {}, {"provider": ["Choose who you paid"]}, 422)
    form = request.form.to_dict()
    chosen = None
    try:
        data, chosen = _read_form(form, _open_invoices(provider, payer))
        payment = payments.record_payment(
            db.session, provider=provider, payer=payer, allocations=chosen, actor=current_user, **data
        )
    except (ValidationFailed, Conflict) as err:
        db.session.rollback()
        ids = [invoice.id for invoice, _ in chosen or []]
        return _form_page(payer, provider, form, _in_payer_words(_on_form(err, ids)), err.status)
    summary = "; ".join(f"{a.invoice.number} {a.invoice.status.label.lower()}" for a in payment.allocations)
    db.session.commit()
    flash(f"Your payment to {provider.name} is recorded: {summary}. {provider.name} sees it too.", "success")
    return redirect(url_for("invoicing.payment_detail", payment_id=payment.id))
