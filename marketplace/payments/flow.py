"""The steps of a card payment that talk to Stripe, each between two commits of our own.

Stripe is never called while our transaction holds locks: our row is inserted and committed
first (its id is the idempotency key and the intent's metadata), then the intent is created, then
its id is stored and committed. If the process stops in between, the next attempt finds the
intent by its metadata instead of making a second one (`_intent_made_for`).
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.core.errors import Conflict
from marketplace.payments import gateway, operations
from marketplace.payments.models import CardPayment, CardStatus


def open_intent(session: Session, card_payment: CardPayment):
    """The PaymentIntent for our row: the one stored, one made for it earlier, or a new one."""
    if card_payment.intent_id:
        return gateway.retrieve_intent(card_payment.intent_id)
    session.commit()
    intent = _intent_made_for(card_payment.id) or gateway.create_intent(
        card_payment.amount, metadata_for(card_payment), card_payment.idempotency_key
    )
    operations.attach_intent(session, card_payment, intent.id)
    session.commit()
    return intent


def metadata_for(card_payment: CardPayment) -> dict:
    link = {"invoice_id": card_payment.invoice_id} if card_payment.invoice_id else {}
    if card_payment.booking_id:
        link = {"booking_id": card_payment.booking_id}
    return {
        "card_payment_id": card_payment.id,
        "purpose": card_payment.purpose.value,
        "family_id": card_payment.family_id,
        **link,
    }


def _intent_made_for(card_payment_id: int):
    """An intent Stripe already holds for our row (the process stopped before storing its id).
    Recent intents are enough: an orphan is found on the next attempt or the sweep."""
    for intent in gateway.list_intents().data:
        if _metadata(intent).get("card_payment_id") == str(card_payment_id):
            return intent
    return None


def _metadata(intent) -> dict:
    return intent.metadata.to_dict() if intent.metadata else {}


def reconcile_orphans(session: Session) -> int:
    """Attach intents made for rows still `created` (the process stopped between the two
    commits). Returns how many were found."""
    waiting = {
        cp.id: cp
        for cp in session.scalars(
            select(CardPayment).where(
                CardPayment.status == CardStatus.CREATED, CardPayment.intent_id.is_(None)
            )
        )
    }
    if not waiting:
        return 0
    session.commit()
    found = 0
    for intent in gateway.list_intents().data:
        raw = _metadata(intent).get("card_payment_id", "")
        card_payment = waiting.get(int(raw)) if raw.isdigit() else None
        if card_payment is not None:
            operations.attach_intent(session, card_payment, intent.id)
            session.commit()
            found += 1
            if intent.status == "succeeded":
                record_intent(session, card_payment, intent)
    return found


def pay_with_token(session: Session, card_payment: CardPayment, token_id: str) -> CardPayment:
    """The card-element path: confirm the intent with the browser's card token, then record
    what Stripe says (a declined card is recorded as failed, and the family may try again)."""
    intent = open_intent(session, card_payment)
    session.commit()
    try:
        intent = gateway.confirm_with_token(intent.id, token_id)
    except Conflict as refused:
        if refused.code != "card_declined":
            raise
        operations.record_failure(session, card_payment, refused.message)
        session.commit()
        return card_payment
    return record_intent(session, card_payment, intent)


def check_with_stripe(session: Session, card_payment: CardPayment) -> CardPayment:
    """The family came back from the payment page: ask Stripe how the payment stands and record
    it (the webhook may already have done so; recording is once only)."""
    if not card_payment.intent_id:
        return card_payment
    session.commit()
    return record_intent(session, card_payment, gateway.retrieve_intent(card_payment.intent_id))


def record_intent(session: Session, card_payment: CardPayment, intent) -> CardPayment:
    """Record an intent's state as Stripe gave it, and commit."""
    if intent.status == "succeeded":
        card_payment = operations.record_success(session, card_payment, intent.id, intent.amount)
    elif intent.status == "canceled":
        card_payment = operations.record_cancelled(session, card_payment, "Cancelled at Stripe")
    elif intent.status == "requires_payment_method" and intent.last_payment_error:
        card_payment = operations.record_failure(session, card_payment, intent.last_payment_error.message)
    session.commit()
    return card_payment
