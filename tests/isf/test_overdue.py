"""Overdue funder instalments: flagged on the ISF page to the provider and the funders, and told
to them in a notice once."""

from datetime import date, datetime

import pytest
import time_machine
from sqlalchemy import select

from marketplace.core.clock import LONDON
from marketplace.core.notifications import Notification
from marketplace.isf import jobs, reading

# Quarter 2 falls due on 6 July 2026; with 30 days' terms it is late from 6 August.
LATE = date(2026, 8, 6)


@pytest.fixture
def overdue(world, session, make):
    world.example_a()
    world.pay_quarter_one()
    world.users = {
        "holder": make.user("provider", org=world.hilltop),
        "council": make.user("commissioner", org=world.council),
        "icb": make.user("commissioner", org=world.icb),
        "family": make.user("family", family=world.family),
        "other_provider": make.user("provider", org=world.other_provider),
    }
    session.commit()
    return world


def _inbox(session, user) -> list[str]:
    """The user's overdue-funding notices (the daily job may also park the fund: a notice of its own)."""
    query = select(Notification.subject).where(Notification.user_id == user.id)
    return list(session.scalars(query.where(Notification.subject.startswith("Overdue"))))


def test_an_instalment_is_overdue_once_its_terms_have_run_and_by_what_is_unpaid(overdue, session):
    assert [s.payment_terms_days for s in overdue.isf.streams] == [30, 30, 30]
    assert reading.overdue_instalments(session, overdue.isf, date(2026, 8, 5)) == []
    overdue.pay(overdue.health, 100_000, on=date(2026, 7, 20))  # part of the ICB's quarter 2
    late = reading.overdue_instalments(session, overdue.isf, LATE)
    assert [(o.instalment.funder, o.instalment.due_on, o.overdue_since, o.unpaid) for o in late] == [
        ("Brightwater Council", date(2026, 7, 6), LATE, 455_000),
        ("NHS Brightwater ICB", date(2026, 7, 6), LATE, 160_000),
        ("Brightwater Council", date(2026, 7, 6), LATE, 65_000),
    ]


def test_the_job_tells_the_provider_and_each_late_funder_once(overdue, session):
    assert jobs.flag_overdue_funding(session, date(2026, 8, 5)) == 0
    assert jobs.flag_overdue_funding(session, LATE) == 3
    assert jobs.flag_overdue_funding(session, LATE) == 0  # run again: told once
    with time_machine.travel(datetime(2026, 8, 7, 6, tzinfo=LONDON), tick=False):
        jobs.weekly_drawdown_job()  # the scheduler's daily job flags too, and still once
    users = overdue.users
    assert len(_inbox(session, users["holder"])) == 3
    # each side reads its own wording: the funder is told the instalment is its own
    assert _inbox(session, users["icb"]) == [
        "Overdue: your £2,600.00 for Amy's ISF held by Hilltop Children's Hospice"
    ]
    assert sorted(_inbox(session, users["council"])) == [
        "Overdue: your £4,550.00 for Amy's ISF held by Hilltop Children's Hospice",
        "Overdue: your £650.00 for Amy's ISF held by Hilltop Children's Hospice",
    ]
    assert (
        sorted(_inbox(session, users["holder"]))[0]
        == "Overdue: Brightwater Council's £4,550.00 for Amy's ISF"
    )
    assert _inbox(session, users["family"]) == [] and _inbox(session, users["other_provider"]) == []
    body = session.scalar(select(Notification.body).where(Notification.user_id == users["icb"].id))
    assert (
        "(health, 6 July 2026 to 5 October 2026, purchase order ICB-PHB-0192) fell due on 6 July 2026" in body
    )
    assert "£2,600.00 of £2,600.00 is unpaid" in body


def test_the_isf_page_flags_overdue_funding_to_the_provider_and_funders_not_the_family(
    overdue, client, sign_in
):
    with time_machine.travel(datetime(2026, 8, 6, 12, tzinfo=LONDON), tick=False):
        for who, flagged in (("holder", True), ("icb", True), ("council", True), ("family", False)):
            sign_in(overdue.users[who])
            page = client.get(f"/isfs/{overdue.isf.id}").get_data(as_text=True)
            warning = "Overdue funding: £7,800.00 from Brightwater Council and NHS Brightwater ICB is late"
            assert (warning in page) is flagged, who
            if flagged:
                assert "Late since" in page and "6 August 2026" in page
