"""What an invoice line says about the billable item it bills, built for many items at once.

Each kind of billable item has one builder: `builder(session, items) -> {item id: line fields}`,
reading what its lines need for the whole list in a few queries (never a query per item), so the
invoice run can draft thousands of lines per transaction. `line_fields` sends each item to its
kind's builder. A new kind of billable item adds its builder to `LINE_BUILDERS`.

Items are BillableItem objects, or rows of its columns (the run reads them without the ORM);
line fields are InvoiceLine's columns except `invoice_id` and `position`, which the drafter sets.
"""

from collections.abc import Callable
from datetime import date
from functools import cache, lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Child
from marketplace.bookings.models import Booking
from marketplace.budgets.models import FundingStream
from marketplace.catalog.models import Offer, Slot
from marketplace.core.clock import business_date
from marketplace.core.money import format_pence
from marketplace.core.sql import id_in
from marketplace.invoicing.models import EXEMPTION_REASON, BillableItem, BillableKind, VatCategory

LineBuilder = Callable[[Session, list[BillableItem]], dict[int, dict]]


@lru_cache(maxsize=4096)  # bounded: the web process lives long
def child_reference(child_id: int, name: str) -> str:
    """The child as a document leaving the platform names them: initials and a stable reference,
    never the full name."""
    initials = "".join(word[0].upper() for word in name.split() if word[:1].isalpha())
    return f"{initials or 'X'}-{child_id:06d}"


def care_lines(session: Session, items: list[BillableItem]) -> dict[int, dict]:
    """Lines for a stream's share of a booking: delivered care (the booking's units at its price),
    or a late-cancellation or no-show charge; each says which share of what it bills."""
    bookings = _bookings(session, {i.booking_id for i in items})
    streams = dict(
        session.execute(
            select(FundingStream.id, FundingStream.kind).where(
                id_in(session, FundingStream.id, {i.stream_id for i in items})
            )
        ).all()
    )
    return {item.id: _care_line(item, bookings[item.booking_id], streams[item.stream_id]) for item in items}


def _bookings(session: Session, ids: set[int]) -> dict[int, object]:
    rows = session.execute(
        select(
            Booking.id,
            Booking.units,
            Booking.cost,
            Booking.charge,
            Booking.terms,
            Offer.title,
            Slot.starts_at,
            Slot.ends_at,
            Child.id.label("child_id"),
            Child.name.label("child_name"),
        )
        .join(Offer, Offer.id == Booking.offer_id)
        .join(Slot, Slot.id == Booking.slot_id)
        .join(Child, Child.id == Booking.child_id)
        .where(id_in(session, Booking.id, ids))
    )
    return {row.id: row for row in rows}


def _care_line(item: BillableItem, booking, stream_kind) -> dict:
    unit = booking.terms.get("unit", "unit")
    share = _share(stream_kind)
    starts = business_date(booking.starts_at)
    if item.kind is BillableKind.CARE_DELIVERED:
        plural = "s" if booking.units != 1 else ""
        description = (
            f"{booking.title}: {booking.units} {unit}{plural} from {_uk_long(starts)} "
            f"at {_pounds(booking.terms['price'])} ({share} of {_pounds(booking.cost)})"
        )
        quantity, unit_price = booking.units, booking.terms["price"]
    else:
        what = (
            "Late-cancellation charge" if item.kind is BillableKind.CANCELLATION_CHARGE else "No-show charge"
        )
        description = f"{what}: {booking.title} on {_uk_long(starts)} ({share} of {_pounds(booking.charge)})"
        quantity, unit, unit_price = 1, "charge", booking.charge
    return dict(
        billable_item_id=item.id,
        description=description[:300],
        service_start=starts,
        service_end=max(starts, business_date(booking.ends_at)),
        child_reference=child_reference(booking.child_id, booking.child_name),
        quantity=quantity,
        unit=unit,
        unit_price=unit_price,
        vat_category=VatCategory.EXEMPT,
        vat_rate_bp=0,
        vat_exemption_reason=EXEMPTION_REASON,
        amount=item.amount,
    )


_pounds = lru_cache(maxsize=1024)(format_pence)  # the same few prices, thousands of times a run


@cache
def _share(stream_kind) -> str:
    return f"{stream_kind.value.replace('_', ' ')} share"


@lru_cache(maxsize=1024)  # a run's thousands of lines fall on a few dozen days
def _uk_long(day: date) -> str:
    return f"{day:%-d %B %Y}"


def isf_funding_lines(session: Session, items: list[BillableItem]) -> dict[int, dict]:
    from marketplace.invoicing import isf_funding  # it builds on the operations, which build on this

    return isf_funding.isf_lines(session, items)


# One builder per kind of billable item.
LINE_BUILDERS: dict[BillableKind, LineBuilder] = {
    BillableKind.CARE_DELIVERED: care_lines,
    BillableKind.CANCELLATION_CHARGE: care_lines,
    BillableKind.NO_SHOW_CHARGE: care_lines,
    BillableKind.ISF_FUNDING: isf_funding_lines,
}


def line_fields(session: Session, items: list[BillableItem]) -> dict[int, dict]:
    """{item id: its line's fields} for items of any kinds, each kind built by its builder at once."""
    by_kind: dict[BillableKind, list[BillableItem]] = {}
    for item in items:
        by_kind.setdefault(item.kind, []).append(item)
    fields: dict[int, dict] = {}
    for kind, same_kind in by_kind.items():
        fields |= LINE_BUILDERS[kind](session, same_kind)
    return fields
