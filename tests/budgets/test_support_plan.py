"""Support plan outcomes: added and updated by the family or a funding commissioner."""

from datetime import date

import pytest
from sqlalchemy import func, select

from marketplace.budgets import operations as budgets
from marketplace.budgets.lookups import outcome_for_budget
from marketplace.budgets.models import OutcomeStatus, SupportOutcome, TimeFrame
from marketplace.core.errors import Conflict, ValidationFailed


def count(session):
    return session.scalar(select(func.count()).select_from(SupportOutcome))


def test_outcomes_have_a_time_frame_review_date_and_status(session, world):
    outcome = budgets.add_outcome(
        session,
        world.budget,
        actor=world.parent,
        description="Ben swims weekly",
        time_frame="medium",
        review_date=date(2026, 10, 1),
    )
    assert (outcome.time_frame, outcome.status) == (TimeFrame.MEDIUM, OutcomeStatus.NOT_STARTED)
    budgets.update_outcome(session, outcome, actor=world.council_user, status="in_progress")
    assert outcome.status is OutcomeStatus.IN_PROGRESS
    assert outcome_for_budget(session, world.budget.id, outcome.id) is outcome
    assert [o.description for o in world.budget.outcomes] == [
        "Ben sleeps over with friends",
        "Ben swims weekly",
    ]


def test_lookup_is_scoped_to_the_budget(session, world, make):

    other = make.budget(world.others.children[0], ("social_care", world.council, 100, 30))
    assert outcome_for_budget(session, other.id, world.outcome.id) is None


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"description": ""}, "description"),
        ({"time_frame": "forever"}, "time_frame"),
        ({"review_date": date(2020, 1, 1)}, "review_date"),
    ],
)
def test_bad_outcomes_name_the_field(session, world, spec, field):
    before = count(session)
    values = {"description": "x", "time_frame": "short", "review_date": date(2026, 6, 1), **spec}
    with pytest.raises(ValidationFailed) as err:
        budgets.add_outcome(session, world.budget, actor=None, **values)
    assert field in err.value.fields and count(session) == before


def test_a_closed_budgets_plan_is_final(session, world):
    budgets.change_budget_status(session, world.budget, "closed")
    with pytest.raises(Conflict):
        budgets.update_outcome(session, world.outcome, actor=None, status="achieved")


@pytest.mark.parametrize("who", ["parent", "council_user", "icb_user", "admin"])
def test_family_and_funders_add_outcomes_on_the_page(client, session, world, sign_in, post_form, who):
    sign_in(getattr(world, who))
    response = post_form(
        f"/budgets/{world.budget.id}/outcomes",
        {"description": "Ben goes to youth club", "time_frame": "long", "review_date": "2027-03-01"},
    )
    assert response.status_code == 302
    assert world.budget.outcomes[-1].description == "Ben goes to youth club"
    done = post_form(f"/budgets/{world.budget.id}/outcomes/{world.outcome.id}", {"status": "achieved"})
    assert done.status_code == 302 and world.outcome.status is OutcomeStatus.ACHIEVED


def test_bad_outcome_form_shows_the_summary_and_writes_nothing(client, session, world, sign_in, post_form):
    sign_in(world.parent)
    before = count(session)
    response = post_form(
        f"/budgets/{world.budget.id}/outcomes", {"time_frame": "soon", "review_date": "31/13/2026"}
    )
    assert response.status_code == 422
    for field in (b"#description", b"#time_frame", b"#review_date"):
        assert b'href="' + field + b'"' in response.data
    assert count(session) == before
    typed_uk_style = post_form(  # 31/12/2026 is a date as people type it (issue #17, item 10)
        f"/budgets/{world.budget.id}/outcomes",
        {"description": "Ben tries a sleepover", "time_frame": "short", "review_date": "31/12/2026"},
    )
    assert typed_uk_style.status_code == 302 and count(session) == before + 1
    bad_status = post_form(f"/budgets/{world.budget.id}/outcomes/{world.outcome.id}", {"status": "done"})
    assert bad_status.status_code == 422 and world.outcome.status is OutcomeStatus.NOT_STARTED


@pytest.mark.parametrize("who", ["other_parent", "other_commissioner", "provider"])
def test_outsiders_cannot_touch_the_plan(client, session, world, sign_in, post_form, who):
    sign_in(getattr(world, who))
    before = count(session)
    add = post_form(
        f"/budgets/{world.budget.id}/outcomes",
        {"description": "x", "time_frame": "short", "review_date": "2026-06-01"},
    )
    update = post_form(f"/budgets/{world.budget.id}/outcomes/{world.outcome.id}", {"status": "achieved"})
    assert (add.status_code, update.status_code) == (404, 404)
    assert count(session) == before and world.outcome.status is OutcomeStatus.NOT_STARTED
