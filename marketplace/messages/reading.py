"""Read-only views of threads: a page's "Messages" section and the threads listed in the inbox."""

from dataclasses import dataclass, field

from flask_login import current_user
from sqlalchemy import func, or_, select

from marketplace.accounts.models import Role
from marketplace.bookings.models import Booking
from marketplace.bookings.permissions import visible_bookings
from marketplace.core.db import db
from marketplace.isf.models import Isf
from marketplace.isf.permissions import visible_isfs
from marketplace.messages.models import Message
from marketplace.messages.operations import thread_messages
from marketplace.messages.threads import Thread, speaks_for


@dataclass
class Section:
    thread: Thread
    messages: list[Message]
    errors: dict = field(default_factory=dict)
    body: str = ""


def section_for(subject, errors=None, body: str = "") -> Section | None:
    """The "Messages" section of a booking's or an ISF's page, for a party to it (else None)."""
    thread = Thread(subject)
    if speaks_for(current_user, thread) is None:
        return None
    return Section(thread, thread_messages(db.session, thread), errors or {}, body)


@dataclass
class ThreadRow:
    thread: Thread
    count: int
    last: Message


def threads_for(user, limit: int = 20) -> list[ThreadRow]:
    """The threads with messages that the user is party to, the most recently active first."""
    if not user.is_authenticated or user.role is Role.ADMIN:
        return []
    bookings = visible_bookings(user).with_only_columns(Booking.id)
    isfs = visible_isfs(user).with_only_columns(Isf.id).order_by(None)
    latest = (
        select(func.max(Message.id).label("id"), func.count(Message.id).label("n"))
        .where(or_(Message.booking_id.in_(bookings), Message.isf_id.in_(isfs)))
        .group_by(Message.booking_id, Message.isf_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Message, latest.c.n).join(latest, latest.c.id == Message.id).order_by(Message.id.desc())
    ).all()
    found = []
    for message, count in rows:
        subject = (
            db.session.get(Booking, message.booking_id)
            if message.booking_id
            else db.session.get(Isf, message.isf_id)
        )
        thread = Thread(subject)
        if speaks_for(user, thread) is not None:
            found.append(ThreadRow(thread, count, message))
    return found[:limit]
