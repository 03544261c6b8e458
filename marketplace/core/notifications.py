"""An in-app inbox per user: every booking transition (and other events) tells the people concerned.

E-mail is optional: with MAIL_SMTP_HOST set, each notification is also e-mailed, but only after
the transaction that made it commits (a rolled-back booking sends nothing), and a mail server
that is down never undoes or fails what was committed.
"""

import logging
import smtplib
from datetime import datetime
from email.message import EmailMessage

from sqlalchemy import ForeignKey, String, Text, event, select
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


Attachment = tuple[str, str, bytes]  # (file name, MIME type, content): e-mail only


def _queued(to: str, subject: str, body: str, link: str | None, attachments: list[Attachment] | None):
    return (to, subject, body, link, tuple(attachments)) if attachments else (to, subject, body, link)


def notify(
    session: Session,
    users,
    subject: str,
    body: str = "",
    link: str | None = None,
    attachments: list[Attachment] | None = None,
) -> list[Notification]:
    """Put a message in each user's inbox (its e-mail, where mail is configured, carries the
    attachments; the inbox has the link)."""
    sent = []
    outbox = session.info.setdefault(OUTBOX, [])
    for user in users:
        note = Notification(user_id=user.id, subject=subject, body=body, link=link)
        session.add(note)
        sent.append(note)
        outbox.append(_queued(user.email, subject, body, link, attachments))
    session.flush()
    return sent


def email_address(
    session: Session,
    to: str,
    subject: str,
    body: str = "",
    link: str | None = None,
    attachments: list[Attachment] | None = None,
) -> None:
    """E-mail an address that is no one's account (an organisation's finance mailbox): queued like
    a notification's e-mail, sent only after the commit and only where mail is configured."""
    session.info.setdefault(OUTBOX, []).append(_queued(to, subject, body, link, attachments))


OUTBOX = "notifications_outbox"
log = logging.getLogger(__name__)


@event.listens_for(Session, "after_commit")
def _send_after_commit(session) -> None:
    outbox = session.info.pop(OUTBOX, None)
    if outbox:
        send_emails(outbox)


@event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session, transaction) -> None:
    if transaction.nested:  # remember how much was queued, to drop only what the savepoint queued
        session.info.setdefault(OUTBOX + ":marks", {})[id(transaction)] = len(session.info.get(OUTBOX, []))


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session, previous_transaction) -> None:
    marks = session.info.get(OUTBOX + ":marks", {})
    if previous_transaction.nested and id(previous_transaction) in marks:
        del session.info.get(OUTBOX, [])[marks.pop(id(previous_transaction)) :]
    elif not previous_transaction.nested:
        session.info.pop(OUTBOX, None)
        session.info.pop(OUTBOX + ":marks", None)


def send_emails(outbox: list[tuple]) -> int:
    """E-mail each (to, subject, body, link[, attachments]) through MAIL_SMTP_HOST, if configured. Returns how
    many were sent; failures are logged, never raised (the work they report is already committed)."""
    from flask import current_app, has_app_context

    if not has_app_context() or not current_app.config.get("MAIL_SMTP_HOST"):
        return 0
    config = current_app.config
    base = config.get("PUBLIC_URL", "").rstrip("/")
    try:
        with smtplib.SMTP(config["MAIL_SMTP_HOST"], int(config.get("MAIL_SMTP_PORT", 25)), timeout=5) as smtp:
            for to, subject, body, link, *more in outbox:
                message = EmailMessage()
                message["From"] = config.get("MAIL_FROM", "no-reply@short-breaks.example")
                message["To"] = to
                message["Subject"] = subject
                message.set_content(f"{body}\n\n{base}{link}" if link else body or subject)
                for name, mimetype, content in more[0] if more else ():
                    maintype, subtype = mimetype.split("/", 1)
                    message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
                smtp.send_message(message)
        return len(outbox)
    except (OSError, smtplib.SMTPException):
        log.exception("could not e-mail %d notifications; they are in the users' inboxes", len(outbox))
        return 0


def inbox(session: Session, user, limit: int = 50) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def mark_read(session: Session, user, up_to_id: int | None = None) -> None:
    """Mark the user's unread messages read (only those up to `up_to_id`, the newest the person
    saw, so one that arrived since stays new)."""
    query = select(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if up_to_id is not None:
        query = query.where(Notification.id <= up_to_id)
    for note in session.scalars(query):
        note.read_at = utcnow()
    session.flush()
