"""Sixteen processes book at once on one slot and one budget (issue #19), as sixteen gunicorn
workers would: real transactions on PostgreSQL, each process its own app and connection."""

import pytest
from sqlalchemy import func, select

from marketplace import ledger
from marketplace.accounts.models import User
from marketplace.bookings import operations as bookings
from marketplace.bookings.models import Booking
from marketplace.budgets.books import stream_account
from marketplace.budgets.models import Budget
from marketplace.catalog.models import Slot
from marketplace.ledger.models import Account
from tests.bookings.conftest import BookingWorld
from tests.races import race_in_processes

pytestmark = [pytest.mark.postgres, pytest.mark.real_commits]


def book(session, user_id, slot_id, budget_id):
    user, slot, budget = (
        session.get(User, user_id),
        session.get(Slot, slot_id),
        session.get(Budget, budget_id),
    )
    return lambda: bookings.book(session, actor=user, slot=slot, budget=budget, units=1)


def test_sixteen_processes_on_one_slot_and_one_budget_never_overbook_or_overspend(app, session, make):
    world = BookingWorld(session, make)
    # The contested slot has 3 places; eight families race for it.
    contested = world.make_slot(days_ahead=4, capacity=3)
    families = [world.another_family() for _ in range(8)]
    # The contested budget affords 3 nights (£295.00 each, £900.00 in all); its family races for
    # eight different slots with it.
    _, user, budget = world.another_family(social_care=60000, health=30000)
    slots = [world.make_slot(days_ahead=6 + i, capacity=2) for i in range(8)]
    session.commit()
    cases = [(u.id, contested.id, b.id) for _, u, b in families] + [(user.id, s.id, budget.id) for s in slots]

    results = race_in_processes(app, book, cases)

    on_slot, on_budget = results[:8], results[8:]
    assert sorted(on_slot) == ["fully_booked"] * 5 + ["ok"] * 3, results
    assert sorted(on_budget) == ["budget_short"] * 5 + ["ok"] * 3, results
    session.expire_all()
    assert session.get(Slot, contested.id).booked == 3
    assert session.scalar(select(func.count(Booking.id)).where(Booking.slot_id == contested.id)) == 3
    budget = session.get(Budget, budget.id)
    available = [ledger.balance(stream_account(session, s)).available for s in budget.streams]
    assert available == [60000 - 3 * 19667, 30000 - 3 * 9833]
    overspent = select(func.count(Account.id)).where(
        Account.non_negative, Account.posted - Account.pending_out < 0
    )
    assert session.scalar(overspent) == 0
    assert ledger.reconcile(session) == []
