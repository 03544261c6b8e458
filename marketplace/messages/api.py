"""A booking's thread as JSON: read it, write to it (the family and the provider's staff)."""

from flask import Blueprint
from flask_login import current_user

from marketplace.core.api import json_body
from marketplace.core.auth import signed_in
from marketplace.core.db import db
from marketplace.core.openapi import describe
from marketplace.core.schemas import parse
from marketplace.messages import operations
from marketplace.messages.models import MAX_LENGTH
from marketplace.messages.schemas import MessageIn, MessageOut
from marketplace.messages.views import booking_thread_for

bp = Blueprint("messages_api", __name__)


@bp.get("/bookings/<int:booking_id>/messages")
@describe(
    "get",
    "/bookings/{id}/messages",
    "The booking's conversation, oldest first (its family and the provider's staff only: "
    "anyone else who may see the booking gets 403, anyone who may not 404)",
    response=MessageOut,
    many=True,
)
@signed_in
def list_messages(booking_id: int):
    thread = booking_thread_for(booking_id)
    return MessageOut(many=True).dump(operations.thread_messages(db.session, thread))


@bp.post("/bookings/<int:booking_id>/messages")
@describe(
    "post",
    "/bookings/{id}/messages",
    f"Write to the booking's conversation: plain text, 1 to {MAX_LENGTH:,} characters; the other side is told",
    body=MessageIn,
    response=MessageOut,
    status=201,
)
@signed_in
def post_message(booking_id: int):
    thread = booking_thread_for(booking_id)
    data = parse(MessageIn(), json_body(), "Check your message")
    message = operations.post_message(db.session, thread, current_user, data["body"])
    db.session.commit()
    return MessageOut().dump(message), 201
