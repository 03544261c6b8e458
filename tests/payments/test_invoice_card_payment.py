"""Paying a family's invoice by card, against localstripe: the family sees "Pay by card" (nobody
else does), the payment page loads Stripe.js from the configured address (allowed by the CSP),
and the money is recorded against the invoice through invoicing's payment operation once,
whether the family's return or the webhook comes first."""

import json
import urllib.request

import pytest
import stripe
from sqlalchemy import func, select

from marketplace.invoicing.models import InvoiceStatus, Payment
from marketplace.payments import gateway
from marketplace.payments.models import CardPayment, CardStatus
from tests.payments.conftest import PUBLISHABLE_KEY, event_body, post_event


def card_token(base: str, number: str = "4242424242424242") -> str:
    """What Stripe.js does in the browser: card details to Stripe, a token back."""
    data = f"card[number]={number}&card[exp_month]=12&card[exp_year]=2030&card[cvc]=123&key={PUBLISHABLE_KEY}"
    request = urllib.request.Request(f"{base}/v1/tokens", data=data.encode(), method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)["id"]


def csrf_of(client) -> str:
    with client.session_transaction() as sess:
        return sess["_csrf"]


def start(client, invoice) -> CardPayment:
    response = client.post(f"/invoices/{invoice.id}/pay-by-card", data={"csrf_token": csrf_of(client)})
    assert response.status_code == 302
    card_payment_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    return card_payment_id


def test_the_family_pays_its_invoice_by_card(client, session, world, sign_in, family_invoice, stripe_on):
    sign_in(world.parent)
    card_payment_id = start(client, family_invoice)
    page = client.get(f"/card-payments/{card_payment_id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Pay £120.00 by card" in text
    assert f'<script src="{stripe_on}/js.stripe.com/v3/"></script>' in text
    assert f"script-src 'self' {stripe_on}" in page.headers["Content-Security-Policy"]
    assert f"Invoice {family_invoice.number} from Hilltop" in text

    response = client.post(
        f"/card-payments/{card_payment_id}/card",
        data={"csrf_token": csrf_of(client), "token": card_token(stripe_on)},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/invoices/{family_invoice.id}"
    )
    invoice_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Thank you: your card payment of £120.00 was received." in invoice_page
    assert "by card</button>" not in invoice_page  # nothing left to pay
    assert family_invoice.status is InvoiceStatus.PAID
    payment = session.scalars(select(Payment)).one()
    card_payment = session.get(CardPayment, card_payment_id)
    assert payment.reference == f"Card {card_payment.intent_id}" and payment.amount == 12_000
    assert gateway.retrieve_intent(card_payment.intent_id).status == "succeeded"


def test_return_then_webhook_records_once(client, session, world, sign_in, family_invoice, stripe_on):
    sign_in(world.parent)
    card_payment_id = start(client, family_invoice)
    card_payment = session.get(CardPayment, card_payment_id)
    api = gateway.client().v1.payment_intents  # the family pays on Stripe's page
    api.update(card_payment.intent_id, params={"payment_method": "pm_card_visa"})
    intent = api.confirm(card_payment.intent_id)
    assert intent.status == "succeeded"
    back = client.get(f"/card-payments/{card_payment_id}/return")
    assert back.status_code == 200 and "data-auto-submit" in back.get_data(as_text=True)
    checked = client.post(f"/card-payments/{card_payment_id}/check", data={"csrf_token": csrf_of(client)})
    assert checked.status_code == 302
    assert (
        post_event(client, event_body("evt_late", "payment_intent.succeeded", intent.to_dict())).status_code
        == 200
    )
    assert session.scalar(select(func.count()).select_from(Payment)) == 1
    assert family_invoice.amount_paid == 12_000 and card_payment.status is CardStatus.SUCCEEDED


def test_a_second_click_reuses_the_open_payment(client, session, world, sign_in, family_invoice, stripe_on):
    sign_in(world.parent)
    assert start(client, family_invoice) == start(client, family_invoice)
    assert len(gateway.list_intents().data) == 1


def test_a_card_that_needs_the_bank_asks_for_it(client, session, world, sign_in, family_invoice, stripe_on):
    sign_in(world.parent)
    card_payment_id = start(client, family_invoice)
    client.post(
        f"/card-payments/{card_payment_id}/card",
        data={"csrf_token": csrf_of(client), "token": card_token(stripe_on, "4000002500003155")},
    )
    page = client.get(f"/card-payments/{card_payment_id}").get_data(as_text=True)
    assert (
        'data-intent-status="requires_action"' in page and "Your bank wants to confirm this payment." in page
    )
    assert family_invoice.amount_paid == 0


def test_a_declined_card_is_not_recorded_and_the_family_is_told(
    client, session, world, sign_in, family_invoice, stripe_on
):
    sign_in(world.parent)
    card_payment_id = start(client, family_invoice)
    card_payment = session.get(CardPayment, card_payment_id)
    api = gateway.client().v1.payment_intents
    api.update(card_payment.intent_id, params={"payment_method": "pm_card_chargeCustomerFail"})
    with pytest.raises(stripe.CardError):
        api.confirm(card_payment.intent_id)
    client.post(f"/card-payments/{card_payment_id}/check", data={"csrf_token": csrf_of(client)})
    assert card_payment.status is CardStatus.FAILED and card_payment.note == "Your card was declined."
    page = client.get(f"/card-payments/{card_payment_id}").get_data(as_text=True)
    assert "Card refused" in page and "Your card was declined." in page
    assert family_invoice.amount_paid == 0
    # trying again makes a new payment
    assert start(client, family_invoice) != card_payment_id


def test_a_bad_token_is_refused_with_a_message(client, session, world, sign_in, family_invoice, stripe_on):
    sign_in(world.parent)
    card_payment_id = start(client, family_invoice)
    response = client.post(
        f"/card-payments/{card_payment_id}/card", data={"csrf_token": csrf_of(client), "token": "x"}
    )
    assert response.status_code == 302
    assert "Enter your card details" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert family_invoice.amount_paid == 0


@pytest.mark.parametrize("who", ["provider", "commissioner"])
def test_only_the_family_is_offered_to_pay(client, world, sign_in, family_invoice, stripe_on, who):
    sign_in(getattr(world, who))
    page = client.get(f"/invoices/{family_invoice.id}")
    assert "by card</button>" not in page.get_data(as_text=True)
    response = client.post(f"/invoices/{family_invoice.id}/pay-by-card", data={"csrf_token": csrf_of(client)})
    assert response.status_code in (403, 404)


def test_another_family_cannot_pay_or_see_it(client, session, world, sign_in, family_invoice, stripe_on):
    sign_in(world.parent)
    card_payment_id = start(client, family_invoice)
    _, zoes_parent, _ = world.another_family()
    sign_in(zoes_parent)
    assert (
        client.post(
            f"/invoices/{family_invoice.id}/pay-by-card", data={"csrf_token": csrf_of(client)}
        ).status_code
        == 404
    )
    assert client.get(f"/card-payments/{card_payment_id}").status_code == 404
    assert (
        client.post(
            f"/card-payments/{card_payment_id}/check", data={"csrf_token": csrf_of(client)}
        ).status_code
        == 404
    )


def test_an_invoice_to_an_organisation_has_no_card_button(client, session, world, sign_in, stripe_on):
    from marketplace.core.clock import today
    from tests.invoicing.issued import issue

    invoice = issue(session, world.provider_org, org=world.council, po="PO-1", amount=5_000, on=today())
    sign_in(world.commissioner)
    assert "by card" not in client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
