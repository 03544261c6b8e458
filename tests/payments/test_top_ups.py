"""Top-ups at booking: Ben's budget has £240.00 left for overnight breaks (£160.00 social care,
£80.00 health) and a night costs £295.00, so the family pays £55.00 by card. Agreeing makes the
booking awaiting payment with the budget's holds and the place taken; the card payment moves it
on to requested and books the family's money in the ledger; a declined or abandoned payment is
released by the sweep after 30 minutes (frozen clock), and the family is told."""

from datetime import timedelta

import pytest
import stripe
import time_machine
from sqlalchemy import select

from marketplace import ledger
from marketplace.bookings import top_ups
from marketplace.bookings.models import Booking, BookingStatus
from marketplace.budgets.books import stream_account
from marketplace.core.clock import utcnow
from marketplace.core.notifications import Notification
from marketplace.payments import gateway
from marketplace.payments.models import CardPayment, CardStatus
from marketplace.payments.sweep import release_unpaid_top_ups
from tests.bookings.conftest import hidden_fields
from tests.payments.conftest import event_body, post_event
from tests.payments.test_invoice_card_payment import card_token, csrf_of


@pytest.fixture
def short_budget(world):
    """Ben's budget with £160.00 social care and £80.00 health: £55.00 short of a £295.00 night."""
    return world.make_budget(world.family, social_care=16_000, health=8_000)


@pytest.fixture
def slot(world):
    return world.make_slot(days_ahead=10)


def check_url(slot, budget):
    return f"/book/{slot.id}/check?budget_id={budget.id}&units=1"


def agree(client, slot, budget):
    """The check page's "Agree and pay £55.00 by card", as the family sends it."""
    page = client.get(check_url(slot, budget))
    fields = hidden_fields(page.data)
    return client.post(f"/book/{slot.id}/top-up", data=fields)


def available(session, budget) -> list[int]:
    return [ledger.balance(stream_account(session, s)).available for s in budget.streams]


def only_booking(session) -> Booking:
    return session.scalars(select(Booking)).one()


def test_the_check_page_shows_what_the_budget_pays_and_the_top_up(
    client, world, sign_in, short_budget, slot, stripe_on
):
    sign_in(world.parent)
    text = client.get(check_url(slot, short_budget)).get_data(as_text=True)
    assert "£160.00" in text and "£80.00" in text  # per stream
    assert 'Your budget pays</dt><dd class="govuk-summary-list__value">£240.00' in text
    assert 'You pay by card</dt><dd class="govuk-summary-list__value"><strong>£55.00' in text
    assert "Agree and pay £55.00 by card</button>" in text


def test_with_card_payment_off_the_top_up_cannot_be_paid(
    client, world, sign_in, short_budget, slot, stripe_off
):
    sign_in(world.parent)
    text = client.get(check_url(slot, short_budget)).get_data(as_text=True)
    assert "Card payment is switched off on this service, so a top-up cannot be paid" in text
    assert "Agree and pay" not in text


def test_agreeing_holds_the_budget_and_the_place_until_the_card_pays(
    client, session, world, sign_in, short_budget, slot, stripe_on
):
    sign_in(world.parent)
    response = agree(client, slot, short_budget)
    assert response.status_code == 302 and "/card-payments/" in response.headers["Location"]
    booking = only_booking(session)
    assert (booking.status, booking.cost, booking.top_up) == (BookingStatus.AWAITING_PAYMENT, 29_500, 5_500)
    assert available(session, short_budget) == [0, 0] and slot.booked == 1
    assert [p.amount for p in booking.payments] == [16_000, 8_000]

    pay_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Pay £55.00 by card" in pay_page and "Top-up for Overnight short break for Ben" in pay_page
    card_payment = session.scalars(select(CardPayment)).one()
    paid = client.post(
        f"/card-payments/{card_payment.id}/card",
        data={"csrf_token": csrf_of(client), "token": card_token(stripe_on)},
    )
    assert paid.headers["Location"].endswith(f"/bookings/{booking.id}")
    assert booking.status is BookingStatus.REQUESTED and card_payment.status is CardStatus.SUCCEEDED
    family = ledger.balance(top_ups.family_card_account(session, world.family.id))
    provider = ledger.balance(top_ups.top_ups_account(session, world.provider_org.id))
    assert (family.posted, provider.posted) == (-5_500, 5_500)
    page = client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert 'Family pays by card</dt><dd class="govuk-summary-list__value">£55.00' in page
    assert 'Card payment</dt><dd class="govuk-summary-list__value">Paid' in page
    assert [e.to_status for e in booking.events] == ["awaiting_payment", "requested"]


def test_the_webhook_moves_the_booking_on_too_and_a_replay_changes_nothing(
    client, session, world, sign_in, short_budget, slot, stripe_on
):
    sign_in(world.parent)
    agree(client, slot, short_budget)
    card_payment = session.scalars(select(CardPayment)).one()
    api = gateway.client().v1.payment_intents
    api.update(card_payment.intent_id, params={"payment_method": "pm_card_visa"})
    body = event_body("evt_top_up", "payment_intent.succeeded", api.confirm(card_payment.intent_id).to_dict())
    for _ in range(3):
        assert post_event(client, body).status_code == 200
    assert only_booking(session).status is BookingStatus.REQUESTED
    assert ledger.balance(top_ups.top_ups_account(session, world.provider_org.id)).posted == 5_500


def test_a_declined_card_is_released_by_the_sweep_after_thirty_minutes(
    app, client, session, world, sign_in, short_budget, slot, stripe_on
):
    sign_in(world.parent)
    agree(client, slot, short_budget)
    card_payment = session.scalars(select(CardPayment)).one()
    api = gateway.client().v1.payment_intents
    api.update(card_payment.intent_id, params={"payment_method": "pm_card_chargeCustomerFail"})
    with pytest.raises(stripe.CardError):
        api.confirm(card_payment.intent_id)
    client.post(f"/card-payments/{card_payment.id}/check", data={"csrf_token": csrf_of(client)})
    assert card_payment.status is CardStatus.FAILED
    booking = only_booking(session)
    assert booking.status is BookingStatus.AWAITING_PAYMENT  # the family may still try another card

    with time_machine.travel(utcnow() + timedelta(minutes=29), tick=False):
        assert release_unpaid_top_ups(session) == []
    with time_machine.travel(utcnow() + timedelta(minutes=31), tick=False):
        assert release_unpaid_top_ups(session) == [booking.id]
    assert booking.status is BookingStatus.CANCELLED and booking.charge == 0
    assert available(session, short_budget) == [16_000, 8_000] and slot.booked == 0
    told = session.scalars(select(Notification.subject).where(Notification.user_id == world.parent.id)).all()
    assert any("was not completed" in subject for subject in told)


def test_an_abandoned_payment_is_released_and_cancelled_at_stripe(
    client, session, world, sign_in, short_budget, slot, stripe_on
):
    sign_in(world.parent)
    agree(client, slot, short_budget)
    card_payment = session.scalars(select(CardPayment)).one()
    with time_machine.travel(utcnow() + timedelta(minutes=31), tick=False):
        assert release_unpaid_top_ups(session) == [only_booking(session).id]
    assert card_payment.status is CardStatus.CANCELLED
    assert gateway.retrieve_intent(card_payment.intent_id).status == "canceled"
    assert available(session, short_budget) == [16_000, 8_000]


def test_the_sweep_records_a_payment_whose_webhook_never_came(
    client, session, world, sign_in, short_budget, slot, stripe_on
):
    sign_in(world.parent)
    agree(client, slot, short_budget)
    card_payment = session.scalars(select(CardPayment)).one()
    api = gateway.client().v1.payment_intents
    api.update(card_payment.intent_id, params={"payment_method": "pm_card_visa"})
    api.confirm(card_payment.intent_id)
    with time_machine.travel(utcnow() + timedelta(minutes=31), tick=False):
        assert release_unpaid_top_ups(session) == []
    assert only_booking(session).status is BookingStatus.REQUESTED


def test_money_arriving_after_the_release_is_kept_for_a_refund(
    client, session, world, sign_in, short_budget, slot, stripe_on
):
    sign_in(world.parent)
    agree(client, slot, short_budget)
    card_payment = session.scalars(select(CardPayment)).one()
    booking = only_booking(session)
    top_ups.release_unpaid(session, booking)
    session.commit()
    intent = {
        "id": card_payment.intent_id,
        "object": "payment_intent",
        "amount": 5_500,
        "status": "succeeded",
        "metadata": {"card_payment_id": str(card_payment.id)},
    }
    post_event(client, event_body("evt_late_money", "payment_intent.succeeded", intent))
    assert card_payment.status is CardStatus.NEEDS_ATTENTION
    assert "no longer waiting for its top-up (it is cancelled)" in card_payment.note
    assert booking.status is BookingStatus.CANCELLED
    assert ledger.balance(top_ups.top_ups_account(session, world.provider_org.id)).posted == 0


def test_without_agreeing_a_short_budget_is_refused(
    client, session, world, sign_in, short_budget, slot, stripe_on
):
    from marketplace.bookings import operations as bookings
    from marketplace.core.errors import Conflict

    with pytest.raises(Conflict) as refused:
        bookings.book(session, actor=world.parent, slot=slot, budget=short_budget, units=1)
    assert refused.value.code == "budget_short" and "£55.00 short" in refused.value.message


def test_another_family_cannot_pay_the_top_up(client, session, world, sign_in, short_budget, slot, stripe_on):
    sign_in(world.parent)
    agree(client, slot, short_budget)
    booking = only_booking(session)
    _, zoes_parent, _ = world.another_family()
    sign_in(zoes_parent)
    assert (
        client.post(f"/bookings/{booking.id}/pay-top-up", data={"csrf_token": csrf_of(client)}).status_code
        == 404
    )


def test_the_sweep_command_releases_what_is_overdue(runner, session, world, short_budget, slot, stripe_off):
    """`marketplace payments sweep` (the scheduler's job, run now), with card payment off: the
    booking waits, then is released."""
    from marketplace.bookings import operations as bookings

    booking = bookings.book(
        session, actor=world.parent, slot=slot, budget=short_budget, units=1, top_up_by_card=True
    )
    session.commit()
    assert "Released 0 booking(s)" in runner.invoke(args=["payments", "sweep"]).output
    with time_machine.travel(utcnow() + timedelta(minutes=31), tick=False):
        result = runner.invoke(args=["payments", "sweep"])
    assert f"Released 1 booking(s) not paid in time: [{booking.id}]" in result.output
    assert booking.status is BookingStatus.CANCELLED and slot.booked == 0


def subjects(session, user) -> list[str]:
    return list(session.scalars(select(Notification.subject).where(Notification.user_id == user.id)))


def test_the_provider_hears_of_a_topped_up_booking_only_once_the_card_has_paid(
    client, session, world, sign_in, short_budget, slot, stripe_on
):
    sign_in(world.parent)
    response = agree(client, slot, short_budget)
    assert [s for s in subjects(session, world.parent) if "waiting for your card payment" in s] == [
        f"Your booking for Ben is waiting for your card payment: {slot.offer.title} on "
        f"{slot.starts_at:%-d %B %Y}"
    ]
    assert subjects(session, world.provider) == []  # nothing to confirm or decline yet
    client.get(response.headers["Location"])
    card_payment = session.scalars(select(CardPayment)).one()
    client.post(
        f"/card-payments/{card_payment.id}/card",
        data={"csrf_token": csrf_of(client), "token": card_token(stripe_on)},
    )
    [request] = subjects(session, world.provider)
    assert request.startswith("New booking request: Ben's booking") and "your" not in request.lower()
    family = session.scalars(select(Notification).where(Notification.user_id == world.parent.id)).all()
    assert any(n.body.startswith("Top-up of £55.00 paid by card.") for n in family)
