"""Factories for invoicing: example B's world (tests/bookings/conftest.py) and delivered care."""

from datetime import timedelta

import pytest

from marketplace.bookings import operations as bookings
from marketplace.bookings.models import CancelledBy
from marketplace.core.clock import business_date
from tests.bookings.conftest import BookingWorld


class InvoicingWorld(BookingWorld):
    """Example B's parties, with helpers that deliver, cancel late or no-show a booking."""

    def delivered(self, units=2, days_ahead=10, budget=None, offer=None):
        slot = self.make_slot(offer=offer, days_ahead=days_ahead)
        booking = bookings.book(
            self.session, actor=self.parent, slot=slot, budget=budget or self.budget, units=units
        )
        if booking.status.value == "requested":
            bookings.confirm(self.session, booking, self.provider)
        bookings.deliver(self.session, booking, self.provider, now=slot.starts_at + timedelta(hours=1))
        return booking

    def cancelled_late(self, units=1, days_ahead=12):
        slot = self.make_slot(days_ahead=days_ahead)
        booking = bookings.book(self.session, actor=self.parent, slot=slot, budget=self.budget, units=units)
        if booking.status.value == "requested":
            bookings.confirm(self.session, booking, self.provider)
        bookings.cancel(
            self.session,
            booking,
            self.parent,
            by=CancelledBy.FAMILY,
            now=slot.starts_at - timedelta(hours=24),
        )
        return booking

    def no_show(self, units=1, days_ahead=14):
        slot = self.make_slot(days_ahead=days_ahead)
        booking = bookings.book(self.session, actor=self.parent, slot=slot, budget=self.budget, units=units)
        if booking.status.value == "requested":
            bookings.confirm(self.session, booking, self.provider)
        bookings.mark_no_show(self.session, booking, self.provider, now=slot.starts_at + timedelta(hours=1))
        return booking

    @staticmethod
    def service_date(booking):
        return business_date(booking.slot.starts_at)


@pytest.fixture
def world(session, make):
    return InvoicingWorld(session, make)


@pytest.fixture
def demo_details(session, world):
    """Example B's world with the demo organisations' invoicing details (tests/invoicing/einvoices.py)."""
    from tests.invoicing.einvoices import with_demo_details

    return with_demo_details(session, world)


@pytest.fixture
def platform(session, make):
    """The platform organisation, with a Peppol id of its own."""
    from tests.invoicing.einvoices import platform_with_peppol_id

    return platform_with_peppol_id(session, make)
