"""Concurrency on PostgreSQL with real transactions: capacity and money are never oversold."""

import threading

import pytest
from sqlalchemy import func, select

from marketplace import ledger
from marketplace.bookings import operations as bookings
from marketplace.bookings.models import Booking
from marketplace.budgets.books import stream_account
from marketplace.budgets.models import Budget
from marketplace.catalog.models import Slot
from marketplace.core.db import db
from marketplace.core.errors import Conflict
from marketplace.ledger.models import Hold, HoldResolution
from tests.bookings.conftest import BookingWorld

pytestmark = [pytest.mark.postgres, pytest.mark.real_commits]


def race(app, attempts):
    """Run each (user_id, slot_id, budget_id, units) booking attempt in its own thread and
    transaction, all released at once. Returns the results: "ok", a refusal's code, or an error."""
    barrier = threading.Barrier(len(attempts))
    results = []
    threads = [
        threading.Thread(target=lambda a=a: results.append(attempt(app, barrier, *a))) for a in attempts
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def attempt(app, barrier, user_id, slot_id, budget_id, units):
    """One booking in its own app context, session and transaction, started with the others."""
    from marketplace.accounts.models import User

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
            return "ok"
        except Conflict as err:
            session.rollback()
            return err.code
        except Exception as err:  # noqa: BLE001 - any other failure is what the test looks for
            session.rollback()
            return f"error: {err!r}"
        finally:
            db.session.remove()


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


def test_one_child_gets_one_place_when_five_requests_race(app, session, make):
    """Issue #12: five concurrent requests for the same child on one slot gave four places."""
    world = BookingWorld(session, make)
    slot = world.make_slot(capacity=5)
    session.commit()
    results = race(app, [(world.parent.id, slot.id, world.budget.id, 1)] * 5)
    assert sorted(results) == ["already_booked"] * 4 + ["ok"], results
    session.expire_all()
    assert session.get(Slot, slot.id).booked == 1
    assert session.scalar(select(func.count(Booking.id))) == 1
    budget = session.get(Budget, world.budget.id)
    assert sum(ledger.balance(stream_account(session, s)).pending for s in budget.streams) == 29500
    assert ledger.reconcile(session) == []


def close_and_book(app, budget_id, closer_id, attempts):
    """One thread closes the budget while the others make the booking `attempts` on it, all
    released at once. Returns the closer's result and the bookings' results."""
    from marketplace.accounts.models import User
    from marketplace.budgets.operations import change_budget_status

    barrier = threading.Barrier(len(attempts) + 1)
    closed, results = [], []

    def close():
        with app.app_context():
            try:
                user, budget = db.session.get(User, closer_id), db.session.get(Budget, budget_id)
                barrier.wait(timeout=10)
                change_budget_status(db.session, budget, "closed", actor=user)
                db.session.commit()
                closed.append("ok")
            except Conflict as err:
                db.session.rollback()
                closed.append(err.code)
            except Exception as err:  # noqa: BLE001 - any other failure is what the test looks for
                db.session.rollback()
                closed.append(f"error: {err!r}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=close)]
    threads += [
        threading.Thread(target=lambda a=a: results.append(attempt(app, barrier, *a))) for a in attempts
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return closed[0], results


def test_closing_a_budget_while_it_is_being_booked_never_leaves_a_closed_budget_with_money_held(
    app, session, make
):
    """Issue #12: closing while bookings were made left a closed budget with money held. Closing
    and booking lock the budget row, so either the bookings came first (closing is refused,
    "money_held") or the close did (every booking is refused, "budget_not_active")."""
    world = BookingWorld(session, make)
    rounds = []
    for n in range(6):
        family, parent, budget = world.another_family()
        slots = [world.make_slot(days_ahead=5 + 3 * n + i, capacity=3) for i in range(3)]
        rounds.append((parent.id, budget.id, [s.id for s in slots]))
    session.commit()
    outcomes = []
    for parent_id, budget_id, slot_ids in rounds:
        closed, results = close_and_book(
            app, budget_id, world.commissioner.id, [(parent_id, s, budget_id, 1) for s in slot_ids]
        )
        assert closed in ("ok", "money_held"), closed
        assert all(r in ("ok", "budget_not_active") for r in results), results
        outcomes.append((closed, sorted(results)))
        if closed == "ok":
            assert results == ["budget_not_active"] * 3, results
        else:
            assert "ok" in results
    session.expire_all()
    closed_budgets = session.scalars(select(Budget).where(Budget.status == "closed")).all()
    assert len(closed_budgets) == sum(1 for c, _ in outcomes if c == "ok")
    for budget in closed_budgets:  # no closed budget has a live hold, nor a booking
        assert [ledger.balance(stream_account(session, s)).pending for s in budget.streams] == [0, 0]
        assert session.scalar(select(func.count(Booking.id)).where(Booking.budget_id == budget.id)) == 0
    assert ledger.reconcile(session) == []
