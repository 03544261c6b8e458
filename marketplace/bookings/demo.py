"""Demo bookings for Ben (example B's budget at Hilltop): one delivered last month and one
confirmed, so every page has something to show — and, with Hilltop's limit of two open bookings
per family, Tom can still book one more himself. Ben's and Amy's needs, as their families shared
them, are what a provider reads on a booking's page."""

from datetime import timedelta

from sqlalchemy import select

from marketplace.accounts.models import Child, Family, User
from marketplace.bookings import operations
from marketplace.bookings.models import Booking
from marketplace.catalog import operations as catalog
from marketplace.catalog.models import Slot
from marketplace.core.clock import utcnow
from marketplace.core.errors import DomainError


def _user(session, email):
    return session.scalar(select(User).where(User.email == email))


def _slot(session, offer, days_ahead):
    """The offer's slot starting about `days_ahead` days from now (made if missing)."""
    now = utcnow()
    start = (now + timedelta(days=days_ahead)).replace(hour=16, minute=0, second=0, microsecond=0)
    existing = session.scalar(
        select(Slot).where(
            Slot.offer_id == offer.id,
            Slot.starts_at >= start - timedelta(hours=12),
            Slot.starts_at < start + timedelta(hours=12),
        )
    )
    return existing or catalog.add_slot(session, offer, start, start + timedelta(hours=18), 4, None)


NEEDS = {
    ("bens-family", "Ben"): (
        "Ben has cerebral palsy and epilepsy: rescue medication (buccal midazolam) travels in his bag, "
        "with his seizure plan. He is fed by gastrostomy overnight and needs turning twice a night. "
        "He communicates with his eye-gaze board and loves music."
    ),
    ("amys-family", "Amy"): (
        "Amy has a life-limiting heart condition and uses oxygen at night. She tires quickly, so "
        "plan rests; she loves art and being outdoors."
    ),
}


def _share_needs(session) -> None:
    """The children's needs as their families shared them (set once; a family's own edit stays)."""
    for (family_slug, name), needs in NEEDS.items():
        child = session.scalar(
            select(Child).join(Family).where(Family.slug == family_slug, Child.name == name)
        )
        if child is not None and not child.needs:
            child.needs = needs


def load(session, ctx: dict) -> None:
    _share_needs(session)
    budget, offer = ctx.get("bens_budget"), ctx.get("hilltop_overnight")
    if budget is None or offer is None:
        return
    if session.scalar(select(Booking.id).where(Booking.budget_id == budget.id)) is not None:
        return
    parent, staff = _user(session, "tom@bens-family.example"), _user(session, "finance@hilltop.example")
    try:
        with session.begin_nested():
            _book_for_ben(session, budget, offer, parent, staff)
    except DomainError as err:  # e.g. the demo budget's year is over: the rest of the demo still loads
        print(f"  (skipped Ben's demo bookings: {err.message})")


def _book_for_ben(session, budget, offer, parent, staff) -> None:
    past = _slot(session, offer, -34)  # after the demo ISF began; billed two days later, so overdue today
    delivered = operations.book(
        session, actor=parent, slot=past, budget=budget, units=2, now=past.starts_at - timedelta(days=14)
    )
    operations.confirm(session, delivered, staff)
    operations.deliver(session, delivered, staff, now=past.starts_at + timedelta(days=1))
    confirmed = operations.book(session, actor=parent, slot=_slot(session, offer, 21), budget=budget, units=2)
    operations.confirm(session, confirmed, staff)
