"""Catalogue factories: a verified provider with staff, offers that read like the domain, slots."""

from datetime import UTC, datetime, timedelta

import pytest

from marketplace.catalog import operations
from marketplace.core.clock import utcnow

HILLTOP_OVERNIGHT = dict(
    title="Overnight short break",
    description="Nursing care around the clock",
    category="overnight_short_break",
    setting="hospice_residential",
    min_age=0,
    max_age=19,
    needs=["complex health"],
    unit="night",
    price=29500,
    funding_streams=["social_care", "health"],
    free_cancellation_hours=48,
    late_cancellation_bp=5000,
)


class CatalogFactory:
    """Objects are flushed, not committed: a test that sends a request which fails (the app then
    rolls back) calls `session.commit()` first so its set-up survives (a savepoint, undone at the end)."""

    def __init__(self, session, make):
        self.session = session
        self.make = make

    def provider(self, name=None, verified=True, councils=("Brightwater",), districts=("BW1",), **details):
        org = self.make.org("provider", name=name)
        profile = operations.provider_profile(self.session, org)
        operations.update_profile(
            self.session,
            profile,
            dict(
                description=f"{org.name} cares",
                councils=list(councils),
                postcode_districts=list(districts),
                **details,
            ),
            None,
        )
        if verified:
            operations.verify_provider(self.session, profile, None)
        self.session.flush()
        return profile

    def staff(self, profile, role="provider"):
        return self.make.user(role, org=profile.organisation)

    def offer(self, provider=None, publish=True, **fields):
        provider = provider or self.provider()
        data = {**HILLTOP_OVERNIGHT, **fields}
        offer = operations.create_offer(self.session, provider, data, None)
        if publish:
            operations.publish_offer(self.session, offer, None)
        return offer

    def slot(self, offer, starts_at=None, hours=17, capacity=4, booked=0, closed=False, days_ahead=7):
        starts_at = starts_at or (
            utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=days_ahead)
        )
        slot = operations.add_slot(
            self.session, offer, starts_at, starts_at + timedelta(hours=hours), capacity, None
        )
        slot.booked = booked
        slot.closed = closed
        self.session.flush()
        return slot


@pytest.fixture
def catalog(session, make):
    return CatalogFactory(session, make)


@pytest.fixture
def make_offer(catalog):
    return catalog.offer


@pytest.fixture
def make_slot(catalog):
    return catalog.slot


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
