"""Concurrency on PostgreSQL with real transactions: capacity and money are never oversold."""

import threading

import pytest
from sqlalchemy import func, select

from marketplace.bookings import operations as bookings
from marketplace.bookings.models import Booking
from marketplace.budgets.models import Budget
from marketplace.budgets.operations import stream_account
from marketplace.catalog.models import Slot
from marketplace.core.db import db
from marketplace.core.errors import Conflict
from marketplace.ledger import operations as ledger
from marketplace.ledger.models import Hold, HoldResolution
from tests.bookings.conftest import BookingWorld

pytestmark = [pytest.mark.postgres, pytest.mark.real_commits]


def race(app, attempts):
    """Run each (user_id, slot_id, budget_id, units) booking attempt in its own thread and
    transaction, all released at once. Returns (successes, refusals, other errors)."""
    from marketplace.accounts.models import User

    barrier = threading.Barrier(len(attempts))
    results = []

    def attempt(user_id, slot_id, budget_id, units):
        with app.app_context():
            session = db.session
            try:
                user, slot, budget = (
                    session.get(User, user_id),
                    session.get(Slot, slot_id),
                    session.get(Budget, budget_id),
                )
                barrier.wait(timeout=10)
                bookings.book(session, actor=user, slot=slot, budget=budget, units=units)
                session.commit()
                results.append("ok")
            except Conflict as err:
                session.rollback()
                results.append(err.code)
            except Exception as err:  # noqa: BLE001 - any other failure is what the test looks for
                session.rollback()
                results.append(f"error: {err!r}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=a) for a in attempts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_two_families_race_for_the_last_bed(app, session, make):
    world = BookingWorld(session, make)
    slot = world.make_slot(capacity=1)
    _, other_user, other_budget = world.another_family()
    session.commit()
    results = race(
        app, [(world.parent.id, slot.id, world.budget.id, 1), (other_user.id, slot.id, other_budget.id, 1)]
    )
    assert sorted(results) == ["fully_booked", "ok"]
    session.expire_all()
    assert session.get(Slot, slot.id).booked == 1
    assert session.scalar(select(func.count(Booking.id))) == 1
    pending = session.scalar(
        select(func.count(Hold.id)).outerjoin(HoldResolution).where(HoldResolution.id.is_(None))
    )
    assert pending == 2  # the winner's two stream holds; the loser left none behind
    assert ledger.reconcile(session) == []


def test_twenty_concurrent_bookings_against_a_budget_that_affords_seven(app, session, make):
    world = BookingWorld(session, make)
    # £295.00 a night; 7 nights = £2,065.00; the budget has £2,100.00 in all.
    _, user, budget = world.another_family(social_care=140000, health=70000)
    slots = [world.make_slot(days_ahead=3 + i, capacity=5) for i in range(20)]
    session.commit()
    results = race(app, [(user.id, s.id, budget.id, 1) for s in slots])
    assert results.count("ok") == 7, results
    assert results.count("budget_short") == 13, results
    session.expire_all()
    budget = session.get(Budget, budget.id)
    assert [ledger.balance(stream_account(session, s)).available for s in budget.streams] == [
        140000 - 7 * 19667,
        70000 - 7 * 9833,
    ]
    assert (
        sum(ledger.balance(stream_account(session, s)).available for s in budget.streams)
        == 210000 - 7 * 29500
    )
    assert ledger.reconcile(session) == []


def test_many_families_never_overbook_a_slot(app, session, make):
    world = BookingWorld(session, make)
    slot = world.make_slot(capacity=3)
    families = [world.another_family() for _ in range(10)]
    session.commit()
    results = race(app, [(user.id, slot.id, budget.id, 1) for _, user, budget in families])
    assert results.count("ok") == 3 and results.count("fully_booked") == 7, results
    session.expire_all()
    assert session.get(Slot, slot.id).booked == 3
