"""Booking verbs: the only code that changes bookings. Operations flush; the caller commits.

Locks, always in this order so two transactions cannot deadlock: the family row (rules that
count a family's bookings), the budget row (its status: closing a budget locks it too, so a
budget is never closed with a live hold and nothing is booked or confirmed on a closed one), the
booking, the slot (capacity, one place per child), then the stream accounts (money,
ledger.lock_accounts orders them by id).
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace import ledger
from marketplace.accounts.models import Family, User
from marketplace.bookings import cover, notices, rules
from marketplace.bookings.funding import cover_cost, eligible_streams
from marketplace.bookings.models import Booking, BookingEvent, BookingPayment, BookingStatus, CancelledBy
from marketplace.bookings.permissions import acts_for_budget, provider_knows_budget
from marketplace.budgets.books import stream_account
from marketplace.budgets.lookups import outcome_for_budget
from marketplace.budgets.models import Budget, BudgetStatus, FundingStream
from marketplace.catalog.models import Slot
from marketplace.catalog.terms import OfferTerms, price_snapshot
from marketplace.core import audit
from marketplace.core.allocation import allocate
from marketplace.core.clock import utcnow
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.core.money import format_pence
from marketplace.core.templating import uk_date
from marketplace.ledger.models import Account

S = BookingStatus
PROVIDER_ACCOUNT_KIND = "care_delivered"  # care delivered from budgets, not yet invoiced


@dataclass(frozen=True)
class Quote:
    """What a booking would cost and who would pay: shares per stream and any family top-up."""

    cost: int
    terms: OfferTerms
    streams: list[FundingStream]
    accounts: list[Account]
    shares: list[int]
    top_up: int

    def left_after(self, session: Session) -> list[tuple[FundingStream, int, int]]:
        """(stream, share, available after) for the confirmation page."""
        return [
            (s, share, ledger.balance(account).available - share)
            for s, account, share in zip(self.streams, self.accounts, self.shares, strict=True)
        ]


def provider_account(session: Session, organisation_id: int):
    return ledger.open_account(
        session,
        "organisation",
        organisation_id,
        PROVIDER_ACCOUNT_KIND,
        name="Care delivered, not yet invoiced",
    )


def quote(session: Session, *, slot: Slot, budget: Budget, units: int, locked: bool = False) -> Quote:
    """Price `units` of the slot's offer now and split the cost across the budget's streams.
    With `locked`, the streams' accounts are locked first (as booking needs)."""
    terms = price_snapshot(slot.offer)
    cost = terms.cost(units)
    streams = eligible_streams(budget, slot.offer)
    accounts = [stream_account(session, s) for s in streams]
    if locked:
        ledger.lock_accounts(session, *accounts)
    available = [ledger.balance(a).available for a in accounts]
    shares, top_up = cover_cost(cost, [s.amount for s in streams], available)
    return Quote(cost=cost, terms=terms, streams=streams, accounts=accounts, shares=shares, top_up=top_up)


def _lock(session: Session, model, id_):
    return session.scalar(
        select(model).where(model.id == id_).with_for_update().execution_options(populate_existing=True)
    )


def _lock_budget(session: Session, budget_id: int) -> Budget:
    """FOR NO KEY UPDATE, as budgets.change_budget_status takes it: booking, confirming and
    closing wait for one another, while rows that merely refer to the budget are not held up."""
    return session.scalar(
        select(Budget)
        .where(Budget.id == budget_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )


def terms_token(terms: OfferTerms) -> str:
    """A short fingerprint of the terms a page showed (price, unit, VAT, cancellation and no-show
    charges), posted back with the confirmation so a change in between is noticed."""
    return hashlib.sha256(json.dumps(terms.as_dict(), sort_keys=True).encode()).hexdigest()[:16]


def _check_quote_unchanged(priced: Quote, units: int, expected_cost: int | None, expected_terms: str | None):
    """Refuse (409, with the figures now) if the price or terms changed since the family looked."""
    if expected_cost is not None and expected_cost != priced.cost:
        unit = priced.terms.unit.value
        raise Conflict(
            f"The price has changed since you looked: {units} {unit}{'s' if units > 1 else ''} now cost "
            f"{format_pence(priced.cost)}, not {format_pence(expected_cost)}. "
            "Nothing has been booked: check the new price and confirm again.",
            code="price_changed",
            fields={"expected_cost": [f"The cost is now {format_pence(priced.cost)}"]},
        )
    if expected_terms is not None and expected_terms != terms_token(priced.terms):
        raise Conflict(
            "The provider has changed this short break's terms since you looked. "
            "Nothing has been booked: check the price and cancellation terms again and confirm.",
            code="terms_changed",
            fields={"expected_cost": ["The terms have changed"]},
        )


def book(
    session: Session,
    *,
    actor: User,
    slot: Slot,
    budget: Budget,
    units: int,
    outcome_id: int | None = None,
    emergency: bool = False,
    asked_by: User | None = None,
    expected_cost: int | None = None,
    expected_terms: str | None = None,
    top_up_by_card: bool = False,
    now: datetime | None = None,
) -> Booking:
    """Book one place on `slot` for `units` units, paid from `budget`.

    When the budget cannot cover the whole cost, the family may agree to pay the rest by card
    (`top_up_by_card`): the booking is then `awaiting_payment` with the budget's holds and the
    place taken, until the card payment moves it on (`top_ups.top_up_paid`) or the sweep
    releases it (`top_ups.release_unpaid`). Without that agreement a shortfall is refused.

    Capacity and money are checked and reserved in one transaction under row locks: exactly the
    bookings that fit succeed; the rest get a 409 and leave nothing behind.

    An emergency booking (the provider using its emergency reserve) needs a real link to the
    budget: the provider books on behalf of `asked_by`, someone who may act for the budget (its
    family, or a commissioner funding it), the family has booked with this provider before
    (`permissions.provider_knows_budget`), and the booking's history records who asked. Without
    that link the budget is "No such budget" (404), saying nothing about it.

    With `expected_cost` / `expected_terms` (what the family was shown) a price or terms change
    in between is refused with a 409 giving the new figures.
    """
    now = now or utcnow()
    if emergency and (
        asked_by is None
        or not acts_for_budget(asked_by, budget)
        or not provider_knows_budget(session, {slot.offer.organisation_id}, budget)
    ):
        raise NotFound("No such budget", fields={"budget_id": ["No such budget"]})
    if outcome_id is not None and outcome_for_budget(session, budget.id, outcome_id) is None:
        raise ValidationFailed(
            "Choose an outcome from this budget's support plan",
            fields={"outcome_id": ["Not an outcome of this budget's support plan"]},
        )
    _lock(session, Family, budget.family_id)
    budget = _lock_budget(session, budget.id)
    slot = _lock(session, Slot, slot.id)
    rules.check_bookable(
        session, offer=slot.offer, slot=slot, budget=budget, units=units, now=now, emergency=emergency
    )
    priced = quote(session, slot=slot, budget=budget, units=units, locked=True)
    _check_quote_unchanged(priced, units, expected_cost, expected_terms)
    if priced.top_up and not (top_up_by_card and priced.streams):
        raise _short(budget, slot, priced)
    booking = Booking(
        family_id=budget.family_id,
        child_id=budget.child_id,
        budget=budget,
        offer=slot.offer,
        slot=slot,
        provider_id=slot.offer.organisation_id,
        booked_by_id=actor.id,
        outcome_id=outcome_id,
        units=units,
        cost=priced.cost,
        charge=0,
        top_up=priced.top_up,
        terms=priced.terms.as_dict(),
        emergency=emergency,
        status=S.AWAITING_PAYMENT
        if priced.top_up
        else S.CONFIRMED
        if slot.offer.instant_booking
        else S.REQUESTED,
    )
    session.add(booking)
    session.flush()
    care = provider_account(session, booking.provider_id)
    for stream, account, share in zip(priced.streams, priced.accounts, priced.shares, strict=True):
        if share:
            hold = ledger.place_hold(
                session,
                account,
                care,
                share,
                "booking_hold",
                reference=("booking", booking.id),
                idempotency_key=f"booking:{booking.id}:hold:{stream.id}",
                share_credit=True,  # many budgets' holds towards one provider do not queue
            )
            session.add(BookingPayment(booking=booking, stream=stream, hold_id=hold.id, amount=share))
    slot.booked += 1
    _record(session, booking, None, actor, _asked_note(asked_by, budget) if emergency else "Booked")
    notices.tell(session, booking, notices.booked(booking))
    return booking


def _short(budget: Budget, slot: Slot, priced: Quote) -> Conflict:
    """The refusal of a budget that cannot pay, in true words (cover.shortfall): why no stream may
    pay, or how much the budget can pay and how much is missing."""
    message = cover.shortfall(budget, slot.offer, priced.cost, priced.cost - priced.top_up)
    if not priced.streams:
        return Conflict(message, code="budget_short", fields={"budget_id": [message]})
    return Conflict(
        f"{message} Agree to pay the {format_pence(priced.top_up)} top-up by card, or choose fewer units or another date.",
        code="budget_short",
        fields={"units": [f"{format_pence(priced.top_up)} more than the budget can pay"]},
    )


def confirm(session: Session, booking: Booking, actor: User) -> Booking:
    """The provider accepts a requested booking, only while its budget is still active (the
    budget row is locked, so a budget being closed waits for, or refuses, this)."""
    budget = _lock_budget(session, booking.budget_id)
    booking = _lock(session, Booking, booking.id)
    rules.check_transition(booking, S.CONFIRMED)
    if budget.status is not BudgetStatus.ACTIVE:
        raise Conflict(
            f"This booking cannot be confirmed: its budget is {budget.status.value}.",
            code="budget_not_active",
        )
    _move(session, booking, S.CONFIRMED, actor)
    notices.tell(session, booking, notices.confirmed(booking))
    return booking


def decline(session: Session, booking: Booking, actor: User, reason: str | None = None) -> Booking:
    """The provider turns down a request, saying why (the family is told the reason): the place
    and every hold are released. No reason, no decline."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "Say why you are declining this request",
            fields={"reason": ["Say why you are declining this request: the family is told"]},
        )
    booking = _lock(session, Booking, booking.id)
    _move(session, booking, S.DECLINED, actor, reason)
    _release(session, booking, charge=0)
    notices.tell(session, booking, notices.declined(booking, reason))
    return booking


def deliver(session: Session, booking: Booking, actor: User, now: datetime | None = None) -> Booking:
    """The provider confirms the care took place: every hold is posted (delivery before invoice)."""
    now = now or utcnow()
    booking = _lock(session, Booking, booking.id)
    rules.check_transition(booking, S.DELIVERED)
    if not rules.has_started(booking, now):
        raise Conflict(
            f"Care can be marked delivered only once it has started: this starts on {_starts(booking)}.",
            code="not_started",
        )
    _move(session, booking, S.DELIVERED, actor)
    ledger.lock_accounts(session, *[stream_account(session, p.stream) for p in booking.payments])
    for payment in booking.payments:
        ledger.post_hold(session, payment.hold, code="care_delivered")
    notices.tell(session, booking, notices.delivered(booking))
    return booking


def cancel(
    session: Session,
    booking: Booking,
    actor: User,
    *,
    by: CancelledBy,
    reason: str | None = None,
    now: datetime | None = None,
) -> Booking:
    """Cancel. By the family: the late-cancellation charge is posted and the rest released. By the
    provider, or a bump for end-of-life care: everything is released and the family told at once."""
    booking = _lock(session, Booking, booking.id)
    rules.check_transition(booking, S.CANCELLED)
    quote = rules.cancellation_quote(booking, by, now)
    if not quote.possible:
        raise Conflict(
            "This care has already started, so it cannot be cancelled. The provider records it as "
            "delivered or as a no-show.",
            code="already_started",
        )
    charge = quote.charge
    booking.cancelled_by = by
    _move(session, booking, S.CANCELLED, actor, reason, charge=charge)
    _release(session, booking, charge=charge)
    if by is CancelledBy.BUMP:
        notices.tell(session, booking, notices.bumped(booking))
    elif by is CancelledBy.PROVIDER:
        notices.tell(session, booking, notices.cancelled_by_provider(booking, reason))
    else:
        notices.tell(session, booking, notices.cancelled_by_family(booking, charge))
    return booking


def mark_no_show(session: Session, booking: Booking, actor: User, now: datetime | None = None) -> Booking:
    """The child did not come: the offer's no-show charge is posted and the rest released."""
    booking = _lock(session, Booking, booking.id)
    rules.check_transition(booking, S.NO_SHOW)
    if not rules.has_started(booking, now):
        raise Conflict(
            f"A no-show can be recorded only once the booking has started: it starts on {_starts(booking)}.",
            code="not_started",
        )
    charge = OfferTerms.from_dict(booking.terms).no_show_charge(booking.cost)
    _move(session, booking, S.NO_SHOW, actor, charge=charge)
    _release(session, booking, charge=charge, give_back_place=False)
    notices.tell(session, booking, notices.no_show(booking, charge))
    return booking


# ---- helpers --------------------------------------------------------------------------------


def _starts(booking: Booking) -> str:
    return uk_date(booking.slot.starts_at)  # London time, to the minute


def _move(session, booking: Booking, to: BookingStatus, actor, note=None, charge: int = 0) -> None:
    rules.check_transition(booking, to)
    before = booking.status
    booking.status = to
    booking.charge = charge
    booking.updated_at = utcnow()
    if note:
        booking.reason = note
    _record(session, booking, before, actor, note, charge)


def _record(session, booking, before, actor, note=None, charge=0) -> None:
    session.add(
        BookingEvent(
            booking=booking,
            from_status=before.value if before else None,
            to_status=booking.status.value,
            actor_id=getattr(actor, "id", None),
            note=note,
            charge=charge,
        )
    )
    audit.record(session, actor, f"booking.{booking.status.value}", booking, charge=charge)
    session.flush()


def _release(session, booking: Booking, *, charge: int, give_back_place: bool = True) -> None:
    """Post `charge` across the booking's holds (largest remainder over their amounts, and the
    family's card top-up as the last party, whose share the family keeps paying: `top_ups`) and
    release the rest; give the place back on the slot."""
    slot = _lock(session, Slot, booking.slot_id)
    payments = booking.payments
    ledger.lock_accounts(session, *[stream_account(session, p.stream) for p in payments])
    weights = [p.amount for p in payments] + ([booking.top_up] if booking.top_up else [])
    parts = allocate(charge, weights)[: len(payments)] if weights else []
    for payment, part in zip(payments, parts, strict=True):
        if part:
            ledger.post_hold(session, payment.hold, part, code="cancellation_charge")
        else:
            ledger.void_hold(session, payment.hold)
    if give_back_place:
        slot.booked -= 1
    session.flush()


def _asked_note(asked_by: User, budget: Budget) -> str:
    if asked_by.family_id == budget.family_id:
        return f"Emergency booking, asked for by {asked_by.name} (the family)"
    funders = sorted(s.funder.name for s in budget.streams if s.funder_id in asked_by.organisation_ids)
    return f"Emergency booking, asked for by {asked_by.name} ({', '.join(funders) or 'admin'})"
