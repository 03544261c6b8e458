"""Refunds of a paid £55.00 top-up (Ben's £295.00 night: £160.00 social care, £80.00 health, £55.00
by card), against localstripe: all of it back when the booking is cancelled in the free period,
by the provider, bumped for end-of-life care or declined; after a late cancellation (charge
£147.50, 50%) the charge splits by largest remainder over 16,000 : 8,000 : 5,500 into £80.00,
£40.00 and £27.50, so the budget pays £120.00 and £27.50 of the card's £55.00 comes back."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace import ledger
from marketplace.bookings import operations as bookings
from marketplace.bookings import top_ups
from marketplace.bookings.models import CancelledBy
from marketplace.core.notifications import Notification
from marketplace.payments import flow, gateway, operations
from marketplace.payments.models import CardRefund
from marketplace.payments.refunds import refund_cancelled_top_ups
from tests.payments.test_top_ups import available


def refunded_at_stripe(card_payment) -> list[int]:
    return [r.amount for r in gateway.list_refunds(card_payment.intent_id).data]


def card_balance(session, world) -> int:
    return ledger.balance(top_ups.family_card_account(session, world.family.id)).posted


@pytest.mark.parametrize(
    ("by", "reason"),
    [
        (CancelledBy.FAMILY, "The booking was cancelled"),
        (CancelledBy.PROVIDER, "The provider cancelled the booking"),
        (CancelledBy.BUMP, "The hospice needed the bed for end-of-life care"),
    ],
    ids=["free-period cancel", "provider cancel", "end-of-life bump"],
)
def test_all_of_the_top_up_comes_back(session, world, paid, by, reason):
    booking, card_payment, budget = paid
    actor = world.parent if by is CancelledBy.FAMILY else world.provider
    bookings.cancel(session, booking, actor, by=by)  # ten days ahead: inside the free period
    session.commit()
    [refund_id] = refund_cancelled_top_ups(session)
    refund = session.get(CardRefund, refund_id)
    assert (refund.amount, refund.reason) == (5_500, reason)
    assert refunded_at_stripe(card_payment) == [5_500] and card_payment.amount_refunded == 5_500
    assert card_balance(session, world) == 0  # paid £55.00, refunded £55.00
    assert available(session, budget) == [16_000, 8_000]
    subjects = session.scalars(
        select(Notification.subject).where(Notification.user_id == world.parent.id)
    ).all()
    assert "£55.00 refunded to your card" in subjects
    assert refund_cancelled_top_ups(session) == []  # once
    assert refunded_at_stripe(card_payment) == [5_500]


def test_a_late_cancellation_refunds_the_top_up_less_its_share_of_the_charge(session, world, paid):
    booking, card_payment, budget = paid
    bookings.cancel(
        session,
        booking,
        world.parent,
        by=CancelledBy.FAMILY,
        now=booking.slot.starts_at - timedelta(hours=24),
    )
    session.commit()
    assert booking.charge == 14_750
    assert top_ups.family_share_of_charge(booking) == 2_750
    assert available(session, budget) == [8_000, 4_000]  # the budget paid £80.00 + £40.00 of the charge
    [refund_id] = refund_cancelled_top_ups(session)
    assert session.get(CardRefund, refund_id).amount == 2_750
    assert refunded_at_stripe(card_payment) == [2_750] and card_balance(session, world) == -2_750


def test_a_declined_request_is_refunded_in_full(session, world, stripe_on, make):
    budget = world.make_budget(world.family, social_care=16_000, health=8_000)
    slot = world.make_slot(days_ahead=10)
    booking = bookings.book(
        session, actor=world.parent, slot=slot, budget=budget, units=1, top_up_by_card=True
    )
    card_payment = operations.start_top_up(session, booking, world.parent)
    session.commit()
    flow.open_intent(session, card_payment)
    api = gateway.client().v1.payment_intents
    api.update(card_payment.intent_id, params={"payment_method": "pm_card_visa"})
    flow.record_intent(session, card_payment, api.confirm(card_payment.intent_id))
    bookings.decline(session, booking, world.provider, "No beds that night")
    session.commit()
    refund_cancelled_top_ups(session)
    assert refunded_at_stripe(card_payment) == [5_500] and card_balance(session, world) == 0


def test_an_unfinished_refund_is_finished_once_not_twice(session, world, paid):
    """The process stopped after Stripe refunded and before we recorded it: the next run finds the
    refund by its metadata instead of refunding again."""
    from marketplace.payments import refunds

    booking, card_payment, _ = paid
    bookings.cancel(session, booking, world.provider, by=CancelledBy.PROVIDER)
    session.commit()
    refund = refunds.start_refund(session, card_payment.id, 5_500, "The provider cancelled the booking")
    session.commit()
    gateway.create_refund(
        card_payment.intent_id, 5_500, refund.idempotency_key, {"card_refund_id": refund.id}
    )
    assert refund_cancelled_top_ups(session) == [refund.id]
    assert refunded_at_stripe(card_payment) == [5_500] and card_payment.amount_refunded == 5_500


def test_a_delivered_booking_refunds_nothing(session, world, paid):
    booking, card_payment, _ = paid
    bookings.deliver(session, booking, world.provider, now=booking.slot.starts_at + timedelta(hours=1))
    session.commit()
    assert refund_cancelled_top_ups(session) == [] and refunded_at_stripe(card_payment) == []
