"""The set-based helpers of core/sql.py write what they are given, on SQLite and on PostgreSQL
(COPY there): ids in row order, values as given, conflicts skipped or refused as asked."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.core.sql import bulk_insert, bulk_insert_new, bulk_update, id_in
from marketplace.ledger.models import Account, Transfer

ACCOUNTS = Account.__table__


def account(owner_id: int, kind: str = "cash", name: str = "") -> dict:
    return dict(
        owner_type="test",
        owner_id=owner_id,
        kind=kind,
        non_negative=False,
        name=name or f"Test {owner_id} — £ and “quotes”, a\ttab",
        posted=0,
        pending_out=0,
        created_at=datetime(2026, 11, 30, 9, 15, tzinfo=UTC),
    )


def stored(session, ids):
    rows = session.execute(select(ACCOUNTS).where(id_in(session, ACCOUNTS.c.id, ids)).order_by(ACCOUNTS.c.id))
    return {row.id: row for row in rows}


def test_bulk_insert_returns_the_new_ids_in_row_order_and_stores_the_values(session):
    rows = [account(n) for n in (3, 1, 2)]
    ids = bulk_insert(session, ACCOUNTS, rows, returning_ids=True)
    assert len(set(ids)) == 3
    found = stored(session, ids)
    for new_id, row in zip(ids, rows, strict=True):
        assert (found[new_id].owner_id, found[new_id].name) == (row["owner_id"], row["name"])
        assert found[new_id].created_at == row["created_at"]
    more = bulk_insert(session, ACCOUNTS, [account(4)], returning_ids=True)
    assert more[0] > max(ids)
    assert bulk_insert(session, ACCOUNTS, []) == []


def test_bulk_insert_stores_dates_and_nulls(session):
    accounts = [account(5) | {"posted": -125}, account(6) | {"posted": 125}]  # the books still balance
    [debit, credit] = bulk_insert(session, ACCOUNTS, accounts, returning_ids=True)
    row = dict(
        debit_account_id=debit,
        credit_account_id=credit,
        amount=125,
        code="test",
        reference_type=None,
        reference_id=None,
        hold_id=None,
        reverses_id=None,
        idempotency_key=None,
        effective_date=date(2027, 1, 4),
        created_at=datetime(2027, 1, 4, 23, 30, tzinfo=UTC),
    )
    [transfer_id] = bulk_insert(session, Transfer.__table__, [row], returning_ids=True)
    transfer = session.get(Transfer, transfer_id)
    assert (transfer.effective_date, transfer.reference_type, transfer.amount) == (
        date(2027, 1, 4),
        None,
        125,
    )


def test_a_broken_constraint_is_refused_whole_as_an_integrity_error(session):
    bulk_insert(session, ACCOUNTS, [account(7)])
    with pytest.raises(IntegrityError), session.begin_nested():
        bulk_insert(session, ACCOUNTS, [account(8), account(7)])
    owners = session.scalars(select(Account.owner_id).where(Account.owner_type == "test"))
    assert sorted(owners) == [7]


def test_bulk_insert_new_skips_rows_that_exist_and_counts_the_rest(session):
    bulk_insert(session, ACCOUNTS, [account(9, name="first")])
    assert bulk_insert_new(session, ACCOUNTS, [account(9, name="second"), account(10), account(11)]) == 2
    assert bulk_insert_new(session, ACCOUNTS, [account(10)]) == 0
    assert bulk_insert_new(session, ACCOUNTS, []) == 0
    names = dict(
        session.execute(select(Account.owner_id, Account.name).where(Account.owner_type == "test")).all()
    )
    assert sorted(names) == [9, 10, 11] and names[9] == "first"


def test_bulk_update_sets_one_column_of_each_row(session):
    ids = bulk_insert(session, ACCOUNTS, [account(n) for n in (12, 13, 14)], returning_ids=True)
    bulk_update(session, ACCOUNTS, "name", {ids[0]: "Renamed", ids[2]: "Also renamed"})
    found = stored(session, ids)
    assert [found[i].name for i in ids] == ["Renamed", account(13)["name"], "Also renamed"]
