"""The offer's booking rules, the lifecycle's legal transitions and the moves they offer a user, and
what cancelling would cost now (the cancel operation's quote)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.bookings.cover import funding_not_accepted
from marketplace.bookings.models import Booking, BookingStatus, CancelledBy
from marketplace.bookings.permissions import acts_as
from marketplace.budgets.models import Budget, BudgetStatus
from marketplace.catalog.models import Offer, OfferStatus, Slot
from marketplace.catalog.terms import OfferTerms
from marketplace.core.clock import business_date, financial_year, london_midnight, utcnow
from marketplace.core.errors import Conflict, ValidationFailed

S = BookingStatus
# from-status -> {to-status: who may make that move}. "card" is the card payment of a top-up (its
# success moves the booking on; the sweep cancels it when the payment does not come in time).
TRANSITIONS: dict[BookingStatus, dict[BookingStatus, set[str]]] = {
    S.AWAITING_PAYMENT: {S.REQUESTED: {"card"}, S.CONFIRMED: {"card"}, S.CANCELLED: {"card"}},
    S.REQUESTED: {S.CONFIRMED: {"provider"}, S.DECLINED: {"provider"}, S.CANCELLED: {"family", "provider"}},
    S.CONFIRMED: {S.DELIVERED: {"provider"}, S.NO_SHOW: {"provider"}, S.CANCELLED: {"family", "provider"}},
    S.DELIVERED: {},
    S.DECLINED: {},
    S.CANCELLED: {},
    S.NO_SHOW: {},
}
COUNTS_TOWARDS_CAP = (S.AWAITING_PAYMENT, S.REQUESTED, S.CONFIRMED, S.DELIVERED, S.NO_SHOW)
HOLDS_A_PLACE = (S.AWAITING_PAYMENT, S.REQUESTED, S.CONFIRMED)  # upcoming, with the slot's place taken


def check_transition(booking: Booking, to: BookingStatus) -> None:
    """Refuse an illegal move with a clear 409 naming both states."""
    if to not in TRANSITIONS[booking.status]:
        raise Conflict(
            f"A {booking.status.value.replace('_', ' ')} booking cannot be {to.value.replace('_', ' ')}.",
            code="illegal_transition",
        )


@dataclass(frozen=True)
class Move:
    """A move the transition table lets one side make: `action` names it in the booking's URLs
    (a provider's cancellation is the end-of-life "bump"; the family's is "cancel")."""

    action: str
    to: BookingStatus
    side: str


_ACTIONS = {
    (S.CONFIRMED, "provider"): "confirm",
    (S.DECLINED, "provider"): "decline",
    (S.DELIVERED, "provider"): "deliver",
    (S.NO_SHOW, "provider"): "no-show",
    (S.CANCELLED, "provider"): "bump",
    (S.CANCELLED, "family"): "cancel",
}


AFTER_START = {S.DELIVERED, S.NO_SHOW}  # moves that only make sense once the care has started


def has_started(booking: Booking, now: datetime | None = None) -> bool:
    return booking.slot.starts_at <= (now or utcnow())


def moves_for(booking: Booking, user: User, now: datetime | None = None) -> list[Move]:
    """The moves `user` may offer on this booking now, family's first, each side's in TRANSITIONS
    order: marking care delivered or a no-show only once it has started (the operations refuse
    them before, too); whether a cancellation is possible now is in its quote."""
    sides = acts_as(user, booking)
    started = has_started(booking, now)
    return [
        Move(_ACTIONS[to, side], to, side)
        for side in ("family", "provider")
        if side in sides
        for to, who in TRANSITIONS[booking.status].items()
        if side in who and (started or to not in AFTER_START)
    ]


def waiting_to_start(booking: Booking, user: User, now: datetime | None = None) -> bool:
    """A confirmed stay not yet started, seen by its provider: delivered and no-show come later."""
    return (
        booking.status is S.CONFIRMED
        and "provider" in acts_as(user, booking)
        and not has_started(booking, now)
    )


def cancellation_charge(booking: Booking, now: datetime | None = None) -> int:
    """What the family would be charged to cancel now: the offer's policy as it stood at booking
    time, applied to confirmed bookings (an unconfirmed request is cancelled free)."""
    if booking.status is not S.CONFIRMED:
        return 0
    now = now or utcnow()
    notice_hours = int((booking.slot.starts_at - now).total_seconds()) // 3600
    return OfferTerms.from_dict(booking.terms).cancellation_charge(booking.cost, notice_hours)


def can_cancel(booking: Booking, now: datetime | None = None) -> bool:
    """Open, and not confirmed care that has already started (that is delivered or a no-show)."""
    if not booking.status.is_open:
        return False
    return not (booking.status is S.CONFIRMED and booking.slot.starts_at <= (now or utcnow()))


@dataclass(frozen=True)
class CancellationQuote:
    """What cancelling now would do: whether it may (`can_cancel`), the charge posted and what
    goes back to the budget. The cancel page shows it; `cancel` acts on it."""

    possible: bool
    charge: int
    released: int


def cancellation_quote(booking: Booking, by: CancelledBy, now: datetime | None = None) -> CancellationQuote:
    """Only the family pays a late-cancellation charge; a provider's cancellation (or a bump) is free."""
    charge = cancellation_charge(booking, now) if by is CancelledBy.FAMILY else 0
    return CancellationQuote(can_cancel(booking, now), charge, booking.cost - charge)


def check_bookable(
    session: Session, *, offer: Offer, slot: Slot, budget: Budget, units: int, now: datetime, emergency: bool
) -> None:
    """Every rule of the offer for this booking: the date and budget (`check_slot_for_budget`, the
    booking flow's first question), then how many units (`check_units`, its units question)."""
    check_slot_for_budget(session, offer=offer, slot=slot, budget=budget, now=now, emergency=emergency)
    check_units(session, offer=offer, slot=slot, budget=budget, units=units)


def check_slot_for_budget(
    session: Session, *, offer: Offer, slot: Slot, budget: Budget, now: datetime, emergency: bool
) -> None:
    """The rules that do not depend on how many units: published by a provider that is verified
    now, open slot in the future and inside the booking window, the budget active for the slot's
    date, the child inside the offer's ages on the slot's date, money of a kind the offer accepts,
    one place per child on a slot, bookings open at once per family, and capacity (the emergency
    reserve only for providers)."""
    if not is_open_for_booking(offer):
        raise Conflict("This short break is not open for booking.", code="offer_not_published")
    if slot.closed:
        raise Conflict("That date is closed for booking.", code="slot_closed")
    if slot.starts_at <= now:
        raise Conflict("That date has already started.", code="slot_in_past")
    if offer.booking_window_days is not None and slot.starts_at > now + timedelta(
        days=offer.booking_window_days
    ):
        opens = slot.starts_at - timedelta(days=offer.booking_window_days)
        raise Conflict(
            f"Booking for that date opens on {business_date(opens):%-d %B %Y}.", code="outside_window"
        )
    day = business_date(slot.starts_at)
    if budget.status is not BudgetStatus.ACTIVE or not budget.period_start <= day <= budget.period_end:
        raise Conflict(
            "That budget cannot pay for care on that date (it is not active for that period).",
            code="budget_not_active",
        )
    _check_age(offer, budget, day)
    _check_funding_accepted(offer, budget)
    _check_one_place_per_child(session, slot, budget)
    _check_open_bookings(session, offer, budget, now)
    reserve = 0 if emergency else offer.emergency_reserve
    if slot.capacity_left - reserve < 1:
        raise Conflict("Sorry, that date is fully booked. Choose another date.", code="fully_booked")


def check_units(session: Session, *, offer: Offer, slot: Slot, budget: Budget, units: int) -> None:
    """How many units: the offer's least and most per booking, and the child's yearly cap."""
    _check_units(offer, units)
    _check_yearly_cap(session, offer, budget, slot, units)


def is_open_for_booking(offer: Offer) -> bool:
    """Published, and its provider still verified (a withdrawn verification closes every offer)."""
    return offer.status is OfferStatus.PUBLISHED and offer.provider.is_verified


def _check_age(offer: Offer, budget: Budget, day) -> None:
    age = budget.child.age_on(day)
    if not offer.min_age <= age <= offer.max_age:
        raise Conflict(
            f"This short break is for ages {offer.min_age} to {offer.max_age}; "
            f"{budget.child.name} will be {age} on {day:%-d %B %Y}.",
            code="age_range",
        )


def _check_funding_accepted(offer: Offer, budget: Budget) -> None:
    """The offer must accept at least one kind of money the budget holds (whether that stream may
    pay for the category, and has enough, is the quote's business)."""
    refused = funding_not_accepted(offer, budget)
    if refused:
        raise Conflict(refused, code="funding_not_accepted")


def _check_one_place_per_child(session: Session, slot: Slot, budget: Budget) -> None:
    """Called with the slot row locked, so two requests for the same child cannot both pass."""
    taken = session.scalar(
        select(func.count(Booking.id)).where(
            Booking.slot_id == slot.id,
            Booking.child_id == budget.child_id,
            Booking.status.in_(HOLDS_A_PLACE),
        )
    )
    if taken:
        raise Conflict(f"{budget.child.name} already has a place on that date.", code="already_booked")


def _check_units(offer: Offer, units: int) -> None:
    low, high = offer.min_units_per_booking, offer.max_units_per_booking
    unit = offer.unit.value
    if units < low:
        raise ValidationFailed(
            f"Book at least {low} {unit}{'s' if low > 1 else ''}",
            fields={"units": [f"Book at least {low} {unit}{'s' if low > 1 else ''}"]},
        )
    if high is not None and units > high:
        raise ValidationFailed(
            f"Book at most {high} {unit}{'s' if high > 1 else ''}",
            fields={"units": [f"Book at most {high} {unit}{'s' if high > 1 else ''}"]},
        )


def yearly_used(session: Session, offer: Offer, child_id: int, day) -> int:
    """Units of `offer` booked for the child in the financial year containing `day` (requested,
    confirmed, delivered or a no-show: what counts towards the yearly cap)."""
    start, end = financial_year(day)
    return session.scalar(
        select(func.coalesce(func.sum(Booking.units), 0))
        .join(Slot, Slot.id == Booking.slot_id)
        .where(
            Booking.child_id == child_id,
            Booking.offer_id == offer.id,
            Booking.status.in_(COUNTS_TOWARDS_CAP),
            Slot.starts_at >= london_midnight(start),
            Slot.starts_at < london_midnight(end) + timedelta(days=1),
        )
    )


def open_bookings(session: Session, offer: Offer, family_id: int, now: datetime) -> int:
    """The family's upcoming bookings of `offer` holding a place (awaiting a card top-up, requested
    or confirmed: what the limit on bookings open at once counts)."""
    return session.scalar(
        select(func.count(Booking.id))
        .join(Slot, Slot.id == Booking.slot_id)
        .where(
            Booking.family_id == family_id,
            Booking.offer_id == offer.id,
            Booking.status.in_(HOLDS_A_PLACE),
            Slot.starts_at > now,
        )
    )


def _check_yearly_cap(session, offer, budget, slot, units) -> None:
    if offer.yearly_cap_per_child is None:
        return
    used = yearly_used(session, offer, budget.child_id, business_date(slot.starts_at))
    if used + units > offer.yearly_cap_per_child:
        left = max(0, offer.yearly_cap_per_child - used)
        raise Conflict(
            f"This would pass the yearly limit of {offer.yearly_cap_per_child} {offer.unit.value}s "
            f"for {budget.child.name}; {left} left this year.",
            code="yearly_cap",
        )


def _check_open_bookings(session, offer, budget, now) -> None:
    if offer.max_open_bookings_per_family is None:
        return
    open_now = open_bookings(session, offer, budget.family_id, now)
    if open_now >= offer.max_open_bookings_per_family:
        raise Conflict(
            f"You already have {open_now} upcoming booking{'' if open_now == 1 else 's'} of this short break, "
            "the most allowed "
            "at once. Book again after one has taken place.",
            code="too_many_open",
        )
