"""The top-up sweep: bookings that waited for their card top-up longer than CARD_TOP_UP_MINUTES
(default 30) are released — holds voided, place given back, family told — unless Stripe says the
money did arrive (a webhook we missed), in which case it is recorded instead.

For each booking, Stripe is asked first and the intent cancelled there (so it cannot succeed
after we release the place), then the booking is released in a transaction of its own. A card
payment that succeeds anyway (the cancel lost a race) is kept for a refund as `needs_attention`
by `operations.record_success`, never applied to a released booking.
"""

from datetime import datetime

from flask import current_app
from sqlalchemy.orm import Session

from marketplace.bookings import top_ups
from marketplace.bookings.models import Booking, BookingStatus
from marketplace.core.errors import DomainError
from marketplace.payments import flow, gateway, operations


def release_unpaid_top_ups(session: Session, now: datetime | None = None) -> list[int]:
    """Release every booking whose top-up is overdue; returns the ids released."""
    minutes = current_app.config.get("CARD_TOP_UP_MINUTES", 30)
    released = []
    for booking_id in top_ups.unpaid_since(session, minutes, now):
        session.commit()
        if _paid_after_all(session, booking_id):
            continue
        booking = session.get(Booking, booking_id)
        if top_ups.release_unpaid(session, booking) is not None:
            for card_payment in operations.open_payments_of(session, booking_id):
                operations.record_cancelled(
                    session, card_payment, "Not paid in time: the booking was released"
                )
            released.append(booking_id)
        session.commit()
    return released


def _paid_after_all(session: Session, booking_id: int) -> bool:
    """Ask Stripe about each open card payment of the booking: record one that succeeded, and
    cancel the rest at Stripe so none can succeed after the release."""
    for card_payment in operations.open_payments_of(session, booking_id):
        if not card_payment.intent_id or not gateway.enabled():
            continue
        try:
            intent = gateway.retrieve_intent(card_payment.intent_id)
            if intent.status not in ("succeeded", "canceled", "processing"):
                intent = gateway.cancel_intent(card_payment.intent_id)
        except DomainError:
            current_app.logger.warning("Top-up sweep: could not settle %s at Stripe", card_payment.intent_id)
            continue
        flow.record_intent(session, card_payment, intent)
    return session.get(Booking, booking_id).status is not BookingStatus.AWAITING_PAYMENT
