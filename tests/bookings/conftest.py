"""Booking fixtures: example B's world (Hilltop, its overnight offer, Ben's budget, slots) from the
shared factories (tests/factories.py), and a helper for the booking pages' hidden fields."""

import html
import re
from datetime import timedelta

import pytest

from marketplace.core.clock import financial_year, today


class BookingWorld:
    """Hilltop (verified), the council and the ICB, Ben's family with example B's managed budget,
    and Hilltop's overnight short break at £295.00 a night (48 hours' free notice, then 50%)."""

    def __init__(self, session, make):
        self.session, self.make = session, make
        self.provider_org = make.hilltop()
        self.profile = make.provider(org=self.provider_org)
        self.provider = make.user("provider", org=self.provider_org)
        self.council, self.icb = make.council(), make.icb()
        self.commissioner = make.user("commissioner", org=self.council)
        self.family = make.family(children=("Ben",))
        self.parent = make.user("family", family=self.family)
        self.budget = self.make_budget(self.family)
        self.offer = self.make_offer()

    def make_budget(self, family, **amounts):
        """Ben's budget for `family`'s child, over a period from this financial year's start that
        outlasts any slot a test books (bookings are dated from today)."""
        start, end = financial_year(today())
        return self.make.bens_budget(
            family.children[0], self.council, self.icb, period=(start, end + timedelta(days=400)), **amounts
        )

    def make_offer(self, **overrides):
        return self.make.offer(self.profile, **overrides)

    def other_provider(self, **offer):
        """Another verified provider, unrelated to Ben's family, with its own published offer."""
        profile = self.make.provider("Seaview Respite")
        user = self.make.user("provider", org=profile.organisation)
        fields = dict(title="Seaview overnight", description="A night by the sea", **offer)
        return user, self.make.offer(profile, **fields)

    def make_slot(self, offer=None, days_ahead=10, capacity=4):
        return self.make.slot(offer or self.offer, days_ahead=days_ahead, capacity=capacity)

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
