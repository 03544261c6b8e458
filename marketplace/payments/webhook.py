"""POST /payments/stripe/webhook: Stripe's events, verified by signature, stored once, acted on
once. A bad or stale signature is a 400 and nothing is written; an event seen before is a 200."""

import stripe
from flask import current_app, jsonify, request

from marketplace.core.csrf import csrf_exempt
from marketplace.core.db import db
from marketplace.payments import events
from marketplace.payments.views import bp

TOLERANCE_SECONDS = 300  # Stripe's default: an older signature is a replay


def error_response(status: int, code: str, message: str, fields: dict | None = None):
    """CONTRACT.md's error shape: Stripe (a program) is the only caller."""
    body = {"code": code, "message": message} | ({"fields": fields} if fields else {})
    return jsonify({"error": body}), status


@bp.post("/payments/stripe/webhook")
@csrf_exempt
def stripe_webhook():
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        return error_response(404, "not_found", "Card payment is switched off on this service.")
    payload = request.get_data(cache=False)
    try:
        event = stripe.Webhook.construct_event(
            payload, request.headers.get("Stripe-Signature", ""), secret, tolerance=TOLERANCE_SECONDS
        )
    except (ValueError, stripe.SignatureVerificationError):
        return error_response(
            400, "bad_signature", "The Stripe-Signature header does not match this body, or is too old."
        )
    event = event.to_dict()
    if not isinstance(event.get("id"), str) or not event["id"]:
        return error_response(400, "bad_request", "The event has no id.", {"id": ["Missing"]})
    events.store_event(db.session, event)
    db.session.commit()
    outcome = events.process_event(db.session, event["id"])
    db.session.commit()
    return jsonify({"received": event["id"], "outcome": outcome})
