"""Live balances per stream and in total, from the ledger (DESIGN.md example B)."""

from marketplace import ledger
from marketplace.budgets.balances import budget_balances, stream_balance
from marketplace.budgets.books import stream_account


def figures(session, budget):
    streams, totals = budget_balances(session, budget)
    return [(b.allocated, b.held, b.spent, b.available) for b in streams], (
        totals.allocated,
        totals.held,
        totals.spent,
        totals.available,
    )


def test_a_new_budget_is_all_available(session, world):
    assert figures(session, world.budget) == (
        [(300000, 0, 0, 300000), (150000, 0, 0, 150000)],
        (450000, 0, 0, 450000),
    )


def test_example_b_two_nights_held_then_delivered(session, world, spend):
    hold = spend(world.social, 59000, world.hospice, post=False)
    assert figures(session, world.budget) == (
        [(300000, 59000, 0, 241000), (150000, 0, 0, 150000)],
        (450000, 59000, 0, 391000),  # "hold £590.00; available £3,910.00"
    )
    ledger.post_hold(session, hold)
    assert figures(session, world.budget)[1] == (450000, 0, 59000, 391000)
    assert ledger.reconcile(session) == []


def test_late_cancellation_posts_half_and_releases_half(session, world, spend):
    spend(world.health, 29500, world.hospice, post=14750)
    assert figures(session, world.budget)[0][1] == (150000, 0, 14750, 135250)


def test_a_reversed_spend_is_no_longer_spent(session, world, spend):
    posted = spend(world.social, 10000, world.hospice)
    ledger.reverse(session, posted)
    balance = stream_balance(session, world.social)
    assert (balance.spent, balance.available, balance.funded) == (0, 300000, 300000)


def test_allocated_is_always_spent_plus_held_plus_available(session, world, spend):
    spend(world.social, 12345, world.hospice)
    spend(world.social, 500, world.hospice, post=False)
    spend(world.health, 99, world.hospice, post=50)
    for b in budget_balances(session, world.budget)[0]:
        assert b.allocated == b.funded == b.spent + b.held + b.available
        assert b.available == ledger.balance(stream_account(session, b.stream)).available


def test_a_zero_stream_has_no_account_and_no_money(session, make):
    council = make.org("commissioner")
    budget = make.budget(make.family().children[0], ("charity", council, 0, 30))
    assert figures(session, budget) == ([(0, 0, 0, 0)], (0, 0, 0, 0))
