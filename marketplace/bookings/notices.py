"""What each booking event tells each side, worded for the person reading it (issue #17 item 6):
the family reads "Your booking for Ben …", the provider's staff "Ben's booking (the Smith family)
…" — a provider never receives a family-worded notice. One function per event returns both
wordings; `tell` sends each side its own."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Membership, Role, User
from marketplace.bookings.models import Booking, BookingStatus
from marketplace.core.clock import business_date
from marketplace.core.money import format_pence
from marketplace.core.notifications import notify


@dataclass(frozen=True)
class Wording:
    subject: str
    body: str = ""


@dataclass(frozen=True)
class Notice:
    family: Wording
    provider: Wording | None  # None: the provider's staff are not told (nothing for them yet)


def _day(booking: Booking) -> str:
    return f"{business_date(booking.slot.starts_at):%-d %B %Y}"


def _what(booking: Booking) -> str:
    """ "Overnight short break on 5 December 2026"."""
    return f"{booking.offer.title} on {_day(booking)}"


def _yours(booking: Booking, start: str = "Your") -> str:
    return f"{start} booking for {booking.child.name}"


def _theirs(booking: Booking) -> str:
    return f"{booking.child.name}'s booking ({booking.family.name})"


def booked(booking: Booking) -> Notice:
    what = _what(booking)
    if booking.status is BookingStatus.AWAITING_PAYMENT:  # the provider hears once the top-up is paid
        return Notice(
            Wording(
                f"{_yours(booking)} is waiting for your card payment: {what}",
                f"Pay the {format_pence(booking.top_up)} top-up by card to send it to {booking.provider.name}; "
                "if it is not paid in time, the place and your budget are released and nothing is charged.",
            ),
            None,
        )
    if booking.status is BookingStatus.CONFIRMED:  # instant booking: no request to accept
        return Notice(
            Wording(f"{_yours(booking)} is confirmed: {what}"),
            Wording(f"New booking, confirmed at once: {_theirs(booking)}, {what}"),
        )
    return Notice(
        Wording(
            f"{_yours(booking)} is requested: {what}", f"{booking.provider.name} will confirm or decline it."
        ),
        Wording(
            f"New booking request: {_theirs(booking)}, {what}",
            "Confirm or decline it from the booking's page.",
        ),
    )


def confirmed(booking: Booking) -> Notice:
    what = _what(booking)
    return Notice(
        Wording(f"{_yours(booking)} is confirmed: {what}"),
        Wording(f"{_theirs(booking)} is confirmed: {what}"),
    )


def declined(booking: Booking, reason: str) -> Notice:
    what = _what(booking)
    return Notice(
        Wording(f"{_yours(booking)} was declined: {what}", f"{booking.provider.name} said: {reason}"),
        Wording(f"{_theirs(booking)} was declined: {what}", f"Reason given to the family: {reason}"),
    )


def delivered(booking: Booking) -> Notice:
    what = _what(booking)
    return Notice(
        Wording(f"Care delivered: {booking.offer.title} for {booking.child.name} on {_day(booking)}"),
        Wording(f"{_theirs(booking)} is recorded as delivered: {what}"),
    )


def no_show(booking: Booking, charge: int) -> Notice:
    what = _what(booking)
    return Notice(
        Wording(
            f"Recorded as a no-show: {booking.offer.title} for {booking.child.name} on {_day(booking)}",
            f"{booking.provider.name} recorded that {booking.child.name} did not come. Charge {format_pence(charge)}.",
        ),
        Wording(f"{_theirs(booking)} is recorded as a no-show: {what}", f"Charge {format_pence(charge)}."),
    )


def cancelled_by_family(booking: Booking, charge: int) -> Notice:
    what = _what(booking)
    charged = f"Cancellation charge {format_pence(charge)}." if charge else "No charge."
    return Notice(
        Wording(f"{_yours(booking)} is cancelled: {what}", charged),
        Wording(f"The family cancelled {_theirs(booking)}: {what}", charged),
    )


def cancelled_by_provider(booking: Booking, reason: str | None) -> Notice:
    what = _what(booking)
    return Notice(
        Wording(
            f"{booking.provider.name} cancelled {_yours(booking, 'your')}: {what}",
            reason or "Nothing is charged.",
        ),
        Wording(f"You cancelled {_theirs(booking)}: {what}", reason or "Nothing is charged."),
    )


def bumped(booking: Booking) -> Notice:
    what = _what(booking)
    return Notice(
        Wording(
            f"We are very sorry: {_yours(booking, 'your')} has been cancelled: {what}",
            "The hospice needs the bed for a child at the end of life. Nothing is charged and your budget "
            "has been released. The provider will contact you to rebook.",
        ),
        Wording(
            f"{_theirs(booking)} is cancelled for end-of-life care: {what}",
            "The family has been told, nothing is charged and their budget is released. Contact them to rebook.",
        ),
    )


def top_up_paid(booking: Booking) -> Notice:
    """The family's card top-up arrived: the booking goes to the provider now (as booked() words
    it), and the family reads that its payment was taken."""
    sent = booked(booking)
    paid = f"Top-up of {format_pence(booking.top_up)} paid by card."
    return Notice(Wording(sent.family.subject, f"{paid} {sent.family.body}".strip()), sent.provider)


def top_up_not_paid(booking: Booking) -> Notice:
    return Notice(
        Wording(
            f"{_yours(booking)} was not completed: {_what(booking)}",
            f"The card payment of the {format_pence(booking.top_up)} top-up did not go through in time, so the "
            "place and your budget have been released. Nothing was charged.",
        ),
        None,
    )


def tell(session: Session, booking: Booking, notice: Notice) -> None:
    """Send the family's members the family's wording and the provider's staff the provider's."""
    family = session.scalars(
        select(User).where(User.family_id == booking.family_id, User.role == Role.FAMILY)
    )
    staff = session.scalars(
        select(User).join(Membership).where(Membership.organisation_id == booking.provider_id)
    )
    link = f"/bookings/{booking.id}"
    notify(session, list(family), notice.family.subject, notice.family.body, link=link)
    if notice.provider is not None:
        notify(session, list(staff), notice.provider.subject, notice.provider.body, link=link)
