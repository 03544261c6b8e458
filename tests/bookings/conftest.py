"""Factories for bookings: example B's parties, an overnight offer and its slots."""

import html
import re
from datetime import timedelta

import pytest

from marketplace.budgets import operations as budgets
from marketplace.catalog import operations as catalog
from marketplace.catalog.models import Category, Setting, Unit
from marketplace.core.clock import financial_year, today, utcnow


class BookingWorld:
    """Hilltop (verified), the council and the ICB, Ben's family with example B's managed budget,
    and Hilltop's overnight short break at £295.00 a night (48 hours' free notice, then 50%)."""

    def __init__(self, session, make):
        self.session, self.make = session, make
        self.provider_org = make.org("provider", name="Hilltop Children's Hospice")
        self.provider = make.user("provider", org=self.provider_org)
        self.profile = catalog.provider_profile(session, self.provider_org)
        catalog.verify_provider(session, self.profile, None)
        self.council = make.org("commissioner", name="Brightwater Council")
        self.icb = make.org("commissioner", name="NHS Brightwater ICB")
        self.commissioner = make.user("commissioner", org=self.council)
        self.family = make.family(children=("Ben",))
        self.parent = make.user("family", family=self.family)
        self.budget = self.make_budget(self.family)
        self.offer = self.make_offer()

    def make_budget(self, family, social_care=300000, health=150000, categories=("overnight_short_break",)):
        start, end = financial_year(today())
        return budgets.create_budget(
            self.session,
            child=family.children[0],
            period_start=start,
            period_end=end + timedelta(days=400),
            streams=[
                {
                    "kind": "social_care",
                    "funder": self.council,
                    "amount": social_care,
                    "po_number": "PO-SC-1",
                    "categories": list(categories),
                    "payment_terms_days": 30,
                },
                {
                    "kind": "health",
                    "funder": self.icb,
                    "amount": health,
                    "po_number": "PO-H-1",
                    "categories": list(categories),
                    "payment_terms_days": 45,
                },
            ],
        )

    def make_offer(self, **overrides):
        data = dict(
            title="Overnight short break",
            description="A night at the hospice",
            category=Category.OVERNIGHT_SHORT_BREAK,
            setting=Setting.HOSPICE_RESIDENTIAL,
            min_age=0,
            max_age=25,
            unit=Unit.NIGHT,
            price=29500,
            free_cancellation_hours=48,
            late_cancellation_bp=5000,
            no_show_bp=10000,
            min_units_per_booking=1,
            funding_streams=["social_care", "health"],
        )
        data.update(overrides)
        offer = catalog.create_offer(self.session, self.profile, data, None)
        catalog.publish_offer(self.session, offer, None)
        return offer

    def other_provider(self, **offer):
        """Another verified provider, unrelated to Ben's family, with its own published offer."""
        org = self.make.org("provider", name="Seaview Respite")
        user = self.make.user("provider", org=org)
        profile = catalog.provider_profile(self.session, org)
        catalog.verify_provider(self.session, profile, None)
        data = dict(
            title="Seaview overnight",
            description="A night by the sea",
            category=Category.OVERNIGHT_SHORT_BREAK,
            setting=Setting.HOSPICE_RESIDENTIAL,
            unit=Unit.NIGHT,
            price=29500,
            funding_streams=["social_care", "health"],
        )
        data.update(offer)
        made = catalog.create_offer(self.session, profile, data, None)
        catalog.publish_offer(self.session, made, None)
        return user, made

    def make_slot(self, offer=None, days_ahead=10, capacity=4):
        starts = utcnow().replace(microsecond=0) + timedelta(days=days_ahead)
        return catalog.add_slot(
            self.session, offer or self.offer, starts, starts + timedelta(hours=16), capacity, None
        )

    def another_family(self, **budget):
        family = self.make.family(children=("Zoe",))
        user = self.make.user("family", family=family)
        return family, user, self.make_budget(family, **budget)


@pytest.fixture
def world(session, make):
    return BookingWorld(session, make)


def hidden_fields(page: bytes) -> dict[str, str]:
    """The hidden inputs of a page's form: what the browser posts back with its button."""
    text = page.decode()
    return {
        name: html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', text)
    }
