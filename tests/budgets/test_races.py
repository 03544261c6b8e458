"""Issue #12 on PostgreSQL with real transactions: a stream amendment racing bookings on the
same budget, and two publications of a commissioner's RAS at once. Each is serialised or a
clear 409 — never a deadlock or a constraint's 500 — and the ledger stays reconciled."""

import pytest
from sqlalchemy import func, select

from marketplace import ledger
from marketplace.accounts.models import User
from marketplace.bookings import operations as bookings
from marketplace.budgets import operations as budgets
from marketplace.budgets.balances import stream_balance
from marketplace.budgets.models import Budget, FundingStream, ResourceAllocationSystem
from marketplace.catalog.models import Slot
from tests.bookings.conftest import BookingWorld
from tests.budgets.conftest import QUESTIONS
from tests.races import race

pytestmark = [pytest.mark.postgres, pytest.mark.real_commits]


def test_a_stream_amendment_racing_bookings_never_deadlocks(app, session, make):
    world = BookingWorld(session, make)
    slots = [world.make_slot(capacity=50, days_ahead=10 + n) for n in range(4)]
    session.commit()
    user_id, budget_id = world.parent.id, world.budget.id
    stream_id = world.budget.streams[0].id  # social care, £3,000.00

    def book(slot_id):
        def prepare(session):
            user, slot = session.get(User, user_id), session.get(Slot, slot_id)
            budget = session.get(Budget, budget_id)
            return lambda: bookings.book(session, actor=user, slot=slot, budget=budget, units=1)

        return prepare

    def amend(amount):
        def prepare(session):
            stream = session.get(FundingStream, stream_id)
            return lambda: budgets.amend_stream(session, stream, actor=None, reason="race", amount=amount)

        return prepare

    results = []
    for amount in (310_000, 320_000, 330_000):
        results += race(app, *(book(s.id) for s in slots), amend(amount), amend(amount + 5_000))
    assert not [r for r in results if r.startswith("error")], results
    assert "ok" in results
    session.expire_all()
    stream = session.get(FundingStream, stream_id)
    assert stream.amount == stream_balance(session, stream).funded
    assert ledger.reconcile(session) == []


def test_two_publications_of_a_commissioners_ras_at_once(app, session, make):
    council = make.org("commissioner")
    drafts = [
        budgets.create_ras(
            session,
            commissioner=council,
            actor=None,
            name=f"RAS {n}",
            pence_per_point=100,
            questions=QUESTIONS,
        )
        for n in range(4)
    ]
    session.commit()
    ids = [d.id for d in drafts]

    def publish(ras_id):
        def prepare(session):
            ras = session.get(ResourceAllocationSystem, ras_id)
            return lambda: budgets.publish_ras(session, ras, actor=None)

        return prepare

    different = race(app, publish(ids[0]), publish(ids[1]))  # two drafts: serialised, both publish
    assert different == ["ok", "ok"], different
    same = race(app, publish(ids[2]), publish(ids[2]))  # one draft twice: the second is told
    assert sorted(same) == ["already_published", "ok"], same
    session.expire_all()
    live = session.scalars(
        select(ResourceAllocationSystem.id).where(
            ResourceAllocationSystem.commissioner_id == council.id, ResourceAllocationSystem.live.is_(True)
        )
    ).all()
    assert live == [ids[2]]
    published = session.scalar(select(func.count()).where(ResourceAllocationSystem.published_at.is_not(None)))
    assert published == 3
