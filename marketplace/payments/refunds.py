"""Refunds of paid top-ups: a booking whose card top-up was paid and that will not take place as
paid for — declined, cancelled in the free period, by the provider or bumped for end-of-life care
(all of it), cancelled late or a no-show (the top-up less its share of the charge, split by the
same largest-remainder rule as the budget's: `bookings.top_ups.refund_due`).

As with payments, our row comes first and is committed (its id is the Stripe idempotency key and
the refund's metadata), then Stripe refunds, then the refund is recorded — the card payment's
`amount_refunded`, the ledger (provider's top-ups back to the family's card) and a message to the
family — once. `refund_cancelled_top_ups` runs in the card-payment job (every five minutes) and
`marketplace payments sweep`.
"""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.bookings import top_ups
from marketplace.bookings.models import Booking, BookingStatus
from marketplace.core.clock import utcnow
from marketplace.core.errors import Conflict
from marketplace.core.money import format_pence
from marketplace.core.notifications import notify
from marketplace.payments import gateway
from marketplace.payments.models import CardPayment, CardPurpose, CardRefund, CardStatus
from marketplace.payments.operations import lock_card_payment

ENDED = (BookingStatus.CANCELLED, BookingStatus.DECLINED, BookingStatus.NO_SHOW)


def refunds_owed(session: Session) -> list[tuple[int, int]]:
    """(card payment id, amount) for each paid top-up whose booking ended and that is owed more
    back than has been refunded or started."""
    asked = (
        select(func.coalesce(func.sum(CardRefund.amount), 0))
        .where(CardRefund.card_payment_id == CardPayment.id)
        .scalar_subquery()
    )
    rows = session.execute(
        select(CardPayment, asked)
        .join(Booking, Booking.id == CardPayment.booking_id)
        .where(
            CardPayment.purpose == CardPurpose.TOP_UP,
            CardPayment.status == CardStatus.SUCCEEDED,
            Booking.status.in_(ENDED),
        )
        .order_by(CardPayment.id)
    ).all()
    owed = []
    for card_payment, already in rows:
        left = top_ups.refund_due(card_payment.booking) - already
        if left > 0:
            owed.append((card_payment.id, left))
    return owed


def start_refund(session: Session, card_payment_id: int, amount: int, reason: str) -> CardRefund:
    """Our refund row, under the card payment's lock (never more than was paid)."""
    card_payment = lock_card_payment(session, card_payment_id)
    asked = session.scalar(
        select(func.coalesce(func.sum(CardRefund.amount), 0)).where(
            CardRefund.card_payment_id == card_payment.id
        )
    )
    if amount <= 0 or asked + amount > card_payment.amount:
        raise Conflict(
            f"A refund of {format_pence(amount)} would give back more than the {format_pence(card_payment.amount)} paid.",
            code="refund_too_large",
        )
    refund = CardRefund(card_payment_id=card_payment.id, amount=amount, reason=reason)
    session.add(refund)
    session.flush()
    return refund


def record_refund(session: Session, refund: CardRefund, stripe_refund_id: str) -> CardRefund:
    """Stripe refunded: the card payment, the ledger and the family know, once."""
    card_payment = lock_card_payment(session, refund.card_payment_id)
    refund = session.scalar(
        select(CardRefund).where(CardRefund.id == refund.id).execution_options(populate_existing=True)
    )
    if refund.refunded_at is not None:
        return refund
    refund.refund_id = stripe_refund_id
    refund.refunded_at = utcnow()
    card_payment.amount_refunded += refund.amount
    booking = card_payment.booking
    top_ups.refund_to_card(session, booking, refund.amount, refund.id)
    family = list(session.scalars(select(User).where(User.family_id == card_payment.family_id)))
    notify(
        session,
        family,
        f"{format_pence(refund.amount)} refunded to your card",
        f"{refund.reason}. The refund of your card top-up for {booking.offer.title} on "
        f"{booking.slot.starts_at:%-d %B %Y} reaches your card in a few days.",
        link="/card-payments",
    )
    session.flush()
    return refund


def _reason(booking: Booking) -> str:
    if booking.status is BookingStatus.DECLINED:
        return "The provider declined the booking"
    if booking.status is BookingStatus.NO_SHOW:
        return "The booking was a no-show: the top-up less its share of the no-show charge"
    if booking.charge:
        return "The booking was cancelled late: the top-up less its share of the cancellation charge"
    return {
        "provider": "The provider cancelled the booking",
        "bump": "The hospice needed the bed for end-of-life care",
    }.get(getattr(booking.cancelled_by, "value", ""), "The booking was cancelled")


def refund_cancelled_top_ups(session: Session) -> list[int]:
    """Refund every paid top-up owed money back; returns our refund ids. Our row is committed
    before Stripe is called; a row left without a Stripe refund (the process stopped) is
    finished on the next run, found again by its metadata."""
    done = []
    for refund in session.scalars(select(CardRefund).where(CardRefund.refunded_at.is_(None))).all():
        done.append(_send(session, refund))
    for card_payment_id, amount in refunds_owed(session):
        card_payment = session.get(CardPayment, card_payment_id)
        refund = start_refund(session, card_payment_id, amount, _reason(card_payment.booking))
        session.commit()
        done.append(_send(session, refund))
    return done


def _send(session: Session, refund: CardRefund) -> int:
    intent_id = refund.card_payment.intent_id
    session.commit()
    made = next(
        (
            r
            for r in gateway.list_refunds(intent_id).data
            if _metadata(r).get("card_refund_id") == str(refund.id)
        ),
        None,
    ) or gateway.create_refund(
        intent_id, refund.amount, refund.idempotency_key, {"card_refund_id": refund.id}
    )
    record_refund(session, refund, made.id)
    session.commit()
    return refund.id


def _metadata(stripe_object) -> dict:
    return stripe_object.metadata.to_dict() if stripe_object.metadata else {}
