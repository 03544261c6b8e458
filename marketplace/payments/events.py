"""Stripe's webhook events: each stored once under its event id, then acted on exactly once.

`store_event` inserts the event (ON CONFLICT DO NOTHING on the unique event id), and the caller
commits: every verified event is kept, even one we do not act on. `process_event` then, in a
transaction of its own, locks the event's row and acts only if no earlier transaction did
(`processed_at`); twenty deliveries of one event, one after another or at once from twenty
threads, are acted on once — the others wait on the row lock and find it processed.
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.core.clock import utcnow
from marketplace.core.errors import DomainError
from marketplace.core.sql import dialect_insert
from marketplace.payments import operations
from marketplace.payments.models import StripeEvent

DISPUTE_EVENT = "charge.dispute.created"
INTENT_EVENTS = ("payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled")


def _intent_of(event: dict) -> dict:
    data = (event.get("data") or {}).get("object") or {}
    return data if isinstance(data, dict) else {}


def store_event(session: Session, event: dict) -> StripeEvent:
    """Keep a verified event once under its id; returns our row (new or already there)."""
    intent = _intent_of(event)
    intent_id = intent.get("id") if intent.get("object") == "payment_intent" else None
    insert = dialect_insert(session, StripeEvent.__table__)
    session.execute(
        insert.values(
            event_id=str(event["id"])[:255],
            type=str(event.get("type", ""))[:100],
            intent_id=intent_id,
            payload=event,
            received_at=utcnow(),
        ).on_conflict_do_nothing(index_elements=["event_id"])
    )
    return session.scalar(select(StripeEvent).where(StripeEvent.event_id == str(event["id"])[:255]))


def process_event(session: Session, event_id: str) -> str:
    """Act on a stored event once; returns what happened. The caller commits."""
    row = session.scalar(
        select(StripeEvent)
        .where(StripeEvent.event_id == event_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None:
        return "unknown event"
    if row.processed_at is not None:
        return "already processed"
    try:
        with session.begin_nested():
            outcome = _act(session, row)
    except DomainError as err:
        outcome = f"refused: {err.message}"
    row.processed_at = utcnow()
    row.outcome = outcome
    session.flush()
    return outcome


def _act(session: Session, row: StripeEvent) -> str:
    if row.type == DISPUTE_EVENT:
        return _disputed(session, _intent_of(row.payload))
    if row.type not in INTENT_EVENTS:
        return "noted"
    intent = _intent_of(row.payload)
    card_payment = operations.card_payment_for_intent(session, intent.get("id", ""), intent.get("metadata"))
    if card_payment is None:
        return "not one of ours"
    if row.type == "payment_intent.succeeded":
        received = intent.get("amount_received") or intent.get("amount")
        card_payment = operations.record_success(session, card_payment, intent.get("id"), received)
    elif row.type == "payment_intent.payment_failed":
        error = intent.get("last_payment_error") or {}
        card_payment = operations.record_failure(session, card_payment, error.get("message"))
    else:
        card_payment = operations.record_cancelled(session, card_payment, "Cancelled at Stripe")
    return f"card payment {card_payment.id}: {card_payment.status.value}"


def _disputed(session: Session, dispute: dict) -> str:
    """The cardholder disputed a charge: the payment is put in front of an admin (its money stays
    recorded until the dispute is decided)."""
    intent_id = dispute.get("payment_intent") or ""
    card_payment = operations.card_payment_for_intent(session, intent_id, {}) if intent_id else None
    if card_payment is None:
        return "not one of ours"
    card_payment = operations.record_dispute(session, card_payment, str(dispute.get("reason") or "unknown"))
    return f"card payment {card_payment.id}: disputed"
