"""The card top-up steps of the booking lifecycle (rules.TRANSITIONS, the "card" moves): a booking
`awaiting_payment` moves on when the family's card payment arrives, or is cancelled and released
when it does not come in time. Operations flush; the caller commits. Locks as in operations.py:
the booking, then the slot, then the ledger accounts.

Money: the family's card payment is an outside receipt, booked from the family's card-payments
account (money arriving from outside, so it may go below zero) to the provider's account of
top-ups received; one idempotency key per booking, so a replay changes nothing (rule 5).
"""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace import ledger
from marketplace.bookings import notices
from marketplace.bookings.models import Booking, BookingStatus
from marketplace.bookings.operations import _lock, _move, _release
from marketplace.core.allocation import allocate
from marketplace.core.clock import utcnow
from marketplace.core.errors import Conflict
from marketplace.core.money import format_pence
from marketplace.core.templating import state_label

S = BookingStatus
TOP_UP_CODE = "card_top_up"


def family_card_account(session: Session, family_id: int):
    return ledger.open_account(session, "family", family_id, "card_payments", name="Paid by card")


def top_ups_account(session: Session, provider_id: int):
    return ledger.open_account(
        session, "organisation", provider_id, "card_top_ups", name="Family top-ups paid by card"
    )


def top_up_paid(session: Session, booking: Booking, amount: int, card_payment_id: int, actor=None) -> Booking:
    """The family paid the booking's top-up by card: the money is booked in the ledger and the
    booking goes to the provider as a request (or confirmed, for instant booking). Refused (409)
    when the booking no longer waits for it (released meanwhile) or the amount differs: the
    caller keeps that money for a refund."""
    booking = _lock(session, Booking, booking.id)
    if booking.status is not S.AWAITING_PAYMENT:
        raise Conflict(
            f"This booking is no longer waiting for its top-up (it is {state_label(booking.status).lower()}).",
            code="not_awaiting_payment",
        )
    if amount != booking.top_up:
        raise Conflict(
            f"{format_pence(amount)} was paid, but the top-up is {format_pence(booking.top_up)}.",
            code="wrong_top_up",
        )
    ledger.transfer(
        session,
        family_card_account(session, booking.family_id),
        top_ups_account(session, booking.provider_id),
        amount,
        TOP_UP_CODE,
        reference=("card_payment", card_payment_id),
        idempotency_key=f"booking:{booking.id}:top_up",
    )
    to = S.CONFIRMED if booking.offer.instant_booking else S.REQUESTED
    _move(session, booking, to, actor)
    notices.tell(session, booking, notices.top_up_paid(booking))
    return booking


def release_unpaid(session: Session, booking: Booking, actor=None) -> Booking | None:
    """The top-up was not paid in time (declined, or abandoned): the booking is cancelled, the
    budget's holds released and the place given back; the family is told. Nothing is charged.
    A booking no longer awaiting payment is left as it is (returns None)."""
    booking = _lock(session, Booking, booking.id)
    if booking.status is not S.AWAITING_PAYMENT:
        return None
    _move(session, booking, S.CANCELLED, actor, "The card top-up was not paid in time")
    _release(session, booking, charge=0)
    notices.tell(session, booking, notices.top_up_not_paid(booking))
    return booking


def family_share_of_charge(booking: Booking) -> int:
    """The part of a cancellation or no-show charge the family's top-up pays: the charge split by
    largest remainder over the budget's shares and the top-up (the same split `_release` posts)."""
    if not booking.top_up or not booking.charge:
        return 0
    return allocate(booking.charge, [p.amount for p in booking.payments] + [booking.top_up])[-1]


def refund_due(booking: Booking) -> int:
    """What goes back to the family's card once its paid top-up will not buy care: all of it when
    the booking is declined, cancelled in the free period, by the provider or bumped; the top-up
    less its share of the charge after a late cancellation or a no-show; nothing otherwise."""
    if booking.status not in (S.CANCELLED, S.DECLINED, S.NO_SHOW):
        return 0
    return booking.top_up - family_share_of_charge(booking)


def refund_to_card(session: Session, booking: Booking, amount: int, refund_id: int):
    """Book a refund of the top-up in the ledger: the provider's top-ups back to the family's card
    (one idempotency key per refund row)."""
    return ledger.transfer(
        session,
        top_ups_account(session, booking.provider_id),
        family_card_account(session, booking.family_id),
        amount,
        "card_top_up_refund",
        reference=("card_refund", refund_id),
        idempotency_key=f"card_refund:{refund_id}",
    )


def unpaid_since(session: Session, minutes: int, now: datetime | None = None) -> list[int]:
    """Ids of bookings that have waited for their top-up longer than `minutes`."""
    cutoff = (now or utcnow()) - timedelta(minutes=minutes)
    return list(
        session.scalars(
            select(Booking.id)
            .where(Booking.status == S.AWAITING_PAYMENT, Booking.created_at <= cutoff)
            .order_by(Booking.id)
        )
    )
