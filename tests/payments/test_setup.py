"""Configuration and the client: without keys the app runs and says card payment is off; with
them the client talks to localstripe, and a PaymentIntent made for our row carries its id."""

from sqlalchemy import func, select

from marketplace.payments import flow, gateway, operations
from marketplace.payments.models import CardPayment, CardStatus


def test_without_keys_the_invoice_says_card_payment_is_switched_off(
    client, world, sign_in, family_invoice, stripe_off
):
    sign_in(world.parent)
    page = client.get(f"/invoices/{family_invoice.id}").get_data(as_text=True)
    assert "Card payment is switched off on this service. Pay £120.00 by bank transfer" in page
    assert "by card</button>" not in page
    response = client.post(f"/invoices/{family_invoice.id}/pay-by-card", data={"csrf_token": _token(client)})
    assert response.status_code == 409
    assert "Card payment is switched off" in response.get_data(as_text=True)


def test_the_payments_list_says_so_too(client, world, sign_in, stripe_off):
    sign_in(world.parent)
    page = client.get("/card-payments").get_data(as_text=True)
    assert "Card payment is switched off on this service." in page


def test_with_keys_the_family_is_offered_to_pay_what_is_due(
    client, world, sign_in, family_invoice, stripe_on
):
    sign_in(world.parent)
    page = client.get(f"/invoices/{family_invoice.id}").get_data(as_text=True)
    assert "Pay £120.00 by card</button>" in page


def test_the_intent_carries_our_row_and_a_lost_intent_is_found_again(
    app, session, world, family_invoice, stripe_on
):
    """The process stopped after Stripe made the intent and before we stored its id: the next
    attempt finds it by its metadata instead of making a second one."""
    card_payment = operations.start_invoice_payment(session, family_invoice, world.parent)
    session.commit()
    made = gateway.create_intent(
        card_payment.amount, flow.metadata_for(card_payment), card_payment.idempotency_key
    )
    assert card_payment.intent_id is None  # ... and the process stopped here
    intent = flow.open_intent(session, card_payment)
    assert intent.id == made.id and card_payment.intent_id == made.id
    assert card_payment.status is CardStatus.PENDING
    assert (intent.amount, intent.currency, intent.metadata["invoice_id"]) == (
        12_000,
        "gbp",
        str(family_invoice.id),
    )
    assert len(gateway.list_intents().data) == 1


def test_the_sweep_reconciles_an_orphan_by_metadata(session, world, family_invoice, stripe_on):
    card_payment = operations.start_invoice_payment(session, family_invoice, world.parent)
    session.commit()
    made = gateway.create_intent(
        card_payment.amount, flow.metadata_for(card_payment), card_payment.idempotency_key
    )
    assert flow.reconcile_orphans(session) == 1
    assert card_payment.intent_id == made.id
    assert session.scalar(select(func.count()).select_from(CardPayment)) == 1


def _token(client):
    with client.session_transaction() as sess:
        return sess["_csrf"]
