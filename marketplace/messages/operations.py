"""Writing to a thread: the only code that adds a message. It checks the writer is party to the
thread, keeps the text plain and within the limit, records it in the audit log and tells the other
parties (never the writer) in their inbox, with a link to the thread."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.core import audit
from marketplace.core.errors import Forbidden, ValidationFailed
from marketplace.core.notifications import notify
from marketplace.messages.models import MAX_LENGTH, Message
from marketplace.messages.threads import Thread, parties, speaks_for

PREVIEW = 200


def check_body(body: str | None) -> str:
    """The message as it will be kept: trimmed, not empty, at most MAX_LENGTH characters."""
    text = (body or "").strip()
    if not text:
        raise ValidationFailed("Check your message", fields={"body": ["Enter your message"]})
    if len(text) > MAX_LENGTH:
        raise ValidationFailed(
            "Check your message",
            fields={
                "body": [f"Your message must be {MAX_LENGTH:,} characters or fewer (it has {len(text):,})"]
            },
        )
    return text


def post_message(session: Session, thread: Thread, author: User, body: str | None) -> Message:
    """Add a message to the thread from one of its parties (anyone else: 403, nothing written)."""
    writes_for = speaks_for(author, thread)
    if writes_for is None:
        raise Forbidden("Only the people this conversation is between can write in it.")
    text = check_body(body)
    message = Message(
        booking_id=thread.subject.id if thread.is_booking else None,
        isf_id=None if thread.is_booking else thread.subject.id,
        author_id=author.id,
        author_for=writes_for,
        body=text,
    )
    session.add(message)
    session.flush()
    audit.record(session, author, "message.posted", thread.subject, message=message.id, length=len(text))
    _tell_the_others(session, thread, author, writes_for, text)
    return message


def thread_messages(session: Session, thread: Thread) -> list[Message]:
    """The thread's messages, oldest first."""
    column = Message.booking_id if thread.is_booking else Message.isf_id
    return list(
        session.scalars(
            select(Message).where(column == thread.subject.id).order_by(Message.created_at, Message.id)
        )
    )


def _tell_the_others(session: Session, thread: Thread, author: User, writes_for: str, text: str) -> None:
    others = [u for u in parties(session, thread) if u.id != author.id]
    preview = text if len(text) <= PREVIEW else text[: PREVIEW - 1].rstrip() + "…"
    for reader in others:
        notify(
            session, [reader], notice_subject(thread, reader, author, writes_for), preview, link=thread.link
        )


def notice_subject(thread: Thread, reader: User, author: User, writes_for: str) -> str:
    """The notice of a new message, worded for the person reading it."""
    who = f"{author.name} ({writes_for})"
    if thread.is_booking:
        about = (
            f"your booking: {thread.title}"
            if reader.role.value == "family"
            else f"{thread.child_name}'s booking: {thread.title}"
        )
    else:
        about = "your ISF" if reader.role.value == "family" else thread.title
    return f"New message from {who} about {about}"[:200]
