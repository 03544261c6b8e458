"""Booking pages: the family's booking flow (one question per page), bookings lists, the
provider's inbox actions and every user's notifications."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.accounts.permissions import acts_for_family, allowed, visible
from marketplace.bookings import cover, offer_panels, operations, rules, shown_rules
from marketplace.bookings.models import Booking, BookingStatus, CancelledBy
from marketplace.bookings.permissions import acts_as, can_see, visible_bookings
from marketplace.bookings.schemas import BudgetChoiceForm, QuotedForm, ReasonForm, UnitsForm
from marketplace.budgets.lookups import outcome_for_budget
from marketplace.budgets.models import Budget, BudgetStatus
from marketplace.catalog.extras import register_offer_section, register_result_notes
from marketplace.catalog.models import Slot
from marketplace.core.auth import roles_required, signed_in
from marketplace.core.clock import business_date, utcnow
from marketplace.core.dashboard import register_panel
from marketplace.core.db import db
from marketplace.core.errors import DomainError, ValidationFailed
from marketplace.core.ids import db_id
from marketplace.core.notifications import inbox, mark_read
from marketplace.core.schemas import parse
from marketplace.core.templating import register_nav

bp = Blueprint("bookings", __name__)


def register(app) -> None:
    everyone_signed_in = ("family", "provider", "commissioner", "admin")
    register_nav("bookings.my_bookings", "Bookings", roles=everyone_signed_in)
    register_nav("bookings.notifications", "Messages", roles=everyone_signed_in)
    register_panel("family", _upcoming_panel)
    register_panel("provider", _inbox_panel)
    register_offer_section(offer_panels.offer_section)
    register_result_notes(offer_panels.result_notes)


def _upcoming_panel(user):
    rows = db.session.scalars(
        visible_bookings(user)
        .where(Booking.status.in_((BookingStatus.REQUESTED, BookingStatus.CONFIRMED)))
        .order_by(Booking.id.desc())
        .limit(5)
    ).all()
    return "bookings/_panel.html", {"title": "Upcoming bookings", "bookings": rows}


def _inbox_panel(user):
    rows = db.session.scalars(
        visible_bookings(user).where(Booking.status == BookingStatus.REQUESTED).order_by(Booking.id).limit(10)
    ).all()
    return "bookings/_panel.html", {"title": "Booking requests waiting for you", "bookings": rows}


# ---- the booking flow ---------------------------------------------------------------------


def _is_id(text: str) -> bool:
    try:
        return bool(db_id(text))
    except ValueError:
        return False


def _family_budgets():
    return db.session.scalars(
        select(Budget)
        .where(Budget.family_id == current_user.family_id, Budget.status == BudgetStatus.ACTIVE)
        .order_by(Budget.id)
    ).all()


def _bookable_slot(slot_id: int) -> Slot:
    """A slot of a published offer whose provider is verified now; any other is not found."""
    slot = db.session.get(Slot, slot_id)
    return visible(slot, slot is not None and rules.is_open_for_booking(slot.offer), "date")


def _own_budget(budget_id) -> Budget:
    budget = db.session.get(Budget, budget_id) if budget_id else None
    return visible(budget, budget is not None and acts_for_family(current_user, budget.family_id), "budget")


@bp.route("/book/<int:slot_id>", methods=["GET", "POST"])
@roles_required("family")
def choose_budget(slot_id):
    """The first question. The rules that do not depend on how many (the date, the budget, the
    child's age, places, bookings open at once) are enforced here, once the budget is known."""
    slot = _bookable_slot(slot_id)
    budgets = _family_budgets()
    errors, status, chosen = {}, 200, None
    if len(budgets) == 1 and request.method == "GET":
        chosen = budgets[0]
    if request.method == "POST":
        try:
            chosen = _own_budget(parse(BudgetChoiceForm(), request.form.to_dict())["budget_id"])
        except ValidationFailed as err:
            errors, status = err.fields, 422
    if chosen is not None:
        try:
            rules.check_slot_for_budget(
                db.session, offer=slot.offer, slot=slot, budget=chosen, now=utcnow(), emergency=False
            )
            return redirect(url_for(".choose_units", slot_id=slot.id, budget_id=chosen.id))
        except DomainError as err:  # a page shown (GET) is 200; an answer refused (POST) its status
            errors, status = {"budget_id": [err.message]}, err.status if request.method == "POST" else 200
    funds = cover.FamilyFunds(db.session, current_user.family_id)
    covers = {budget.id: funds.cover(budget, slot.offer) for budget in funds.budgets}
    return render_template(
        "bookings/choose_budget.html", slot=slot, budgets=budgets, errors=errors, chosen=chosen, covers=covers
    ), status


@bp.route("/book/<int:slot_id>/units", methods=["GET", "POST"])
@roles_required("family")
def choose_units(slot_id):
    slot = _bookable_slot(slot_id)
    budget = _own_budget(request.values.get("budget_id", type=db_id))
    # "Change" on the check page comes back here with the answers given so far
    errors = {}
    form = {
        "units": request.args.get("units") or str(slot.offer.min_units_per_booking),
        "outcome_id": request.args.get("outcome_id", ""),
    }
    if request.method == "POST":
        form = {k: v for k, v in request.form.to_dict().items() if v != ""}
        try:
            data = parse(UnitsForm(), form)
            _check_units_answer(slot, budget, data["units"])
            # one question per page: the support-plan outcome, if the plan has any, comes next
            step = ".choose_outcome" if budget.outcomes else ".check_booking"
            return redirect(
                url_for(
                    step,
                    slot_id=slot.id,
                    budget_id=budget.id,
                    units=data["units"],
                    outcome_id=data["outcome_id"],
                )
            )
        except ValidationFailed as err:
            errors = err.fields
    left = shown_rules.yearly_left(db.session, slot.offer, budget.child_id, business_date(slot.starts_at))
    return render_template(
        "bookings/units.html", slot=slot, budget=budget, errors=errors, form=form, yearly_left=left
    ), (422 if errors else 200)


def _check_units_answer(slot: Slot, budget: Budget, units: int) -> None:
    """The units question enforces the rules about how many (rules.check_units, as Confirm does):
    a refusal is the answer's error, shown in the error summary beside the field."""
    try:
        rules.check_units(db.session, offer=slot.offer, slot=slot, budget=budget, units=units)
    except DomainError as err:
        fields = {"units": (err.fields or {}).get("units") or [err.message]}
        raise ValidationFailed(err.message, fields=fields) from err


@bp.route("/book/<int:slot_id>/outcome", methods=["GET", "POST"])
@roles_required("family")
def choose_outcome(slot_id):
    """Which outcome in the child's support plan this break serves (optional)."""
    slot = _bookable_slot(slot_id)
    budget = _own_budget(request.values.get("budget_id", type=db_id))
    units = parse(UnitsForm(), {"units": request.values.get("units", "")})["units"]
    errors, chosen = {}, request.values.get("outcome_id", "")
    if request.method == "POST":
        if chosen in ("", "none"):
            return redirect(url_for(".check_booking", slot_id=slot.id, budget_id=budget.id, units=units))
        outcome = outcome_for_budget(db.session, budget.id, int(chosen)) if _is_id(chosen) else None
        if outcome is not None:
            return redirect(
                url_for(
                    ".check_booking", slot_id=slot.id, budget_id=budget.id, units=units, outcome_id=outcome.id
                )
            )
        errors = {"outcome_id": ["Choose one of the outcomes in the plan, or none"]}
    return render_template(
        "bookings/outcome.html", slot=slot, budget=budget, units=units, chosen=chosen, errors=errors
    ), (422 if errors else 200)


STALE_QUOTE = ("price_changed", "terms_changed")


@bp.route("/book/<int:slot_id>/check", methods=["GET", "POST"])
@roles_required("family")
def check_booking(slot_id):
    """The check page shows the price and terms and posts back what it showed (expected_cost and a
    fingerprint of the terms): if either changed before the click, nothing is booked and the page
    comes back (409) with the new figures to confirm again."""
    slot = _bookable_slot(slot_id)
    budget = _own_budget(request.values.get("budget_id", type=db_id))
    wanted = {
        "units": request.values.get("units", ""),
        "outcome_id": request.values.get("outcome_id") or None,
    }
    data = parse(UnitsForm(), wanted)

    def page(errors=None, refused=False, status=200):
        priced = operations.quote(db.session, slot=slot, budget=budget, units=data["units"])
        return render_template(
            "bookings/check.html",
            slot=slot,
            budget=budget,
            units=data["units"],
            outcome_id=data["outcome_id"],
            quote=priced,
            terms_token=operations.terms_token(priced.terms),
            rows=priced.left_after(db.session),
            shortfall=cover.shortfall(budget, slot.offer, priced.cost, priced.cost - priced.top_up)
            if priced.top_up
            else None,
            other_budgets=len(_family_budgets()) > 1,
            errors=errors or {},
            refused=refused,
        ), status

    if request.method == "POST":
        try:
            quoted = parse(QuotedForm(), request.form.to_dict())
        except ValidationFailed:
            return page({"cost": ["Check the cost and terms below, then confirm again"]}, status=422)
        try:
            booking = operations.book(
                db.session,
                actor=current_user,
                slot=slot,
                budget=budget,
                units=data["units"],
                outcome_id=data["outcome_id"],
                expected_cost=quoted["expected_cost"],
                expected_terms=quoted["expected_terms"],
            )
        except DomainError as err:
            db.session.rollback()
            if err.code in STALE_QUOTE:
                return page({"cost": [err.message]}, status=err.status)
            return page(err.fields or {"units": [err.message]}, refused=True, status=err.status)
        db.session.commit()
        flash(f"Booking sent: {booking.status.value}. We have told the provider.", "success")
        return redirect(url_for(".booking_detail", booking_id=booking.id))
    try:  # the answers may have come by another way than the questions (a link, a changed address)
        rules.check_bookable(
            db.session,
            offer=slot.offer,
            slot=slot,
            budget=budget,
            units=data["units"],
            now=utcnow(),
            emergency=False,
        )
    except DomainError as err:  # shown, not submitted: the page itself is there to read (200)
        return page(err.fields or {"units": [err.message]}, refused=True)
    return page()


# ---- lists and detail ---------------------------------------------------------------------


@bp.get("/bookings")
@signed_in
def my_bookings():
    """Upcoming stays first (soonest first, those under way included), then past ones (latest first)."""
    now = utcnow()
    mine = visible_bookings(current_user).join(Slot, Slot.id == Booking.slot_id)
    upcoming = db.session.scalars(
        mine.where(Slot.ends_at > now).order_by(Slot.starts_at, Booking.id).limit(200)
    ).all()
    past = db.session.scalars(
        mine.where(Slot.ends_at <= now).order_by(Slot.starts_at.desc(), Booking.id.desc()).limit(200)
    ).all()
    return render_template(
        "bookings/list.html",
        upcoming=upcoming,
        past=past,
        bookings=upcoming + past,
        provider_view=current_user.role is Role.PROVIDER,
    )


def _booking(booking_id) -> Booking:
    booking = db.session.get(Booking, booking_id)
    return visible(booking, booking is not None and can_see(current_user, booking), "booking")


def _detail_page(booking: Booking, errors: dict | None = None, form: dict | None = None):
    """The booking, with the moves the user may make (rules.moves_for) and, for the family's
    cancel button, what cancelling now would cost (the operation's quote). The provider also sees
    the child's needs as the family shared them and how to reach the family."""
    sides = acts_as(current_user, booking)
    return render_template(
        "bookings/detail.html",
        booking=booking,
        family_side="family" in sides,
        provider_side="provider" in sides,
        contacts=_family_contacts(booking) if "provider" in sides else [],
        moves=rules.moves_for(booking, current_user),
        waiting_to_start=rules.waiting_to_start(booking, current_user),
        quote=rules.cancellation_quote(booking, CancelledBy.FAMILY),
        errors=errors or {},
        form=form or {},
    )


def _family_contacts(booking: Booking) -> list:
    """The family's own accounts (parents, carers, a young person), to reach about the booking."""
    return [u for u in booking.family.members if u.is_active_account and u.role is Role.FAMILY]


@bp.get("/bookings/<int:booking_id>")
@signed_in
def booking_detail(booking_id):
    return _detail_page(_booking(booking_id))


@bp.route("/bookings/<int:booking_id>/cancel", methods=["GET", "POST"])
@signed_in
def cancel_booking(booking_id):
    booking = _booking(booking_id)
    sides = acts_as(current_user, booking)
    allowed(bool(sides), "Only the family or the provider can cancel this booking.")
    by = CancelledBy.FAMILY if "family" in sides else CancelledBy.PROVIDER
    if request.method == "POST":
        reason = parse(ReasonForm(), request.form.to_dict())["reason"] or None
        try:
            operations.cancel(db.session, booking, current_user, by=by, reason=reason)
        except DomainError as err:
            db.session.rollback()
            return _detail_with_error(booking_id, err)
        db.session.commit()
        flash("The booking is cancelled.", "success")
        return redirect(url_for(".booking_detail", booking_id=booking.id))
    quote = rules.cancellation_quote(booking, by)
    if not quote.possible:
        return redirect(url_for(".booking_detail", booking_id=booking.id))
    return render_template("bookings/cancel.html", booking=booking, quote=quote, by=by)


def _detail_with_error(booking_id, err: DomainError):
    return _detail_page(_booking(booking_id), {"action": [err.message]}), err.status


PROVIDER_ACTIONS = {
    "confirm": lambda b, r: operations.confirm(db.session, b, current_user),
    "decline": lambda b, r: operations.decline(db.session, b, current_user, r),
    "deliver": lambda b, r: operations.deliver(db.session, b, current_user),
    "no-show": lambda b, r: operations.mark_no_show(db.session, b, current_user),
    "bump": lambda b, r: operations.cancel(db.session, b, current_user, by=CancelledBy.BUMP, reason=r),
}


@bp.post("/bookings/<int:booking_id>/<any(confirm, decline, deliver, 'no-show', bump):action>")
@signed_in
def provider_action(booking_id, action):
    booking = _booking(booking_id)
    allowed("provider" in acts_as(current_user, booking), "Only the provider can do that.")
    reason = parse(ReasonForm(), request.form.to_dict())["reason"] or None
    try:
        PROVIDER_ACTIONS[action](booking, reason)
    except DomainError as err:
        db.session.rollback()
        if action == "decline" and err.fields.get("reason"):
            errors = {"decline-reason": err.fields["reason"]}
            return _detail_page(_booking(booking_id), errors, request.form.to_dict()), err.status
        return _detail_with_error(booking_id, err)
    db.session.commit()
    flash(f"Booking {booking.status.value.replace('_', ' ')}.", "success")
    return redirect(url_for(".booking_detail", booking_id=booking.id))


@bp.get("/inbox")
@signed_in
def notifications():
    return render_template("bookings/inbox.html", notes=inbox(db.session, current_user))


@bp.post("/inbox/read")
@signed_in
def mark_notifications_read():
    """Reading the inbox changes nothing; this button marks the messages shown as read."""
    seen = request.form.get("up_to", "")
    mark_read(db.session, current_user, int(seen) if seen.isdigit() and int(seen) < 2**63 else None)
    db.session.commit()
    return redirect(url_for(".notifications"))
