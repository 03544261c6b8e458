"""Card-payment verbs: the only code that changes card payments. Operations flush; the caller
commits. No Stripe call happens here (`flow.py` makes them, between commits).

Lock order: the card payment row first, then whatever recording the money locks (invoicing's
payment operation locks the invoice, then the ledger accounts; a top-up locks the booking's
family, budget, booking, slot and accounts, as bookings' operations do).

What happened at Stripe is recorded once: `record_success` on a payment already recorded changes
nothing, whichever of the webhook and the family's return to our page arrives first.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Family, User
from marketplace.accounts.permissions import acts_for_family
from marketplace.bookings import top_ups
from marketplace.bookings.models import Booking, BookingStatus
from marketplace.core import audit
from marketplace.core.clock import today, utcnow
from marketplace.core.errors import Conflict, DomainError, NotFound
from marketplace.core.money import format_pence
from marketplace.invoicing import payments as invoice_payments
from marketplace.invoicing.models import Invoice
from marketplace.payments.models import CardPayment, CardPurpose, CardStatus

S = CardStatus
OPEN = (S.CREATED, S.PENDING, S.FAILED)  # the family may still pay it
RECORDED = (S.SUCCEEDED, S.NEEDS_ATTENTION)  # money taken: acted on once


def lock_card_payment(session: Session, card_payment_id: int) -> CardPayment | None:
    session.flush()
    return session.scalar(
        select(CardPayment)
        .where(CardPayment.id == card_payment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def card_payment_for_intent(session: Session, intent_id: str, metadata: dict) -> CardPayment | None:
    """Our row for a PaymentIntent: by its id, else by the metadata we gave it (an intent whose
    id we never stored because the process stopped between creating it and committing)."""
    found = session.scalar(select(CardPayment.id).where(CardPayment.intent_id == intent_id))
    if found is None:
        raw = str((metadata or {}).get("card_payment_id") or "")
        found = int(raw) if raw.isdigit() and len(raw) <= 12 else None
    return lock_card_payment(session, found) if found is not None else None


# ---- paying an invoice ---------------------------------------------------------------------------


def payable_by_card(invoice: Invoice) -> bool:
    """An issued invoice addressed to a family with something still due."""
    return (
        invoice.payer_family_id is not None
        and invoice.status not in invoice_payments.NOT_PAYABLE
        and invoice.amount_due > 0
    )


def start_invoice_payment(session: Session, invoice: Invoice, actor: User) -> CardPayment:
    """A card payment of what is due on a family's invoice, by someone acting for that family.
    An open card payment of the same amount is reused (a second click pays nothing twice); open
    ones for another amount are cancelled (what is due changed); a failed one stays failed."""
    if invoice.payer_family_id is None or not acts_for_family(actor, invoice.payer_family_id):
        raise NotFound("No such invoice")
    invoice = invoice_payments.lock_invoices(session, [invoice.id])[invoice.id]
    if not payable_by_card(invoice):
        raise Conflict(f"Invoice {invoice.number} has nothing due to pay.", code="nothing_due")
    for earlier in session.scalars(
        select(CardPayment)
        .where(CardPayment.invoice_id == invoice.id, CardPayment.status.in_((S.CREATED, S.PENDING)))
        .order_by(CardPayment.id)
        .with_for_update()
    ):
        if earlier.amount == invoice.amount_due:
            return earlier
        _move(earlier, S.CANCELLED, "What is due on the invoice changed")
    card_payment = CardPayment(
        purpose=CardPurpose.INVOICE,
        family_id=invoice.payer_family_id,
        invoice_id=invoice.id,
        amount=invoice.amount_due,
        created_by_id=actor.id,
    )
    session.add(card_payment)
    session.flush()
    audit.record(session, actor, "payments.card_payment_started", card_payment, amount=card_payment.amount)
    return card_payment


def _record_invoice_payment(session: Session, card_payment: CardPayment) -> None:
    """Through invoicing's payment operation, as a remittance would be: reference the intent."""
    invoice = card_payment.invoice
    payment = invoice_payments.record_payment(
        session,
        provider=invoice.issuer,
        payer=session.get(Family, card_payment.family_id),
        amount=card_payment.amount,
        received_on=today(),
        reference=f"Card {card_payment.intent_id}",
        allocations=[(invoice, card_payment.amount)],
    )
    card_payment.invoice_payment_id = payment.id


# ---- paying a booking's top-up ----------------------------------------------------------------


def start_top_up(session: Session, booking: Booking, actor: User) -> CardPayment:
    """The card payment of a booking's top-up, while the booking awaits it. An open one of the
    same amount is reused; a failed one stays as the record of the refusal."""
    if not acts_for_family(actor, booking.family_id):
        raise NotFound("No such booking")
    if booking.status is not BookingStatus.AWAITING_PAYMENT or not booking.top_up:
        raise Conflict("This booking has no top-up waiting to be paid.", code="nothing_due")
    earlier = session.scalar(
        select(CardPayment)
        .where(CardPayment.booking_id == booking.id, CardPayment.status.in_((S.CREATED, S.PENDING)))
        .order_by(CardPayment.id.desc())
        .limit(1)
    )
    if earlier is not None and earlier.amount == booking.top_up:
        return earlier
    card_payment = CardPayment(
        purpose=CardPurpose.TOP_UP,
        family_id=booking.family_id,
        booking_id=booking.id,
        amount=booking.top_up,
        created_by_id=actor.id,
    )
    session.add(card_payment)
    session.flush()
    audit.record(session, actor, "payments.card_payment_started", card_payment, amount=card_payment.amount)
    return card_payment


def open_payments_of(session: Session, booking_id: int) -> list[CardPayment]:
    return list(
        session.scalars(
            select(CardPayment)
            .where(CardPayment.booking_id == booking_id, CardPayment.status.in_(OPEN))
            .order_by(CardPayment.id)
        )
    )


# ---- what Stripe tells us --------------------------------------------------------------------------


def attach_intent(session: Session, card_payment: CardPayment, intent_id: str) -> CardPayment:
    """Store the PaymentIntent made for our row (once: a second, different intent is refused)."""
    card_payment = lock_card_payment(session, card_payment.id)
    if card_payment.intent_id not in (None, intent_id):
        raise Conflict("This card payment already has a payment at Stripe.", code="intent_mismatch")
    card_payment.intent_id = intent_id
    if card_payment.status is S.CREATED:
        _move(card_payment, S.PENDING)
    session.flush()
    return card_payment


def record_success(session: Session, card_payment: CardPayment, intent_id: str, amount: int) -> CardPayment:
    """The card was charged: record the money where it belongs (the invoice, through invoicing's
    payment operation; a top-up, through bookings). Once only. Money that cannot be applied (the
    amount differs, or the invoice was paid another way meanwhile) is kept as `needs_attention`
    with the reason, for an admin to refund: money taken is never silently dropped."""
    card_payment = lock_card_payment(session, card_payment.id)
    if card_payment.status in RECORDED:
        return card_payment
    if card_payment.intent_id is None:
        card_payment.intent_id = intent_id
    problem = None
    if card_payment.intent_id != intent_id:
        problem = f"Stripe reported payment {intent_id}, not this card payment's {card_payment.intent_id}"
    elif amount != card_payment.amount:
        problem = f"Stripe took {format_pence(amount)}, not {format_pence(card_payment.amount)}"
    else:
        problem = _apply(session, card_payment)
    card_payment.paid_at = utcnow()
    _move(card_payment, S.NEEDS_ATTENTION if problem else S.SUCCEEDED, problem)
    audit.record(session, None, "payments.card_payment_succeeded", card_payment, problem=problem)
    session.flush()
    return card_payment


def _apply(session: Session, card_payment: CardPayment) -> str | None:
    try:
        with session.begin_nested():
            if card_payment.purpose is CardPurpose.INVOICE:
                _record_invoice_payment(session, card_payment)
            else:
                top_ups.top_up_paid(session, card_payment.booking, card_payment.amount, card_payment.id)
    except DomainError as err:
        return err.message
    return None


def record_failure(session: Session, card_payment: CardPayment, message: str | None) -> CardPayment:
    """The card was refused: the family is told why and may try again (a top-up's booking waits
    until its time runs out). A payment already recorded stays recorded."""
    card_payment = lock_card_payment(session, card_payment.id)
    if card_payment.status in (S.CREATED, S.PENDING, S.FAILED):
        _move(card_payment, S.FAILED, message or "The card was declined.")
        session.flush()
    return card_payment


def record_cancelled(session: Session, card_payment: CardPayment, note: str) -> CardPayment:
    card_payment = lock_card_payment(session, card_payment.id)
    if card_payment.status in OPEN:
        _move(card_payment, S.CANCELLED, note)
        session.flush()
    return card_payment


def record_dispute(session: Session, card_payment: CardPayment, reason: str) -> CardPayment:
    """A recorded payment the cardholder disputes is flagged for an admin, with Stripe's reason."""
    card_payment = lock_card_payment(session, card_payment.id)
    if card_payment.status in RECORDED:
        _move(card_payment, S.NEEDS_ATTENTION, f"Disputed by the cardholder ({reason.replace('_', ' ')})")
        session.flush()
    return card_payment


def _move(card_payment: CardPayment, to: CardStatus, note: str | None = None, at: datetime | None = None):
    card_payment.status = to
    card_payment.updated_at = at or utcnow()
    if note is not None:
        card_payment.note = note
