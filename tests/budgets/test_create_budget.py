from datetime import date

import pytest

from marketplace import ledger
from marketplace.budgets import books
from marketplace.budgets import operations as budgets
from marketplace.core.errors import ValidationFailed


def test_example_b_budget_allocates_each_stream_through_the_ledger(session, make):
    council, icb = make.org("commissioner"), make.org("commissioner")
    family = make.family(children=("Ben",))
    budget = budgets.create_budget(
        session,
        child=family.children[0],
        period_start=date(2026, 4, 1),
        period_end=date(2027, 3, 31),
        streams=[
            {
                "kind": "social_care",
                "funder": council,
                "amount": 300000,
                "categories": ["overnight_short_break"],
            },
            {"kind": "health", "funder": icb, "amount": 150000, "categories": ["overnight_short_break"]},
        ],
    )
    assert budget.allocated == 450000
    assert [ledger.balance(books.stream_account(session, s)).available for s in budget.streams] == [
        300000,
        150000,
    ]
    assert ledger.reconcile(session) == []


def test_bad_streams_are_refused_naming_the_field(session, make):
    family = make.family()
    with pytest.raises(ValidationFailed) as err:
        budgets.create_budget(
            session,
            child=family.children[0],
            period_start=date(2026, 4, 1),
            period_end=date(2027, 3, 31),
            streams=[{"kind": "lottery", "funder": make.org("provider"), "amount": -5}],
        )
    assert set(err.value.fields) == {"streams.0.kind", "streams.0.funder", "streams.0.amount"}
