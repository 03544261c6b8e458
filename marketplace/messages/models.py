"""Conversation threads: a booking's (the family and the provider's staff) and an ISF's (the
family, the holding provider's staff and its funders' commissioners). A message is a fact: it is
written once and never edited."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.core.clock import utcnow
from marketplace.core.db import db
from marketplace.core.types import UTCDateTime

MAX_LENGTH = 2000


class Message(db.Model):
    __tablename__ = "message"
    __table_args__ = (
        CheckConstraint("(booking_id IS NULL) <> (isf_id IS NULL)", name="one_thread"),
        CheckConstraint("length(body) > 0", name="body_not_empty"),
        Index("ix_message_booking_id_created_at", "booking_id", "created_at"),
        Index("ix_message_isf_id_created_at", "isf_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id"))
    isf_id: Mapped[int | None] = mapped_column(ForeignKey("isf.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    # who the author wrote for, as the thread shows it ("Ben's family", "Hilltop Children's Hospice"),
    # kept as written: a later change of membership does not rewrite the thread
    author_for: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship()
