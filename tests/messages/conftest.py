"""Message fixtures: Ben's booking with Hilltop (tests/bookings' world) and Amy's ISF (tests/isf's
world), each with a user for every kind of party and for people outside the conversation."""

import pytest

from marketplace.bookings import operations as bookings
from tests.bookings.conftest import BookingWorld
from tests.isf.conftest import IsfWorld
from tests.isf.test_routes import signed_in_client


@pytest.fixture
def ben(session, make):
    """Ben's requested booking with Hilltop, and who may and may not join its thread."""
    world = BookingWorld(session, make)
    world.booking = bookings.book(
        session, actor=world.parent, slot=world.make_slot(), budget=world.budget, units=1
    )
    world.other_provider_user, _ = world.other_provider()
    world.other_parent = world.another_family()[1]
    world.admin = make.user("admin")
    session.commit()
    return world


@pytest.fixture
def amy(session, make):
    """Amy's agreed ISF held by Hilltop, funded by the council and the ICB."""
    world = IsfWorld(session, make)
    world.example_a()
    world.parent = make.user("family", family=world.family)
    world.holder = make.user("provider", org=world.hilltop)
    world.funder = make.user("commissioner", org=world.icb)
    world.council_officer = make.user("commissioner", org=world.council)
    world.other_provider_user = make.user("provider", org=world.other_provider)
    world.other_commissioner = make.user("commissioner", org=world.other_council)
    world.other_parent = make.user("family")
    world.admin = make.user("admin")
    session.commit()
    return world


@pytest.fixture
def as_user(app):
    """`as_user(user)` → (client, csrf token), signed in through the sign-in form."""
    return lambda user: signed_in_client(app, user)
