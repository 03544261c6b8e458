"""Payment pages, on the invoicing blueprint (`invoicing.views.bp`): the payments a provider
received (or a payer made), "Record a payment" (who paid, how much, when, their reference, and
the oldest invoices first or an amount per open invoice), one payment with its allocations, and
"Reverse this payment" with a reason. Provider staff record and reverse; payers only read."""

from dataclasses import dataclass

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from marketplace.accounts.models import Family, Organisation, Role
from marketplace.core.auth import signed_in
from marketplace.core.db import db
from marketplace.core.errors import Conflict, DomainError, Forbidden, ValidationFailed
from marketplace.core.ids import db_id
from marketplace.core.money import format_pence, parse_pounds
from marketplace.core.schemas import parse
from marketplace.invoicing import books, payments, permissions
from marketplace.invoicing.models import Invoice, Payment
from marketplace.invoicing.payment_schemas import PaymentForm, ReversalForm
from marketplace.invoicing.views import bp


def _own_provider() -> Organisation:
    organisation = current_user.organisation if current_user.role is Role.PROVIDER else None
    if organisation is None:
        raise Forbidden("Only a provider's staff record the payments it received.")
    return organisation


@bp.get("/payments")
@signed_in
def list_payments():
    query = permissions.visible_payments(current_user).order_by(Payment.received_on.desc(), Payment.id.desc())
    rows = db.session.scalars(query.limit(500)).all()
    orgs = current_user.organisation_ids
    return render_template(
        "invoicing/payments.html",
        received=[p for p in rows if p.provider_id in orgs or current_user.role is Role.ADMIN],
        made=[p for p in rows if p.provider_id not in orgs and current_user.role is not Role.ADMIN],
        may_record=current_user.role is Role.PROVIDER and current_user.organisation is not None,
    )


# ---- recording ---------------------------------------------------------------------------------


def _payer_from_key(provider: Organisation, key: str | None) -> Organisation | Family | None:
    """'org:12' or 'family:7', if the provider has invoiced that payer; else None."""
    kind, _, raw = (key or "").partition(":")
    model = {"org": Organisation, "family": Family}.get(kind)
    if model is None or not raw.isdigit() or len(raw) > 10:
        return None
    payer = db.session.get(model, int(raw))
    return payer if payer is not None and permissions.has_invoiced(provider, payer) else None


@dataclass(frozen=True)
class PayerOwing:
    """A payer with invoices from the provider still to pay: its key ('org:12'), name, what it
    owes in all and on how many invoices."""

    key: str
    name: str
    due: int
    invoices: int


def _payers_owing(provider_id: int) -> list[PayerOwing]:
    """The payers that owe the provider something, by name ("Who paid?")."""
    rows = db.session.execute(
        select(Invoice.payer_org_id, Invoice.payer_family_id, func.sum(books.OWED), func.count(Invoice.id))
        .where(
            Invoice.issuer_id == provider_id,
            Invoice.status.not_in(payments.NOT_PAYABLE),
            books.OWED > 0,
        )
        .group_by(Invoice.payer_org_id, Invoice.payer_family_id)
    ).all()
    owing = []
    for org_id, family_id, due, count in rows:
        payer = db.session.get(Organisation, org_id) if org_id else db.session.get(Family, family_id)
        owing.append(PayerOwing(books.payer_key(org_id, family_id), payer.name, int(due), count))
    return sorted(owing, key=lambda p: p.name)


def _open_invoices(provider: Organisation, payer) -> list[Invoice]:
    query = payments.open_invoices_query(provider.id, *payments.payer_ids(payer))
    return list(db.session.scalars(query))


def _new_page(provider, payer, form, errors=None, status=200):
    return render_template(
        "invoicing/payment_new.html",
        provider=provider,
        payer=payer,
        payer_key=books.payer_key(*payments.payer_ids(payer)) if payer else "",
        payers=_payers_owing(provider.id) if payer is None else [],
        invoices=_open_invoices(provider, payer) if payer else [],
        form=form,
        errors=errors or {},
    ), status


@bp.get("/payments/new")
@signed_in
def new_payment():
    provider = _own_provider()
    payer = _payer_from_key(provider, request.args.get("payer"))
    form = {"allocate": "oldest"}
    invoice = db.session.get(Invoice, request.args.get("invoice", type=db_id) or 0)
    if payer is not None and invoice is not None and _owes(invoice, provider, payer):  # from its page
        due = format_pence(invoice.amount_due, symbol=False)
        form = {"allocate": "choose", "amount": due, f"allocation-{invoice.id}": due}
    errors = {"payer": ["Choose who paid"]} if request.args.get("payer") and payer is None else {}
    return _new_page(provider, payer, form, errors, 422 if errors else 200)


def _owes(invoice: Invoice, provider: Organisation, payer) -> bool:
    return (
        invoice.issuer_id == provider.id and payments.is_payer_of(invoice, payer) and invoice.amount_due > 0
    )


@bp.post("/payments/new")
@signed_in
def record_payment():
    provider = _own_provider()
    payer = _payer_from_key(provider, request.form.get("payer"))
    if payer is None:
        return _new_page(provider, None, {}, {"payer": ["Choose who paid"]}, 422)
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
        return _new_page(provider, payer, form, _on_form(err, ids), err.status)
    summary = "; ".join(
        f"{a.invoice.number} {a.invoice.status.label.lower()}, {format_pence(a.invoice.amount_due)} due"
        for a in payment.allocations
    )
    db.session.commit()
    flash(f"Payment of {format_pence(payment.amount)} recorded: {summary}.", "success")
    return redirect(url_for("invoicing.payment_detail", payment_id=payment.id))


def _read_form(form: dict, invoices: list[Invoice]) -> tuple[dict, list | None]:
    """The form's fields and, when the user chose, the amount for each open invoice; every bad
    field named at once."""
    errors: dict[str, list[str]] = {}
    try:
        data = parse(PaymentForm(), form, "Check the payment")
    except ValidationFailed as err:
        data, errors = {}, dict(err.fields)
    if data.get("allocate", form.get("allocate")) != "choose":
        if errors:
            raise ValidationFailed("Check the payment", fields=errors)
        data.pop("allocate", None)
        return data, None
    chosen = []
    for invoice in invoices:
        text = form.get(f"allocation-{invoice.id}", "").strip()
        if not text:
            continue
        try:
            pence = parse_pounds(text)
        except ValueError as err:
            errors[f"allocation-{invoice.id}"] = [f"{invoice.number}: {err}"]
            continue
        if pence:
            chosen.append((invoice, pence))
    if not chosen and invoices and not any(k.startswith("allocation-") for k in errors):
        errors[f"allocation-{invoices[0].id}"] = ["Enter how much of the payment pays each invoice"]
    if errors:
        raise ValidationFailed("Check the payment", fields=errors)
    data.pop("allocate")
    return data, chosen


def _on_form(err: DomainError, ids: list[int]) -> dict:
    """The operation's fields as the form's: allocations.N.* is the Nth chosen invoice's box."""
    fields = {}
    for name, messages in (err.fields or {"amount": [err.message]}).items():
        if name.startswith("allocations."):
            index = int(name.split(".")[1])
            name = f"allocation-{ids[index]}" if index < len(ids) else "amount"
        fields.setdefault(name, []).extend(messages)
    if isinstance(err, Conflict) and err.code == "more_than_due":
        if list(fields) == ["amount"] and len(ids) == 1:  # the one invoice chosen: its box
            fields = {f"allocation-{ids[0]}": fields["amount"]}
        first = next(iter(fields))
        fields[first] = [err.message]  # the whole sentence, naming the invoice and what is due
    return fields


# ---- one payment, and reversing it -----------------------------------------------------------


def _detail(payment: Payment, errors=None, form=None, status=200):
    return render_template(
        "invoicing/payment_detail.html",
        payment=payment,
        may_reverse=permissions.may_record_payments(current_user, payment.provider_id)
        and not payment.is_reversed,
        errors=errors or {},
        form=form or {},
    ), status


@bp.get("/payments/<int:payment_id>")
@signed_in
def payment_detail(payment_id: int):
    return _detail(permissions.get_visible_payment(current_user, payment_id))


@bp.post("/payments/<int:payment_id>/reversal")
@signed_in
def reverse_payment(payment_id: int):
    payment = permissions.get_visible_payment(current_user, payment_id)
    permissions.require_payment_recorder(current_user, payment.provider_id)
    form = request.form.to_dict()
    try:
        data = parse(ReversalForm(), form, "Check the reversal")
        payments.reverse_payment(db.session, payment, data["reason"], actor=current_user)
    except (ValidationFailed, Conflict) as err:
        db.session.rollback()
        return _detail(payment, err.fields or {"reason": [err.message]}, form, err.status)
    db.session.commit()
    flash(f"Payment {payment.reference} reversed: its invoices owe that money again.", "success")
    return redirect(url_for("invoicing.payment_detail", payment_id=payment.id))
