"""An in-app inbox per user: every booking transition (and other events) tells the people concerned.

E-mail is optional behind configuration and is sent only after the commit, by whoever commits.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from marketplace.core.clock import utcnow
from marketplace.core.db import db
from marketplace.core.types import UTCDateTime


class Notification(db.Model):
    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def notify(
    session: Session, users, subject: str, body: str = "", link: str | None = None
) -> list[Notification]:
    """Put a message in each user's inbox."""
    sent = []
    for user in users:
        note = Notification(user_id=user.id, subject=subject, body=body, link=link)
        session.add(note)
        sent.append(note)
    session.flush()
    return sent


def inbox(session: Session, user, limit: int = 50) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def mark_read(session: Session, user) -> None:
    for note in session.scalars(
        select(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ):
        note.read_at = utcnow()
    session.flush()
