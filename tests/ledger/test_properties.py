"""Random sequences of ledger operations keep every invariant (hypothesis, stateful).

A plain-Python model predicts each outcome; after every step the database must agree with it
and `reconcile()` must find nothing. Each example runs in a savepoint that is rolled back.
"""

import os

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import func, select

from marketplace import ledger
from marketplace.ledger.errors import (
    AlreadyReversed,
    HoldAlreadyResolved,
    IdempotencyConflict,
    InsufficientFunds,
    LedgerError,
)
from marketplace.ledger.models import Account, Hold, HoldResolution, IdempotencyRecord, Transfer

# name -> protected? The world is where money comes from; it may go negative.
ACCOUNTS = {"world": False, "budget_a": True, "budget_b": True, "provider": False, "isf": True}
NAMES = sorted(ACCOUNTS)
PROTECTED = [name for name, protected in ACCOUNTS.items() if protected]
# Mostly spend from protected accounts, where the refusals are.
pairs = st.tuples(st.sampled_from(PROTECTED + ["world", "provider"]), st.sampled_from(NAMES)).filter(
    lambda pair: pair[0] != pair[1]
)
amounts = st.integers(min_value=1, max_value=6000)
keys = st.sampled_from(["evt_1", "evt_2", "evt_3"])
OPERATIONS = (
    ["fund"] * 3
    + ["transfer"] * 3
    + ["transfer_to_itself"]
    + ["keyed_transfer"] * 2
    + ["place_hold"] * 4
    + ["resolve_hold"] * 4
    + ["resolve_hold_again"]
    + ["reverse"] * 2
)


_ACCOUNTS = Account.__table__
_STATE = select(
    select(func.count()).select_from(Transfer.__table__).scalar_subquery(),
    select(func.count()).select_from(Hold.__table__).scalar_subquery(),
    select(func.count()).select_from(HoldResolution.__table__).scalar_subquery(),
    select(func.count()).select_from(IdempotencyRecord.__table__).scalar_subquery(),
)
_BALANCES = select(_ACCOUNTS.c.id, _ACCOUNTS.c.posted, _ACCOUNTS.c.pending_out).order_by(_ACCOUNTS.c.id)


def ledger_state(session):
    """Everything a refusal must leave untouched, as stored (after flushing the session)."""
    session.flush()
    return session.execute(_BALANCES).all(), session.execute(_STATE).one()


def make_machine(session):
    class LedgerMachine(RuleBasedStateMachine):
        @initialize()
        def open_accounts(self):
            self.savepoint = session.begin_nested()
            self.accounts = {
                name: ledger.open_account(session, "test", i, name, non_negative=protected, name=name)
                for i, (name, protected) in enumerate(ACCOUNTS.items())
            }
            self.posted = dict.fromkeys(ACCOUNTS, 0)
            self.pending = dict.fromkeys(ACCOUNTS, 0)
            self.holds = {}  # id -> [debit, credit, amount, resolved]
            self.transfers = {}  # id -> [debit, credit, amount, reversed, is_reversal]
            self.keyed = {}  # key -> (payload, transfer id)

        def teardown(self):
            if getattr(self, "savepoint", None) is not None and self.savepoint.is_active:
                self.savepoint.rollback()

        # ---- helpers -------------------------------------------------------------------------

        def can_spend(self, name, amount):
            return not ACCOUNTS[name] or self.posted[name] - self.pending[name] >= amount

        def refused(self, error, call):
            before = ledger_state(session)
            with pytest.raises(error):
                call()
            assert ledger_state(session) == before, "a refusal changed the ledger"

        def move(self, debit, credit, amount):
            self.posted[debit] -= amount
            self.posted[credit] += amount

        # ---- rules ---------------------------------------------------------------------------
        # One rule choosing among weighted operations, so that holds get resolved and transfers
        # reversed often enough (hypothesis's swarm testing would otherwise starve them).

        @rule(op=st.sampled_from(OPERATIONS), data=st.data())
        def step(self, op, data):
            if op == "resolve_hold" and not self.pending_holds():
                op = "place_hold"
            if op == "resolve_hold_again" and len(self.pending_holds()) == len(self.holds):
                op = "place_hold"
            if op == "reverse" and not self.transfers:
                op = "fund"
            getattr(self, op)(data)

        def fund(self, data):
            amount, credit = data.draw(st.integers(1, 20000)), data.draw(st.sampled_from(PROTECTED))
            self.do_transfer("world", credit, amount)

        def transfer(self, data):
            self.do_transfer(*data.draw(pairs), data.draw(amounts))

        def transfer_to_itself(self, data):
            name, amount = data.draw(st.sampled_from(NAMES)), data.draw(amounts)
            self.refused(LedgerError, lambda: self.call_transfer(name, name, amount))

        def call_transfer(self, debit, credit, amount, key=None):
            return ledger.transfer(
                session, self.accounts[debit], self.accounts[credit], amount, "t", idempotency_key=key
            )

        def do_transfer(self, debit, credit, amount):
            if not self.can_spend(debit, amount):
                self.refused(InsufficientFunds, lambda: self.call_transfer(debit, credit, amount))
                return
            row = self.call_transfer(debit, credit, amount)
            self.move(debit, credit, amount)
            self.transfers[row.id] = [debit, credit, amount, False, False]

        def keyed_transfer(self, data):
            key, amount = data.draw(keys), data.draw(amounts)
            debit = data.draw(st.sampled_from(["budget_a", "isf"]))
            payload = (debit, amount)
            if key in self.keyed:
                first, first_id = self.keyed[key]
                if first == payload:
                    before = ledger_state(session)
                    assert self.call_transfer(debit, "provider", amount, key).id == first_id
                    assert ledger_state(session) == before, "a replay changed the ledger"
                else:
                    self.refused(
                        IdempotencyConflict, lambda: self.call_transfer(debit, "provider", amount, key)
                    )
                return
            if not self.can_spend(debit, amount):
                self.refused(InsufficientFunds, lambda: self.call_transfer(debit, "provider", amount, key))
                return
            row = self.call_transfer(debit, "provider", amount, key)
            self.move(debit, "provider", amount)
            self.transfers[row.id] = [debit, "provider", amount, False, False]
            self.keyed[key] = (payload, row.id)

        def place_hold(self, data):
            (debit, credit), amount = data.draw(pairs), data.draw(amounts)
            call = lambda: ledger.place_hold(  # noqa: E731
                session, self.accounts[debit], self.accounts[credit], amount, "h"
            )
            if not self.can_spend(debit, amount):
                self.refused(InsufficientFunds, call)
            else:
                hold = call()
                self.pending[debit] += amount
                self.holds[hold.id] = [debit, credit, amount, False]

        def pending_holds(self):
            return sorted(h for h, (*_, done) in self.holds.items() if not done)

        def hold_call(self, hold_id, how, part=None):
            hold = session.get(Hold, hold_id)
            return {
                "full": lambda: ledger.post_hold(session, hold),
                "part": lambda: ledger.post_hold(session, hold, part, code="partial"),
                "zero": lambda: ledger.post_hold(session, hold, 0),
                "void": lambda: ledger.void_hold(session, hold),
            }[how]

        def resolve_hold(self, data):
            how = data.draw(st.sampled_from(["full", "part", "part", "zero", "void"]))
            hold_id = data.draw(st.sampled_from(self.pending_holds()))
            debit, credit, amount, _ = self.holds[hold_id]
            part = data.draw(st.integers(1, amount)) if how == "part" else None
            result = self.hold_call(hold_id, how, part)()
            self.holds[hold_id][3] = True
            self.pending[debit] -= amount
            posted = {"full": amount, "part": part, "zero": 0, "void": 0}[how]
            if posted:
                assert isinstance(result, Transfer) and result.amount == posted
                self.move(debit, credit, posted)
                self.transfers[result.id] = [debit, credit, posted, False, False]
            else:
                assert result is None or isinstance(result, HoldResolution)

        def resolve_hold_again(self, data):
            how = data.draw(st.sampled_from(["full", "part", "zero", "void"]))
            hold_id = data.draw(st.sampled_from(sorted(h for h, (*_, done) in self.holds.items() if done)))
            self.refused(HoldAlreadyResolved, self.hold_call(hold_id, how, 1))

        def reverse(self, data):
            transfer_id = data.draw(st.sampled_from(sorted(self.transfers)))
            debit, credit, amount, reversed_, is_reversal = self.transfers[transfer_id]
            call = lambda: ledger.reverse(session, session.get(Transfer, transfer_id))  # noqa: E731
            if is_reversal:
                self.refused(LedgerError, call)
            elif reversed_:
                self.refused(AlreadyReversed, call)
            elif not self.can_spend(credit, amount):
                self.refused(InsufficientFunds, call)
            else:
                row = call()
                self.move(credit, debit, amount)
                self.transfers[transfer_id][3] = True
                self.transfers[row.id] = [credit, debit, amount, False, True]

        # ---- invariants ----------------------------------------------------------------------

        @invariant()
        def every_invariant_holds(self):
            session.flush()
            for name, account in self.accounts.items():
                assert ledger.balance(account) == ledger.Balance(self.posted[name], self.pending[name]), name
                if ACCOUNTS[name]:
                    assert account.available >= 0, name
            # Sums to zero, cached == derived, nothing protected below zero, postings match holds.
            assert ledger.reconcile(session) == []
            resolutions = session.execute(
                select(HoldResolution.hold_id, func.count()).group_by(HoldResolution.hold_id)
            ).all()
            assert all(n == 1 for _, n in resolutions), "a hold was resolved twice"
            assert {h for h, _ in resolutions} == {h for h, (*_, done) in self.holds.items() if done}

    return LedgerMachine


def test_random_operation_sequences_keep_every_invariant(session):
    machine = make_machine(session)
    machine.TestCase.settings = settings(
        # Modest by default (a few seconds); LEDGER_EXAMPLES=2000 for a thorough run.
        max_examples=int(os.environ.get("LEDGER_EXAMPLES", "60")),
        stateful_step_count=12,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    machine.TestCase().runTest()
