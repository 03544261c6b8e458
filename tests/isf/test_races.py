"""Issue #12 on PostgreSQL with real transactions: two funders deciding one contingency release
at once, and two set-ups of one budget's ISF at once. Exactly one wins; the other gets a 409;
a release's status always matches its money; nothing is a 500."""

from datetime import date

import pytest
from sqlalchemy import func, select

from marketplace import ledger
from marketplace.accounts.models import Organisation
from marketplace.budgets import operations as budgets
from marketplace.budgets.models import Budget
from marketplace.isf import operations
from marketplace.isf.models import ContingencyRelease, Isf, ReleaseStatus
from marketplace.ledger.models import Transfer
from tests.isf.conftest import IsfWorld
from tests.races import race

pytestmark = [pytest.mark.postgres, pytest.mark.real_commits]


def decide(verb, release_id, org_id):
    def prepare(session):
        release = session.get(ContingencyRelease, release_id)
        organisation = session.get(Organisation, org_id)
        operation = operations.approve_release if verb == "approve" else operations.refuse_release
        return lambda: operation(session, release, organisation=organisation, note=f"{verb}d")

    return prepare


def released_money(session, release_id) -> int:
    return session.scalar(
        select(func.coalesce(func.sum(Transfer.amount), 0)).where(
            Transfer.reference_type == "isf_contingency_release", Transfer.reference_id == str(release_id)
        )
    )


def test_two_funders_deciding_one_release_at_once(app, session, make):
    world = IsfWorld(session, make)
    isf = world.example_a()
    world.pay_quarter_one()
    releases = [operations.request_release(session, isf, amount=2_000, reason=f"Night {n}") for n in range(6)]
    session.commit()
    ids = [r.id for r in releases]
    council, icb = world.council.id, world.icb.id
    outcomes = []
    for n, release_id in enumerate(ids):  # approve against refuse, and approve against approve
        first, second = ("approve", "refuse") if n % 2 == 0 else ("approve", "approve")
        results = race(app, decide(first, release_id, council), decide(second, release_id, icb))
        assert sorted(results) == ["already_decided", "ok"], results
        outcomes.append(results)
    session.expire_all()
    approved = 0
    for release_id in ids:
        release = session.get(ContingencyRelease, release_id)
        paid = released_money(session, release_id)
        assert paid == (2_000 if release.status is ReleaseStatus.APPROVED else 0), release.status
        assert release.status is not ReleaseStatus.REQUESTED and release.decided_at is not None
        approved += release.status is ReleaseStatus.APPROVED
    assert world.contingency() == 39_000 - 2_000 * approved
    assert ledger.reconcile(session) == []


def test_two_set_ups_of_one_budgets_isf_at_once(app, session, make):
    council, hilltop = make.org("commissioner"), make.org("provider")
    budget = budgets.create_budget(
        session,
        child=make.family(children=("Amy",)).children[0],
        period_start=date(2026, 4, 1),
        period_end=date(2027, 3, 31),
        streams=[{"kind": "social_care", "funder": council, "amount": 1_820_000, "management": "isf"}],
    )
    session.commit()
    budget_id, provider = budget.id, hilltop.id

    def set_up(session):
        budget, hilltop = session.get(Budget, budget_id), session.get(Organisation, provider)
        return lambda: operations.create_isf(
            session,
            budget=budget,
            provider=hilltop,
            start_date=date(2026, 4, 6),
            end_date=date(2027, 3, 31),
            weekly_amount=57_000,
            contingency_bp=500,
            top_slice_bp=800,
        )

    results = race(app, set_up, set_up)
    assert sorted(results) == ["isf_exists", "ok"], results
    session.expire_all()
    assert session.scalar(select(func.count(Isf.id)).where(Isf.budget_id == budget_id)) == 1
