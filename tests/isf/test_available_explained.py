"""The family (and everyone who sees the ISF) is told in words why the available balance is what it is."""

from datetime import date, datetime

import time_machine

from marketplace.core.clock import LONDON
from marketplace.isf import jobs, operations, reading


def _family(world, make, session):
    user = make.user("family", family=world.family)
    session.commit()
    return user


def test_before_any_drawdown_it_is_what_was_received_less_the_contingency(
    world, session, make, client, sign_in
):
    world.example_a()
    world.pay_quarter_one()
    family = _family(world, make, session)
    with time_machine.travel(datetime(2026, 4, 6, 5, tzinfo=LONDON), tick=False):  # before the job's run
        sign_in(family)
        page = client.get(f"/isfs/{world.isf.id}").get_data(as_text=True)
        home = client.get(f"/families/{world.family.slug}").get_data(as_text=True)
    sentence = (
        "£7,410.00 available: £7,800.00 received, less £390.00 kept as contingency, less £0.00 drawn so far."
    )
    assert sentence in page and sentence in home
    assert "The next weekly drawdown, £570.00, is on 6 April 2026." in page  # the job runs at 06:00


def test_after_drawdowns_and_a_shortfall_it_says_what_was_drawn_and_what_is_owed(world, session, make):
    world.example_a()
    world.pay(world.social)  # only the council's social care: £4,322.50 available (example A)
    jobs.run_weekly_drawdowns(session, date(2026, 5, 27))
    explained = reading.explain_available(session, world.isf, date(2026, 5, 27))
    assert explained.sentences() == [
        "£0.00 available: £4,550.00 received, less £227.50 kept as contingency, less £4,322.50 drawn so far.",
        "£237.50 of the planned weekly drawdowns could not be drawn yet, because not enough had been paid in; "
        "it is drawn first when more money arrives.",
        "The next weekly drawdown, £570.00, is on 1 June 2026.",
    ]


def test_a_parked_fund_names_no_next_drawdown_and_approved_releases_leave_available_alone(world, session):
    world.example_a()
    world.pay_quarter_one()
    jobs.run_weekly_drawdowns(session, date(2026, 4, 29))
    release = operations.request_release(session, world.isf, amount=25_000, reason="Extra nights")
    operations.approve_release(session, release, organisation=world.council, actor=None, note="Agreed")
    operations.park_isf(session, world.isf, "checking")
    explained = reading.explain_available(session, world.isf, date(2026, 4, 29))
    assert explained.sentences() == [
        "£5,130.00 available: £7,800.00 received, less £390.00 kept as contingency, less £2,280.00 drawn so far."
    ]
