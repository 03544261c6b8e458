"""Message pages: a booking's and an ISF's thread (read and write), and the "Messages" section the
booking and ISF pages and the inbox include (Jinja globals, so those domains need not import this
one). Visible → party to it → one operation → commit."""

from flask import Blueprint, flash, redirect, render_template, request
from flask_login import current_user

from marketplace.accounts.permissions import allowed, visible
from marketplace.bookings.models import Booking
from marketplace.bookings.permissions import can_see
from marketplace.core.auth import signed_in
from marketplace.core.db import db
from marketplace.core.errors import ValidationFailed
from marketplace.isf import permissions as isf_permissions
from marketplace.messages import operations, reading
from marketplace.messages.models import MAX_LENGTH
from marketplace.messages.threads import Thread, speaks_for

bp = Blueprint("messages", __name__)


def register(app) -> None:
    app.jinja_env.globals["message_section"] = reading.section_for
    app.jinja_env.globals["message_threads"] = reading.threads_for
    app.jinja_env.globals["message_max_length"] = MAX_LENGTH


def booking_thread_for(booking_id: int) -> Thread:
    """The booking's thread for the caller: 404 if it may not see the booking, 403 if not a party."""
    booking = db.session.get(Booking, booking_id)
    visible(booking, booking is not None and can_see(current_user, booking), "booking")
    return _as_party(Thread(booking))


def _isf_thread(isf_id: int) -> Thread:
    return _as_party(Thread(isf_permissions.get_visible(current_user, isf_id)))


def _as_party(thread: Thread) -> Thread:
    allowed(
        speaks_for(current_user, thread) is not None,
        "Only the people this conversation is between can read and write in it.",
    )
    return thread


@bp.route("/bookings/<int:booking_id>/messages", methods=["GET", "POST"])
@signed_in
def booking_thread(booking_id: int):
    return _thread_page(booking_thread_for(booking_id))


@bp.route("/isfs/<int:isf_id>/messages", methods=["GET", "POST"])
@signed_in
def isf_thread(isf_id: int):
    return _thread_page(_isf_thread(isf_id))


def _thread_page(thread: Thread):
    if request.method == "GET":
        return _render(thread)
    try:
        operations.post_message(db.session, thread, current_user, request.form.get("body"))
    except ValidationFailed as err:
        db.session.rollback()
        return _render(thread, err.fields, request.form.get("body", ""), err.status)
    db.session.commit()
    flash("Message sent.", "success")
    return redirect(thread.link + "#messages")


def _render(thread: Thread, errors=None, body: str = "", status: int = 200):
    section = reading.section_for(thread.subject, errors=errors, body=body)
    return render_template(
        "messages/thread.html", thread=thread, section=section, errors=section.errors
    ), status
