"""Budget status: indicative → agreed → active → closed, every pair tried."""

import itertools

import pytest

from marketplace.budgets import operations as budgets
from marketplace.budgets.models import BudgetStatus
from marketplace.core.errors import Conflict, ValidationFailed

LEGAL = {
    ("indicative", "agreed"),
    ("indicative", "closed"),
    ("agreed", "active"),
    ("agreed", "closed"),
    ("active", "closed"),
}
STATUSES = [s.value for s in BudgetStatus]


@pytest.mark.parametrize(("start", "target"), list(itertools.product(STATUSES, STATUSES)))
def test_every_transition(session, make, start, target):
    council = make.org("commissioner")
    budget = make.budget(make.family().children[0], ("social_care", council, 1000, 30))
    budget.status = BudgetStatus(start)
    if (start, target) in LEGAL:
        budgets.change_budget_status(session, budget, target)
        assert budget.status.value == target
    else:
        with pytest.raises(Conflict) as err:
            budgets.change_budget_status(session, budget, target)
        assert err.value.code == "illegal_transition"
        assert f"{start} cannot become {target}" in err.value.message
        assert budget.status.value == start


def test_an_unknown_status_names_the_field(session, world):
    with pytest.raises(ValidationFailed) as err:
        budgets.change_budget_status(session, world.budget, "spent")
    assert "status" in err.value.fields


def test_a_budget_with_money_held_cannot_close(session, world, spend):
    spend(world.health, 100, world.hospice, post=False)
    with pytest.raises(Conflict) as err:
        budgets.change_budget_status(session, world.budget, "closed")
    assert err.value.code == "money_held"
    assert world.budget.status is BudgetStatus.ACTIVE


def test_a_new_budget_cannot_start_closed(session, make):
    council = make.org("commissioner")
    with pytest.raises(ValidationFailed) as err:
        make.budget(make.family().children[0], ("social_care", council, 1000, 30), status="closed")
    assert "status" in err.value.fields


def test_commissioner_moves_status_on_the_page(client, world, sign_in, post_form):
    sign_in(world.icb_user)  # any funder of the budget may move its status
    response = post_form(f"/budgets/{world.budget.id}/status", {"status": "closed"})
    assert response.status_code == 302
    assert world.budget.status is BudgetStatus.CLOSED


def test_illegal_transition_on_the_page_is_a_409(client, world, sign_in, post_form):
    sign_in(world.council_user)
    response = post_form(f"/budgets/{world.budget.id}/status", {"status": "agreed"})
    assert response.status_code == 409
    assert b"cannot become agreed" in response.data
    assert world.budget.status is BudgetStatus.ACTIVE
