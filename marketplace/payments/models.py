"""Card payments (one row per attempt to take a family's money by card) and the Stripe events
we received, each stored once under its Stripe event id."""

import enum
from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Family, User
from marketplace.core.clock import utcnow
from marketplace.core.db import db
from marketplace.core.types import UTCDateTime, str_enum


class CardPurpose(enum.StrEnum):
    INVOICE = "invoice"  # the amount due on an invoice addressed to the family
    TOP_UP = "top_up"  # the part of a booking's cost the budget cannot cover

    @property
    def label(self) -> str:
        return {"invoice": "Invoice", "top_up": "Booking top-up"}[self.value]


class CardStatus(enum.StrEnum):
    """created (our row, no PaymentIntent yet) -> pending (intent made, waiting for the card) ->
    succeeded | failed (the card was refused; the family may try again while pending time lasts)
    | cancelled (abandoned or released). A succeeded payment may be refunded, in part or whole."""

    CREATED = "created"
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    NEEDS_ATTENTION = "needs_attention"  # money taken that could not be applied (see `note`)

    @property
    def label(self) -> str:
        return {
            "created": "Started",
            "pending": "Waiting for the card",
            "succeeded": "Paid",
            "failed": "Card refused",
            "cancelled": "Cancelled",
            "needs_attention": "Paid, needs attention",
        }[self.value]


class CardPayment(db.Model):
    """One card payment a family makes: for an invoice or a booking's top-up. Our row comes first
    (its id is the Stripe idempotency key and the PaymentIntent's metadata), the PaymentIntent
    second, after our row is committed."""

    __tablename__ = "card_payment"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("amount_refunded >= 0 AND amount_refunded <= amount", name="refund_within_amount"),
        CheckConstraint(
            "(purpose = 'invoice' AND invoice_id IS NOT NULL) OR (purpose = 'top_up' AND booking_id IS NOT NULL)",
            name="purpose_has_its_link",
        ),
        Index("ix_card_payment_family", "family_id"),
        Index("ix_card_payment_status", "status"),
        Index("ix_card_payment_invoice", "invoice_id"),
        Index("ix_card_payment_booking", "booking_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[CardPurpose] = mapped_column(str_enum(CardPurpose, "card_purpose"))
    status: Mapped[CardStatus] = mapped_column(
        str_enum(CardStatus, "card_status"), default=CardStatus.CREATED
    )
    family_id: Mapped[int] = mapped_column(ForeignKey("family.id"))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    amount_refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    # the invoicing payment this card payment was recorded as (invoices), once it succeeded
    invoice_payment_id: Mapped[int | None] = mapped_column(ForeignKey("invoice_payment.id"))
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    family: Mapped[Family] = relationship()
    created_by: Mapped[User | None] = relationship()
    invoice = relationship("Invoice")
    booking = relationship("Booking")

    @property
    def idempotency_key(self) -> str:
        return f"card_payment:{self.id}:intent"


class StripeEvent(db.Model):
    """Every Stripe event we accepted (signature verified), once per event id. `processed_at` is
    set in the transaction that acted on it, so each event is acted on exactly once."""

    __tablename__ = "stripe_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(100))
    intent_id: Mapped[str | None] = mapped_column(String(255), index=True)
    payload: Mapped[dict] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(Text)


class CardRefund(db.Model):
    """Money given back to the family's card: our row first (its id is the Stripe idempotency
    key), the Stripe refund after our row is committed."""

    __tablename__ = "card_refund"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    card_payment_id: Mapped[int] = mapped_column(ForeignKey("card_payment.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    refund_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    card_payment: Mapped[CardPayment] = relationship()

    @property
    def idempotency_key(self) -> str:
        return f"card_refund:{self.id}"
