"""ISF fixtures: example A's parties, budget (from tests/factories.py) and ISF, built the way the
demo builds them."""

from datetime import date

import pytest

from marketplace import ledger
from marketplace.isf import books, operations

START = date(2026, 4, 6)


class IsfWorld:
    def __init__(self, session, make):
        self.session = session
        self.make = make

    def example_a(self, *, agreed=True, cycle="quarterly", timing="advance", **terms):
        """Amy's ISF: Hilltop, three isf streams (£18,200 / £10,400 / £2,600), 500 bp, 800 bp, £570."""
        s = self.session
        self.hilltop, self.council, self.icb = self.make.hilltop(), self.make.council(), self.make.icb()
        self.other_provider = self.make.org("provider")
        self.other_council = self.make.org("commissioner")
        self.family = self.make.family(children=("Amy",))
        budget = self.make.amys_budget(self.family.children[0], self.council, self.icb)
        self.social, self.health, self.education = budget.streams
        options = dict(weekly_amount=57_000, contingency_bp=500, top_slice_bp=800)
        options.update(terms)
        self.isf = operations.create_isf(
            s,
            budget=budget,
            provider=self.hilltop,
            start_date=START,
            end_date=date(2027, 3, 31),
            cycles={k: (cycle, timing) for k in ("social_care", "health", "education")},
            **options,
        )
        if agreed:
            operations.agree_isf(s, self.isf, self.hilltop)
            operations.agree_isf(s, self.isf, self.council)
        return self.isf

    def pay(self, stream, amount=None, on=START, reference=None):
        amount = (
            amount
            if amount is not None
            else {"social_care": 455_000, "health": 260_000, "education": 65_000}[stream.kind.value]
        )
        return operations.record_receipt(
            self.session,
            self.isf,
            stream=stream,
            amount=amount,
            received_on=on,
            reference=reference or f"REM-{stream.kind.value}-{on.isoformat()}",
        )

    def pay_quarter_one(self):
        return [self.pay(s) for s in (self.social, self.health, self.education)]

    # balances in pence
    def available(self):
        return ledger.balance(books.available_account(self.session, self.isf)).available

    def contingency(self):
        return ledger.balance(books.contingency_account(self.session, self.isf)).available

    def delivery_income(self):
        return books.delivery_income_account(self.session, self.hilltop.id).posted

    def overhead(self):
        return books.overhead_account(self.session, self.hilltop.id).posted


@pytest.fixture
def world(session, make):
    return IsfWorld(session, make)
