"""Bookings, the holds that pay for them, and their append-only history of transitions."""

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Child, Family, Organisation, User
from marketplace.budgets.models import Budget, FundingStream, SupportOutcome
from marketplace.catalog.models import Offer, Slot
from marketplace.core.clock import utcnow
from marketplace.core.db import db
from marketplace.core.types import UTCDateTime, str_enum
from marketplace.ledger.models import Hold


class BookingStatus(enum.StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"  # the family's card top-up is due; holds and place taken
    REQUESTED = "requested"
    CONFIRMED = "confirmed"
    DELIVERED = "delivered"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"

    @property
    def is_open(self) -> bool:
        return self in (BookingStatus.REQUESTED, BookingStatus.CONFIRMED)


class CancelledBy(enum.StrEnum):
    FAMILY = "family"
    PROVIDER = "provider"
    BUMP = "bump"  # end-of-life care needs the bed: the family is told at once, nothing is charged


class Booking(db.Model):
    """A family's booking of one place on a slot for `units` of the offer's unit, at the price of
    the moment it was made (`terms`, a copy of catalog.terms.OfferTerms)."""

    __tablename__ = "booking"
    __table_args__ = (
        CheckConstraint("units >= 1", name="units_positive"),
        CheckConstraint("cost >= 0", name="cost_not_negative"),
        CheckConstraint("charge >= 0 AND charge <= cost", name="charge_within_cost"),
        CheckConstraint("top_up >= 0 AND top_up <= cost", name="top_up_within_cost"),
        Index("ix_booking_provider_status", "provider_id", "status"),
        Index("ix_booking_family_status", "family_id", "status"),
        Index("ix_booking_child_offer", "child_id", "offer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("family.id"))
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id"))
    budget_id: Mapped[int] = mapped_column(ForeignKey("budget.id"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id"))
    slot_id: Mapped[int] = mapped_column(ForeignKey("slot.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    outcome_id: Mapped[int | None] = mapped_column(ForeignKey("support_outcome.id"))
    units: Mapped[int] = mapped_column(Integer)
    cost: Mapped[int] = mapped_column(BigInteger)
    charge: Mapped[int] = mapped_column(BigInteger, default=0)
    # the part of the cost the family pays by card because the budget cannot cover it
    top_up: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    terms: Mapped[dict] = mapped_column(JSON)
    status: Mapped[BookingStatus] = mapped_column(str_enum(BookingStatus, "booking_status"))
    cancelled_by: Mapped[CancelledBy | None] = mapped_column(str_enum(CancelledBy, "cancelled_by"))
    reason: Mapped[str | None] = mapped_column(Text)
    emergency: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    family: Mapped[Family] = relationship()
    child: Mapped[Child] = relationship()
    budget: Mapped[Budget] = relationship()
    offer: Mapped[Offer] = relationship()
    slot: Mapped[Slot] = relationship()
    provider: Mapped[Organisation] = relationship()
    booked_by: Mapped[User | None] = relationship()
    outcome: Mapped[SupportOutcome | None] = relationship()
    payments: Mapped[list["BookingPayment"]] = relationship(
        back_populates="booking", order_by="BookingPayment.id"
    )
    events: Mapped[list["BookingEvent"]] = relationship(back_populates="booking", order_by="BookingEvent.id")


class BookingPayment(db.Model):
    """One funding stream's share of a booking, reserved by a ledger hold."""

    __tablename__ = "booking_payment"
    __table_args__ = (
        UniqueConstraint("booking_id", "stream_id"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id"))
    stream_id: Mapped[int] = mapped_column(ForeignKey("funding_stream.id"), index=True)
    hold_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("ledger_hold.id"), unique=True)
    amount: Mapped[int] = mapped_column(BigInteger)

    booking: Mapped[Booking] = relationship(back_populates="payments")
    stream: Mapped[FundingStream] = relationship()
    hold: Mapped[Hold] = relationship()


class BookingEvent(db.Model):
    """An append-only record of each transition: who moved the booking from what to what."""

    __tablename__ = "booking_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    note: Mapped[str | None] = mapped_column(Text)
    charge: Mapped[int] = mapped_column(BigInteger, default=0)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    booking: Mapped[Booking] = relationship(back_populates="events")
