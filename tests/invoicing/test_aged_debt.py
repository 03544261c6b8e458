"""Aged debt: what is owed on issued invoices by days past due (not yet due, 1–30, 31–60, 61–90,
over 90), per provider (rows: payers) and per payer (rows: providers), in one grouped query."""

from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import event

from marketplace.core.clock import today
from marketplace.core.db import db
from marketplace.invoicing import aged_debt
from tests.invoicing.overdue import issue, london_noon, settle_undated

ON = date(2027, 2, 3)
BOUNDARIES = [(0, "not_due"), (1, "days_1_30"), (30, "days_1_30"), (31, "days_31_60"), (60, "days_31_60")]
BOUNDARIES += [(61, "days_61_90"), (90, "days_61_90"), (91, "days_over_90")]


@pytest.mark.parametrize(("days", "bucket"), BOUNDARIES, ids=[f"{d} days" for d, _ in BOUNDARIES])
def test_an_invoice_days_past_due_falls_in_its_bucket(session, world, days, bucket):
    issue(session, world.provider_org, 12_345, ON - timedelta(days=days), payer_org=world.council)
    with time_machine.travel(london_noon(ON), tick=False):
        aged = aged_debt.aged_debt(session, world.provider_org.id, today())
    assert aged.totals.amounts == {b.key: 12_345 if b.key == bucket else 0 for b in aged_debt.BUCKETS}
    assert aged_debt.bucket_for(days).key == bucket  # the same rule, said in Python


def test_every_boundary_at_once_by_payer(session, world, make):
    other = make.org("commissioner", name="Aardvark Council")
    for n, (days, _) in enumerate(BOUNDARIES):
        issue(session, world.provider_org, 1000 + n, ON - timedelta(days=days), payer_org=world.council)
    issue(session, world.provider_org, 50_000, ON + timedelta(days=5), payer_org=other)  # not yet due
    issue(session, world.provider_org, 7_000, ON - timedelta(days=3), payer_family=world.family)
    issue(session, make.org("provider"), 99_999, ON - timedelta(days=3), payer_org=world.council)  # not ours
    aged = aged_debt.aged_debt(session, world.provider_org.id, ON)
    council, family, aardvark = aged.rows  # the most owed past its due date first
    assert (council.party.name, family.party.kind, aardvark.party.name) == (
        "Brightwater Council",
        "family",
        "Aardvark Council",
    )
    assert council.amounts == {
        "not_due": 1000,
        "days_1_30": 1001 + 1002,
        "days_31_60": 1003 + 1004,
        "days_61_90": 1005 + 1006,
        "days_over_90": 1007,
    }
    assert council.counts["days_1_30"] == 2 and council.count == 8
    assert family.amounts["days_1_30"] == 7_000 and aardvark.amounts["not_due"] == 50_000
    assert aged.totals.total == sum(1000 + n for n in range(8)) + 57_000
    assert aged.totals.amounts["days_1_30"] == 1001 + 1002 + 7_000


def test_the_amount_is_what_is_still_owed(session, world):
    part = issue(session, world.provider_org, 39_333, ON - timedelta(days=10), payer_org=world.council)
    settle_undated(session, part, 20_000)
    paid = issue(session, world.provider_org, 5_000, ON - timedelta(days=10), payer_org=world.council)
    settle_undated(session, paid, 5_000)
    aged = aged_debt.aged_debt(session, world.provider_org.id, ON)
    assert aged.totals.amounts["days_1_30"] == 19_333 and aged.totals.count == 1


def test_a_payer_sees_what_it_owes_each_provider(session, world, make):
    seaside = make.org("provider", name="Seaside Breaks")
    issue(session, world.provider_org, 39_333, ON - timedelta(days=30), payer_org=world.council)
    issue(session, seaside, 10_000, ON - timedelta(days=95), payer_org=world.council)
    issue(session, seaside, 2_000, ON + timedelta(days=1), payer_org=world.council)
    issue(session, seaside, 4_444, ON - timedelta(days=95), payer_org=world.icb)  # not the council's
    aged = aged_debt.aged_creditors(session, ON, payer_org_id=world.council.id)
    assert aged.side == "creditors"
    assert [
        (r.party.name, r.amounts["days_over_90"], r.amounts["days_1_30"], r.total) for r in aged.rows
    ] == [  # the most owed past its due date first
        ("Hilltop Children's Hospice", 0, 39_333, 39_333),
        ("Seaside Breaks", 10_000, 0, 12_000),
    ]
    family = aged_debt.aged_creditors(session, ON, payer_family_id=world.family.id)
    assert family.is_empty


def test_aged_debt_is_one_grouped_query_however_many_invoices(session, world, make):
    payers = [make.org("commissioner") for _ in range(3)]
    for n in range(60):
        issue(session, world.provider_org, 100 + n, ON - timedelta(days=n * 3), payer_org=payers[n % 3])
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        aged = aged_debt.aged_debt(session, world.provider_org.id, ON)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert aged.totals.count == 60 and len(aged.rows) == 3
    assert len(statements) <= 3  # the grouped sums, then the payers' names


def test_the_invoices_behind_a_figure(session, world):
    wanted = issue(session, world.provider_org, 1_111, ON - timedelta(days=45), payer_org=world.council)
    older = issue(session, world.provider_org, 2_222, ON - timedelta(days=59), payer_org=world.council)
    issue(session, world.provider_org, 3_333, ON - timedelta(days=29), payer_org=world.council)
    issue(session, world.provider_org, 4_444, ON - timedelta(days=45), payer_org=world.icb)
    bucket = aged_debt.BY_KEY["days_31_60"]
    query = aged_debt.invoices_behind(
        ON, bucket, provider_id=world.provider_org.id, payer_org_id=world.council.id
    )
    assert list(session.scalars(query)) == [older, wanted]  # most overdue first
    assert aged_debt.parse_party("org-12") == (12, None) and aged_debt.parse_party("family-7") == (None, 7)
    assert aged_debt.parse_party("org-x") is None and aged_debt.parse_party("12") is None
