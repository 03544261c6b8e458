"""Bookings JSON API: POST /bookings and the transitions, as CONTRACT.md lists them."""

from flask import Blueprint, request
from flask_login import current_user

from marketplace.accounts.models import User
from marketplace.accounts.permissions import acts_for_family, acts_for_organisation, allowed, visible
from marketplace.bookings import operations
from marketplace.bookings.models import Booking, BookingStatus, CancelledBy
from marketplace.bookings.permissions import (
    acts_as,
    acts_for_budget,
    can_see,
    provider_knows_budget,
    visible_bookings,
)
from marketplace.bookings.schemas import BookingIn, BookingOut, ReasonIn
from marketplace.budgets.models import Budget
from marketplace.catalog.models import Slot
from marketplace.core.api import json_body, page_args
from marketplace.core.auth import signed_in
from marketplace.core.db import db
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.core.openapi import describe, page_of
from marketplace.core.schemas import parse

bp = Blueprint("bookings_api", __name__)


@bp.post("/bookings")
@describe(
    "post",
    "/bookings",
    "Book a slot against a budget (409 when capacity or money is short, or when the optional "
    "expected_cost, the cost in pence the caller was quoted, differs from the cost now). "
    "emergency: true is for the slot's provider only, and needs asked_by: the id of the user who "
    "asked for it (the budget's family, or a commissioner funding the budget), and only for a "
    "family that has booked with this provider before; otherwise the budget is 404 No such budget",
    body=BookingIn,
    response=BookingOut,
    status=201,
)
@signed_in
def create_booking():
    data = parse(BookingIn(), json_body())
    slot = db.session.get(Slot, data["slot_id"])
    budget = db.session.get(Budget, data["budget_id"])
    asked_by = None
    if data["emergency"]:
        # The provider books its emergency reserve on behalf of someone who may act for the
        # budget (operations.book); a caller with neither link learns nothing about the budget.
        asked_by = db.session.get(User, data["asked_by"]) if data["asked_by"] else None
        linked = acts_for_budget(asked_by, budget) and provider_knows_budget(
            db.session, current_user.organisation_ids, budget
        )
        if budget is None or not (acts_for_budget(current_user, budget) or linked):
            raise NotFound("No such budget", fields={"budget_id": ["No such budget"]})
    errors = {}
    if slot is None:
        errors["slot_id"] = ["No such slot"]
    if budget is None or not (acts_for_family(current_user, budget.family_id) or data["emergency"]):
        errors["budget_id"] = ["No such budget"]
    if errors:
        raise ValidationFailed("Check the booking", fields=errors)
    if data["emergency"]:
        allowed(
            acts_for_organisation(current_user, slot.offer.organisation_id),
            "Only the provider can book its emergency capacity.",
        )
        if not acts_for_budget(asked_by, budget):
            raise ValidationFailed(
                "Say who asked for this emergency booking",
                fields={
                    "asked_by": ["The id of the family member, or commissioner funding the budget, who asked"]
                },
            )
    booking = operations.book(
        db.session,
        actor=current_user,
        slot=slot,
        budget=budget,
        units=data["units"],
        outcome_id=data["outcome_id"],
        emergency=data["emergency"],
        asked_by=asked_by,
        expected_cost=data["expected_cost"],
    )
    db.session.commit()
    return BookingOut().dump(booking), 201


@bp.get("/bookings")
@describe(
    "get",
    "/bookings",
    "Bookings the caller may see",
    response=page_of(BookingOut),
    params=["status", "page", "per_page"],
)
@signed_in
def list_bookings():
    page, per_page = page_args()
    query = visible_bookings(current_user)
    status = request.args.get("status")
    if status:
        if status not in {s.value for s in BookingStatus}:
            raise ValidationFailed(
                "Unknown status", fields={"status": [f"One of {', '.join(s.value for s in BookingStatus)}"]}
            )
        query = query.where(Booking.status == BookingStatus(status))
    items = db.paginate(query.order_by(Booking.id.desc()), page=page, per_page=per_page, error_out=False)
    return {
        "items": BookingOut(many=True).dump(items.items),
        "total": items.total,
        "page": page,
        "per_page": per_page,
    }


def _booking(booking_id: int) -> Booking:
    booking = db.session.get(Booking, booking_id)
    return visible(booking, booking is not None and can_see(current_user, booking), "booking")


@bp.get("/bookings/<int:booking_id>")
@describe("get", "/bookings/{id}", "One booking", response=BookingOut)
@signed_in
def get_booking(booking_id):
    return BookingOut().dump(_booking(booking_id))


def _transition(booking_id: int, side: str, action):
    booking = _booking(booking_id)
    allowed(side in acts_as(current_user, booking), f"Only the {side} can do that to this booking.")
    reason = parse(ReasonIn(), request.get_json(silent=True) or {}).get("reason")
    action(booking, reason)
    db.session.commit()
    return BookingOut().dump(booking)


def _route(name: str, side: str, summary: str, action):
    path = f"/bookings/<int:booking_id>/{name}"
    view = signed_in(lambda booking_id: _transition(booking_id, side, action))
    view.__name__ = f"booking_{name.replace('-', '_')}"
    describe("post", f"/bookings/{{id}}/{name}", summary, body=ReasonIn, response=BookingOut)(view)
    bp.add_url_rule(path, view_func=view, methods=["POST"])


def _cancel(booking, reason):
    by = CancelledBy.FAMILY if "family" in acts_as(current_user, booking) else CancelledBy.PROVIDER
    return operations.cancel(db.session, booking, current_user, by=by, reason=reason)


_route(
    "confirm",
    "provider",
    "The provider confirms a requested booking",
    lambda b, r: operations.confirm(db.session, b, current_user),
)
_route(
    "decline",
    "provider",
    "The provider declines a requested booking",
    lambda b, r: operations.decline(db.session, b, current_user, r),
)
_route(
    "deliver",
    "provider",
    "The provider confirms the care was delivered (posts the holds)",
    lambda b, r: operations.deliver(db.session, b, current_user),
)
_route(
    "no-show",
    "provider",
    "The provider records a no-show (posts the no-show charge)",
    lambda b, r: operations.mark_no_show(db.session, b, current_user),
)
_route(
    "bump",
    "provider",
    "The provider cancels for end-of-life care; the family is told at once",
    lambda b, r: operations.cancel(db.session, b, current_user, by=CancelledBy.BUMP, reason=r),
)


@bp.post("/bookings/<int:booking_id>/cancel")
@describe(
    "post",
    "/bookings/{id}/cancel",
    "Cancel: the family pays the offer's late-cancellation charge; the provider cancels free",
    body=ReasonIn,
    response=BookingOut,
)
@signed_in
def cancel_booking(booking_id):
    booking = _booking(booking_id)
    allowed(bool(acts_as(current_user, booking)), "Only the family or the provider can cancel this booking.")
    reason = parse(ReasonIn(), request.get_json(silent=True) or {}).get("reason")
    _cancel(booking, reason)
    db.session.commit()
    return BookingOut().dump(booking)
