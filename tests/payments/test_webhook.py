"""POST /payments/stripe/webhook: verified by signature, stored once per event id, acted on once.
A forged or stale signature is a 400 and nothing is written; an event seen before is a 200."""

import threading
import time

import pytest
from sqlalchemy import func, select

from marketplace.core.db import db
from marketplace.invoicing.models import Invoice, InvoiceStatus, Payment
from marketplace.payments import flow, operations
from marketplace.payments.models import CardPayment, CardStatus, StripeEvent
from tests.payments.conftest import event_body, post_event, sign


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def pending_card_payment(session, world, invoice) -> CardPayment:
    card_payment = operations.start_invoice_payment(session, invoice, world.parent)
    session.commit()
    flow.open_intent(session, card_payment)
    return card_payment


def succeeded(card_payment, event_id="evt_paid_1", amount=None) -> str:
    amount = card_payment.amount if amount is None else amount
    intent = {
        "id": card_payment.intent_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_received": amount,
        "currency": "gbp",
        "status": "succeeded",
        "metadata": {"card_payment_id": str(card_payment.id)},
    }
    return event_body(event_id, "payment_intent.succeeded", intent)


def test_a_succeeded_event_pays_the_invoice_through_invoicing(
    client, session, world, family_invoice, stripe_on
):
    card_payment = pending_card_payment(session, world, family_invoice)
    response = post_event(client, succeeded(card_payment))
    assert response.status_code == 200
    assert family_invoice.status is InvoiceStatus.PAID and family_invoice.amount_due == 0
    payment = session.scalars(select(Payment)).one()
    assert (payment.amount, payment.payer_family_id, payment.reference) == (
        12_000,
        world.family.id,
        f"Card {card_payment.intent_id}",
    )
    assert card_payment.status is CardStatus.SUCCEEDED and card_payment.invoice_payment_id == payment.id


def test_the_same_event_twenty_times_is_acted_on_once(client, session, world, family_invoice, stripe_on):
    card_payment = pending_card_payment(session, world, family_invoice)
    body = succeeded(card_payment)
    answers = [post_event(client, body) for _ in range(20)]
    assert [a.status_code for a in answers] == [200] * 20
    assert answers[0].get_json()["outcome"].endswith("succeeded")
    assert {a.get_json()["outcome"] for a in answers[1:]} == {"already processed"}
    assert count(session, StripeEvent) == 1 and count(session, Payment) == 1
    assert family_invoice.amount_paid == 12_000


def test_a_second_event_for_a_payment_already_recorded_changes_nothing(
    client, session, world, family_invoice, stripe_on
):
    card_payment = pending_card_payment(session, world, family_invoice)
    post_event(client, succeeded(card_payment, "evt_a"))
    assert post_event(client, succeeded(card_payment, "evt_b")).status_code == 200
    assert count(session, StripeEvent) == 2 and count(session, Payment) == 1


@pytest.mark.parametrize(
    "signature",
    [
        pytest.param(lambda body: sign(body, secret="whsec_someone_else"), id="forged"),
        pytest.param(lambda body: sign(body, at=int(time.time()) - 600), id="stale"),
        pytest.param(lambda body: sign(body.replace("12000", "1"), secret="whsec_x"), id="other body"),
        pytest.param(lambda body: "", id="missing"),
        pytest.param(lambda body: "t=abc,v1=zzz", id="garbage"),
    ],
)
def test_a_bad_signature_is_a_400_and_nothing_changes(
    client, session, world, family_invoice, stripe_on, signature
):
    card_payment = pending_card_payment(session, world, family_invoice)
    body = succeeded(card_payment)
    response = post_event(client, body, signature(body))
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_signature"
    assert count(session, StripeEvent) == 0 and count(session, Payment) == 0
    assert family_invoice.status is InvoiceStatus.ISSUED and card_payment.status is CardStatus.PENDING


def test_a_body_that_is_not_json_is_a_400(client, stripe_on):
    response = post_event(client, "not json")
    assert response.status_code == 400


def test_a_failed_event_tells_the_family_why(client, session, world, family_invoice, stripe_on):
    card_payment = pending_card_payment(session, world, family_invoice)
    intent = {
        "id": card_payment.intent_id,
        "object": "payment_intent",
        "amount": 12_000,
        "status": "requires_payment_method",
        "last_payment_error": {"code": "card_declined", "message": "Your card was declined."},
        "metadata": {"card_payment_id": str(card_payment.id)},
    }
    assert (
        post_event(client, event_body("evt_failed", "payment_intent.payment_failed", intent)).status_code
        == 200
    )
    assert (card_payment.status, card_payment.note) == (CardStatus.FAILED, "Your card was declined.")
    assert family_invoice.amount_paid == 0


def test_money_that_cannot_be_applied_is_kept_for_attention(
    client, session, world, family_invoice, stripe_on
):
    """A decline after confirmation cannot be played by localstripe; nor can a charge for another
    amount: a hand-built event says Stripe took £1.00, and the payment is flagged, not applied."""
    card_payment = pending_card_payment(session, world, family_invoice)
    assert post_event(client, succeeded(card_payment, amount=100)).status_code == 200
    assert card_payment.status is CardStatus.NEEDS_ATTENTION
    assert card_payment.note == "Stripe took £1.00, not £120.00"
    assert family_invoice.amount_paid == 0


def test_an_event_that_is_not_ours_is_stored_and_noted(client, session, stripe_on):
    body = event_body("evt_other", "customer.created", {"id": "cus_1", "object": "customer"})
    assert post_event(client, body).get_json()["outcome"] == "noted"
    assert count(session, StripeEvent) == 1


def test_a_decline_after_the_payment_was_recorded_changes_nothing(
    client, session, world, family_invoice, stripe_on
):
    """localstripe cannot play a decline after confirmation: a hand-built event does."""
    card_payment = pending_card_payment(session, world, family_invoice)
    post_event(client, succeeded(card_payment))
    intent = {"id": card_payment.intent_id, "object": "payment_intent", "amount": 12_000,
              "last_payment_error": {"message": "Declined"}, "metadata": {"card_payment_id": str(card_payment.id)}}  # fmt: skip
    assert (
        post_event(
            client, event_body("evt_late_decline", "payment_intent.payment_failed", intent)
        ).status_code
        == 200
    )
    assert card_payment.status is CardStatus.SUCCEEDED and family_invoice.amount_paid == 12_000


def test_a_dispute_puts_the_payment_in_front_of_an_admin(client, session, world, family_invoice, stripe_on):
    card_payment = pending_card_payment(session, world, family_invoice)
    post_event(client, succeeded(card_payment))
    dispute = {
        "id": "dp_1",
        "object": "dispute",
        "payment_intent": card_payment.intent_id,
        "reason": "fraudulent",
        "amount": 12_000,
    }
    assert post_event(client, event_body("evt_dispute", "charge.dispute.created", dispute)).status_code == 200
    assert card_payment.status is CardStatus.NEEDS_ATTENTION
    assert card_payment.note == "Disputed by the cardholder (fraudulent)"
    assert family_invoice.amount_paid == 12_000  # recorded until the dispute is decided


@pytest.mark.postgres
@pytest.mark.real_commits
def test_twenty_deliveries_at_once_are_acted_on_once(app, session, world, stripe_on):
    from marketplace.core.clock import today
    from tests.invoicing.issued import issue

    invoice = issue(session, world.provider_org, family=world.family, amount=12_000, on=today())
    card_payment = pending_card_payment(session, world, invoice)
    session.commit()
    body, invoice_id = succeeded(card_payment), invoice.id
    barrier = threading.Barrier(20)
    answers = [None] * 20

    def deliver(i):
        with app.app_context():
            client = app.test_client()
            barrier.wait(timeout=10)
            answers[i] = post_event(client, body).status_code
            db.session.remove()

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    db.session.remove()
    assert answers == [200] * 20
    assert count(db.session, StripeEvent) == 1 and count(db.session, Payment) == 1
    paid = db.session.get(Invoice, invoice_id)
    assert (paid.amount_paid, paid.status) == (12_000, InvoiceStatus.PAID)
    assert db.session.scalar(select(StripeEvent.outcome)).endswith("succeeded")
