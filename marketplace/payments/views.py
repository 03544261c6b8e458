"""Card-payment pages: "Pay by card" on a family's invoice, the payment page (Stripe's card
field, from Stripe.js at the configured address), the way back from Stripe, and the lists of
card payments (the family's own, a provider's topped-up bookings, the admin's failed and pending).

Every page that would take a card says plainly when card payment is switched off (no keys)."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.accounts.permissions import allowed, visible
from marketplace.bookings.models import Booking
from marketplace.core.auth import roles_required, signed_in
from marketplace.core.db import db
from marketplace.core.errors import DomainError
from marketplace.core.ids import db_id
from marketplace.core.money import format_pence
from marketplace.core.security import CONTENT_SECURITY_POLICY
from marketplace.core.templating import register_nav
from marketplace.invoicing import permissions as invoice_permissions
from marketplace.payments import flow, gateway, operations, permissions
from marketplace.payments.models import CardPayment, CardPurpose, CardStatus

bp = Blueprint("payments", __name__)
PAYMENT_PAGES = ("payments.pay_page", "payments.returned")


def register(app) -> None:
    register_nav("payments.list_card_payments", "Card payments", roles=("family", "provider", "admin"))
    app.jinja_env.globals["card_payment_offer"] = card_payment_offer
    app.jinja_env.globals["card_payments_enabled"] = lambda: gateway.enabled()
    app.jinja_env.globals["card_top_up_of"] = card_top_up_of
    app.jinja_env.globals["may_pay_for"] = lambda family_id: permissions.pays_for(current_user, family_id)


def card_payment_offer(invoice) -> dict | None:
    """What the invoice page offers the family it is addressed to: pay what is due by card (or,
    with card payment switched off, a plain statement that it is)."""
    if not permissions.pays_for(current_user, invoice.payer_family_id):
        return None
    if not operations.payable_by_card(invoice):
        return None
    return {"enabled": gateway.enabled(), "due": invoice.amount_due}


@bp.after_request
def _allow_stripe_js(response):
    """The payment pages load Stripe.js from its configured origin and let it call the API
    (and frame its card field): only these pages widen the CSP, and only by those origins."""
    if request.endpoint in PAYMENT_PAGES and gateway.enabled():
        js, api = gateway.js_origin(), gateway.api_origin()
        policy = CONTENT_SECURITY_POLICY.replace("script-src 'self'", f"script-src 'self' {js}")
        policy = policy.replace("connect-src 'self'", f"connect-src 'self' {api} {js}")
        response.headers["Content-Security-Policy"] = f"{policy}; frame-src {js}"
    return response


def _own_card_payment(card_payment_id: int) -> CardPayment:
    card_payment = db.session.get(CardPayment, card_payment_id)
    return visible(
        card_payment,
        card_payment is not None and permissions.may_see(current_user, card_payment),
        "card payment",
    )


def _paying(card_payment_id: int) -> CardPayment:
    card_payment = _own_card_payment(card_payment_id)
    allowed(
        permissions.pays_for(current_user, card_payment.family_id),
        "Only the family pays its own card payments.",
    )
    return card_payment


# ---- paying an invoice -------------------------------------------------------------------------


@bp.post("/invoices/<int:invoice_id>/pay-by-card")
@roles_required("family")
def pay_invoice(invoice_id: int):
    invoice = invoice_permissions.get_visible(current_user, invoice_id)
    allowed(permissions.pays_for(current_user, invoice.payer_family_id), "Only the family pays its invoices.")
    if not gateway.enabled():
        raise gateway.CardPaymentsOff()
    card_payment = operations.start_invoice_payment(db.session, invoice, current_user)
    db.session.commit()
    flow.open_intent(db.session, card_payment)
    return redirect(url_for(".pay_page", card_payment_id=card_payment.id))


# ---- a booking's top-up -----------------------------------------------------------------------------


@bp.post("/book/<int:slot_id>/top-up")
@roles_required("family")
def book_with_top_up(slot_id: int):
    """The check page's "Agree and pay by card": the booking is made awaiting payment (holds and
    place taken, bookings.operations.book), then its card payment; then the payment page."""
    from marketplace.bookings import operations as bookings
    from marketplace.bookings import views as booking_views
    from marketplace.bookings.schemas import QuotedForm, UnitsForm
    from marketplace.core.schemas import parse

    allowed(permissions.pays_for(current_user, current_user.family_id), "Only a family pays a top-up.")
    if not gateway.enabled():
        raise gateway.CardPaymentsOff()
    slot = booking_views._bookable_slot(slot_id)
    budget = booking_views._own_budget(request.form.get("budget_id", type=db_id))
    wanted = {"units": request.form.get("units", ""), "outcome_id": request.form.get("outcome_id") or None}
    back = url_for("bookings.check_booking", slot_id=slot.id, budget_id=budget.id, **wanted)
    try:
        data = parse(UnitsForm(), wanted)
        quoted = parse(QuotedForm(), request.form.to_dict())
        booking = bookings.book(
            db.session,
            actor=current_user,
            slot=slot,
            budget=budget,
            units=data["units"],
            outcome_id=data["outcome_id"],
            expected_cost=quoted["expected_cost"],
            expected_terms=quoted["expected_terms"],
            top_up_by_card=True,
        )
        card_payment = operations.start_top_up(db.session, booking, current_user) if booking.top_up else None
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
        return redirect(back)
    db.session.commit()
    if card_payment is None:  # the budget covers it all now: nothing to pay by card
        flash("Booking sent. We have told the provider.", "success")
        return redirect(url_for("bookings.booking_detail", booking_id=booking.id))
    flow.open_intent(db.session, card_payment)
    return redirect(url_for(".pay_page", card_payment_id=card_payment.id))


@bp.post("/bookings/<int:booking_id>/pay-top-up")
@roles_required("family")
def pay_top_up(booking_id: int):
    """Pay (or try again to pay) the top-up of a booking that awaits it."""
    booking = db.session.get(Booking, booking_id)
    visible(booking, booking is not None and permissions.pays_for(current_user, booking.family_id), "booking")
    if not gateway.enabled():
        raise gateway.CardPaymentsOff()
    card_payment = operations.start_top_up(db.session, booking, current_user)
    db.session.commit()
    flow.open_intent(db.session, card_payment)
    return redirect(url_for(".pay_page", card_payment_id=card_payment.id))


def card_top_up_of(booking) -> CardPayment | None:
    """The latest card payment of a booking's top-up (for the booking page)."""
    if not booking.top_up:
        return None
    return db.session.scalar(
        select(CardPayment)
        .where(CardPayment.booking_id == booking.id)
        .order_by(CardPayment.id.desc())
        .limit(1)
    )


# ---- the payment page and the way back ------------------------------------------------------------


def _what_for(card_payment: CardPayment) -> tuple[str, str]:
    """(what the payment is for, the page it belongs to)."""
    if card_payment.purpose is CardPurpose.INVOICE:
        invoice = card_payment.invoice
        return f"Invoice {invoice.number} from {invoice.issuer.name}", url_for(
            "invoicing.invoice_detail", invoice_id=invoice.id
        )
    booking = card_payment.booking
    return f"Top-up for {booking.offer.title} for {booking.child.name}", url_for(
        "bookings.booking_detail", booking_id=booking.id
    )


@bp.get("/card-payments/<int:card_payment_id>")
@signed_in
def pay_page(card_payment_id: int):
    card_payment = _own_card_payment(card_payment_id)
    what, back = _what_for(card_payment)
    intent = None
    may_pay = (
        permissions.pays_for(current_user, card_payment.family_id)
        and card_payment.status in operations.OPEN
        and gateway.enabled()
        and card_payment.intent_id is not None
    )
    if may_pay:
        intent = gateway.retrieve_intent(card_payment.intent_id)
    return render_template(
        "payments/pay.html",
        card_payment=card_payment,
        what=what,
        back=back,
        intent=intent,
        enabled=gateway.enabled(),
        publishable_key=current_app.config.get("STRIPE_PUBLISHABLE_KEY", ""),
        stripe_js=current_app.config.get("STRIPE_JS_URL"),
    )


@bp.post("/card-payments/<int:card_payment_id>/intent")
@roles_required("family")
def open_intent(card_payment_id: int):
    """Make (or find again) the payment at Stripe for a card payment that has none yet."""
    card_payment = _paying(card_payment_id)
    if card_payment.status in operations.OPEN:
        flow.open_intent(db.session, card_payment)
    return redirect(url_for(".pay_page", card_payment_id=card_payment.id))


@bp.post("/card-payments/<int:card_payment_id>/card")
@roles_required("family")
def pay_with_card(card_payment_id: int):
    """The card field's token (made by Stripe.js in the browser; card numbers never reach us)."""
    card_payment = _paying(card_payment_id)
    token = (request.form.get("token") or "").strip()
    if not token.startswith("tok_") or len(token) > 255:
        flash("Enter your card details, then press Pay.", "error")
        return redirect(url_for(".pay_page", card_payment_id=card_payment.id))
    if card_payment.status in operations.OPEN:
        card_payment = flow.pay_with_token(db.session, card_payment, token)
    return _after_paying(card_payment)


@bp.get("/card-payments/<int:card_payment_id>/return")
@roles_required("family")
def returned(card_payment_id: int):
    """Stripe sends the family back here: the page checks the payment (a POST, sent by script or
    by the button)."""
    card_payment = _paying(card_payment_id)
    what, back = _what_for(card_payment)
    return render_template("payments/returned.html", card_payment=card_payment, what=what, back=back)


@bp.post("/card-payments/<int:card_payment_id>/check")
@roles_required("family")
def check_payment(card_payment_id: int):
    card_payment = _paying(card_payment_id)
    if card_payment.status in operations.OPEN and gateway.enabled():
        card_payment = flow.check_with_stripe(db.session, card_payment)
    return _after_paying(card_payment)


def _after_paying(card_payment: CardPayment):
    what, back = _what_for(card_payment)
    if card_payment.status is CardStatus.SUCCEEDED:
        flash(f"Thank you: your card payment of {format_pence(card_payment.amount)} was received.", "success")
        return redirect(back)
    if card_payment.status is CardStatus.FAILED:
        flash(f"Your card was not charged: {card_payment.note}", "error")
    return redirect(url_for(".pay_page", card_payment_id=card_payment.id))


# ---- lists -----------------------------------------------------------------------------------------


@bp.get("/card-payments")
@roles_required("family", "provider")
def list_card_payments():
    query = permissions.visible_card_payments(current_user).order_by(CardPayment.id.desc()).limit(500)
    rows = db.session.scalars(query).all()
    if current_user.role is Role.ADMIN:
        rows = [r for r in rows if r.status is not CardStatus.SUCCEEDED or r.amount_refunded]
    return render_template("payments/list.html", rows=rows, role=current_user.role.value)


from marketplace.payments import webhook  # noqa: E402, F401  (its route is on this blueprint)
