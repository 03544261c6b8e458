"""Budget fixtures: example B's world (Ben's managed budget, from tests/factories.py) and the
people around it."""

from datetime import date
from types import SimpleNamespace

import pytest

from marketplace import ledger
from marketplace.budgets import books
from marketplace.budgets import operations as budgets

QUESTIONS = [
    {
        "text": "Personal care?",
        "answers": [
            {"label": "None", "points": 0},
            {"label": "Some", "points": 4},
            {"label": "All", "points": 8},
        ],
    },
    {"text": "Nights?", "answers": [{"label": "Rarely", "points": 0}, {"label": "Often", "points": 3}]},
]


@pytest.fixture
def world(session, make):
    """Ben's budget (social care £3,000 from the council, health £1,500 from the ICB), his parent,
    both funders' staff, an unrelated family, commissioner and provider, an admin, a support
    outcome, Brightwater's published RAS (and a draft) with one assessment of Ben."""
    council, icb, hospice = make.council(), make.icb(), make.hilltop()
    elsewhere = make.org("commissioner", slug="elsewhere-council", name="Elsewhere Council")
    bens = make.family(slug="bens-family", children=("Ben",))
    others = make.family(slug="others-family", children=("Zed",))
    ben = bens.children[0]
    budget = make.bens_budget(ben, council, icb)
    outcome = budgets.add_outcome(
        session,
        budget,
        actor=None,
        description="Ben sleeps over with friends",
        time_frame="short",
        review_date=date(2026, 7, 1),
    )
    ras = budgets.create_ras(
        session,
        commissioner=council,
        actor=None,
        name="Brightwater RAS",
        pence_per_point=25000,
        questions=QUESTIONS,
    )
    budgets.publish_ras(session, ras, actor=None)
    draft = budgets.create_ras(
        session,
        commissioner=council,
        actor=None,
        name="Next year's RAS",
        pence_per_point=30000,
        questions=QUESTIONS,
    )
    answers = {q.id: q.answers[1].id for q in ras.questions}
    assessment = budgets.assess(session, ras, child=ben, actor=None, answers=answers)
    w = SimpleNamespace(
        council=council,
        icb=icb,
        elsewhere=elsewhere,
        hospice=hospice,
        bens=bens,
        others=others,
        ben=ben,
        budget=budget,
        social=budget.streams[0],
        health=budget.streams[1],
        outcome=outcome,
        ras=ras,
        draft=draft,
        assessment=assessment,
        parent=make.user("family", family=bens),
        other_parent=make.user("family", family=others),
        council_user=make.user("commissioner", org=council),
        icb_user=make.user("commissioner", org=icb),
        other_commissioner=make.user("commissioner", org=elsewhere),
        provider=make.user("provider", org=hospice),
        admin=make.user("admin"),
    )
    session.flush()
    return w


@pytest.fixture
def spend(session):
    """Hold (and optionally post) money from a stream to a provider, as a booking would."""

    def _spend(stream, amount, provider, *, post=True):
        debit = books.stream_account(session, stream)
        credit = ledger.open_account(session, "organisation", provider.id, "receivable")
        hold = ledger.place_hold(session, debit, credit, amount, "booking")
        if post is True:
            return ledger.post_hold(session, hold)
        if post:
            return ledger.post_hold(session, hold, post)
        return hold

    return _spend


@pytest.fixture
def post_form(client, csrf):
    """POST a form with the session's CSRF token."""

    def _post(url, data=None, **kwargs):
        return client.post(url, data={**(data or {}), "csrf_token": csrf()}, **kwargs)

    return _post
