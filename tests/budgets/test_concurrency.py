"""Amendments of one stream from two connections at once stay consistent with the ledger."""

import threading
from datetime import date

import pytest

from marketplace import ledger
from marketplace.accounts import operations as accounts_ops
from marketplace.budgets import operations as budgets
from marketplace.budgets.balances import stream_balance
from marketplace.budgets.models import FundingStream
from marketplace.core.db import db


@pytest.mark.postgres
@pytest.mark.real_commits
def test_two_concurrent_amendments_leave_amount_and_ledger_agreeing(app):
    with app.app_context():
        council = accounts_ops.create_organisation(db.session, slug="c", name="C", kind="commissioner")
        family = accounts_ops.create_family(db.session, slug="f", name="F")
        child = accounts_ops.add_child(db.session, family, name="Kid", date_of_birth=date(2015, 1, 1))
        budget = budgets.create_budget(
            db.session,
            child=child,
            period_start=date(2026, 4, 1),
            period_end=date(2027, 3, 31),
            streams=[{"kind": "social_care", "funder": council, "amount": 300000}],
        )
        stream_id = budget.streams[0].id
        db.session.commit()
    barrier = threading.Barrier(2)
    errors = []

    def amend(amount):
        with app.app_context():
            try:
                stream = db.session.get(FundingStream, stream_id)
                barrier.wait()
                budgets.amend_stream(db.session, stream, actor=None, reason="race", amount=amount)
                db.session.commit()
            except Exception as err:  # pragma: no cover - reported below
                errors.append(err)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=amend, args=(a,)) for a in (350000, 320000)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with app.app_context():
        stream = db.session.get(FundingStream, stream_id)
        balance = stream_balance(db.session, stream)
        assert stream.amount in (350000, 320000)
        assert balance.funded == stream.amount == balance.available
        assert [a.old_value for a in stream.amendments] in ([300000, 350000], [300000, 320000])
        assert ledger.reconcile(db.session) == []
        db.session.remove()
