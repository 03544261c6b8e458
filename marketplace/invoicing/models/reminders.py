"""Reminders sent to payers, and providers' weekly overdue digests: each recorded once."""

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.core.clock import utcnow
from marketplace.core.db import db
from marketplace.core.types import UTCDateTime, str_enum


class ReminderEvent(enum.StrEnum):
    DUE_SOON = "due_soon"  # 7 days before the due date
    OVERDUE = "overdue"  # the day after the due date
    MANUAL = "manual"  # a provider's "Send a reminder" (at most once a day per invoice)

    @property
    def label(self) -> str:
        return REMINDER_LABELS[self]


REMINDER_LABELS = {
    ReminderEvent.DUE_SOON: "Due-date reminder",
    ReminderEvent.OVERDUE: "Overdue notice",
    ReminderEvent.MANUAL: "Reminder sent by the provider",
}


class InvoiceReminder(db.Model):
    """A notice sent to an invoice's payer, recorded once per (invoice, event, occasion) by a
    unique constraint and inserted ON CONFLICT DO NOTHING before anyone is told: a job run twice,
    or on two processes at once, sends each notice once. The occasion is the due date for the
    automatic events (so once per invoice) and the day sent for a provider's reminder."""

    __tablename__ = "invoice_reminder"
    __table_args__ = (
        UniqueConstraint("invoice_id", "event", "occasion"),
        CheckConstraint("recipients >= 0", name="recipients_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"))
    event: Mapped[ReminderEvent] = mapped_column(str_enum(ReminderEvent, "reminder_event"))
    occasion: Mapped[date] = mapped_column(Date)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OverdueDigest(db.Model):
    """A provider's weekly list of its overdue invoices, sent once per (provider, week) by a
    unique constraint (inserted ON CONFLICT DO NOTHING before its staff are told)."""

    __tablename__ = "overdue_digest"
    __table_args__ = (UniqueConstraint("provider_id", "week_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    week_start: Mapped[date] = mapped_column(Date)
    invoices: Mapped[int] = mapped_column(Integer, default=0)
    amount_due: Mapped[int] = mapped_column(BigInteger, default=0)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
