"""Talking to Stripe: the client, built from the configuration, and the few calls we make.

Every call that creates something carries an idempotency key derived from our own row id, so a
retried request never charges or refunds twice. No call is made inside a database transaction
that holds locks: callers commit their row first (see `flow.py`).

Without STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY card payment is switched off: `enabled()` is
False, pages say so, and any attempt is refused with `CardPaymentsOff`.
"""

from urllib.parse import urlsplit

import stripe
from flask import current_app

from marketplace.core.errors import Conflict, DomainError

CURRENCY = "gbp"


class CardPaymentsOff(Conflict):
    code = "card_payments_off"

    def __init__(self):
        super().__init__("Card payment is switched off on this service. Pay by bank transfer instead.")


class StripeUnavailable(DomainError):
    status = 502
    code = "stripe_unavailable"


def enabled(config=None) -> bool:
    config = config if config is not None else current_app.config
    return bool(config.get("STRIPE_SECRET_KEY") and config.get("STRIPE_PUBLISHABLE_KEY"))


def client() -> stripe.StripeClient:
    """A StripeClient for the configured key and (for local testing) API base."""
    config = current_app.config
    if not enabled(config):
        raise CardPaymentsOff()
    base = config.get("STRIPE_API_BASE") or None
    return stripe.StripeClient(
        config["STRIPE_SECRET_KEY"],
        base_addresses={"api": base} if base else {},
        max_network_retries=0 if base else 2,
    )


def js_origin() -> str:
    """The origin Stripe.js is loaded from (allowed in the payment pages' CSP)."""
    parts = urlsplit(current_app.config.get("STRIPE_JS_URL") or "https://js.stripe.com/v3/")
    return f"{parts.scheme}://{parts.netloc}"


def api_origin() -> str:
    base = current_app.config.get("STRIPE_API_BASE") or "https://api.stripe.com"
    parts = urlsplit(base)
    return f"{parts.scheme}://{parts.netloc}"


def _call(what: str, fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except stripe.CardError as err:
        raise Conflict(err.user_message or "The card was declined.", code="card_declined") from None
    except stripe.StripeError as err:
        current_app.logger.warning("Stripe %s failed: %s", what, err)
        raise StripeUnavailable(
            "The card payment service did not answer as expected. Nothing has been charged twice: "
            "try again in a few minutes."
        ) from None


def create_intent(amount: int, metadata: dict, idempotency_key: str):
    return _call(
        "create intent",
        client().v1.payment_intents.create,
        params={
            "amount": amount,
            "currency": CURRENCY,
            "payment_method_types": ["card"],
            "metadata": {k: str(v) for k, v in metadata.items()},
        },
        options={"idempotency_key": idempotency_key},
    )


def retrieve_intent(intent_id: str):
    return _call("retrieve intent", client().v1.payment_intents.retrieve, intent_id)


def list_intents(limit: int = 100):
    return _call("list intents", client().v1.payment_intents.list, params={"limit": limit})


def confirm_with_token(intent_id: str, token_id: str):
    """Confirm an intent with a card token made in the browser (the card-element path: Stripe.js
    without the Payment Element, as localstripe's Stripe.js offers): the token's card becomes the
    intent's payment method, then the intent is confirmed."""
    api = client().v1
    token = _call("retrieve token", api.tokens.retrieve, token_id)
    _call("attach card", api.payment_intents.update, intent_id, params={"payment_method": token.card.id})
    return _call("confirm intent", api.payment_intents.confirm, intent_id)


def cancel_intent(intent_id: str):
    return _call("cancel intent", client().v1.payment_intents.cancel, intent_id)


def create_refund(intent_id: str, amount: int, idempotency_key: str, metadata: dict):
    return _call(
        "refund",
        client().v1.refunds.create,
        params={
            "payment_intent": intent_id,
            "amount": amount,
            "metadata": {k: str(v) for k, v in metadata.items()},
        },
        options={"idempotency_key": idempotency_key},
    )


def list_refunds(intent_id: str):
    return _call("list refunds", client().v1.refunds.list, params={"payment_intent": intent_id, "limit": 100})
