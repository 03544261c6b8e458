"""The review pack reports variance and clawback only for what happened, not for weeks the
weekly drawdown has not yet run for."""

from datetime import date

from marketplace.isf import jobs, operations, statements

START, END = date(2026, 4, 1), date(2026, 6, 30)  # 13 drawdown weeks, 6 April to 29 June: £7,410.00


def test_a_job_that_never_ran_is_neither_a_variance_nor_a_surplus(world, session, make, client, sign_in):
    world.example_a()
    world.pay_quarter_one()  # £7,410.00 available: exactly the quarter's 13 planned weeks
    pack = statements.review_pack(session, world.isf, START, END)
    assert (pack["planned"], pack["drawn"], pack["weeks_planned"]) == (741_000, 0, 13)
    assert (pack["variance"], len(pack["weeks_not_run"]), pack["spoken_for"]) == (0, 13, 741_000)
    assert pack["clawback_warning"] is False and pack["surplus_tenths_of_weeks"] == 0
    family = make.user("family", family=world.family)
    session.commit()
    sign_in(family)
    page = client.get(f"/isfs/{world.isf.id}/review?from=2026-04-01&to=2026-06-30").get_data(as_text=True)
    assert "has not yet run for 13 weeks that were due (the weeks of 6 April 2026 to 29 June 2026)" in page
    assert "(variance £0.00, leaving out 13 weeks not yet run)" in page
    assert "of which £7,410.00 is kept for the weeks not yet run, leaving £0.00" in page
    assert "clawback threshold of" not in page


def test_once_the_job_has_run_the_same_quarter_reads_the_same_without_the_note(world, session):
    world.example_a()
    world.pay_quarter_one()
    jobs.run_weekly_drawdowns(session, END, catch_up_limit=None)
    pack = statements.review_pack(session, world.isf, START, END)
    assert (pack["drawn"], pack["variance"], pack["weeks_not_run"], pack["spoken_for"]) == (741_000, 0, [], 0)
    assert pack["clawback_warning"] is False


def test_a_real_shortfall_is_still_a_variance_and_a_real_surplus_still_warns(world, session):
    world.example_a()
    world.pay(world.social)  # £4,322.50 available for £7,410.00 planned
    jobs.run_weekly_drawdowns(session, END, catch_up_limit=None)
    assert statements.review_pack(session, world.isf, START, END)["variance"] == 432_250 - 741_000
    operations.record_receipt(  # a large family contribution: far more than 8 weeks of budget
        session, world.isf, stream=None, amount=2_000_000, received_on=date(2026, 6, 1), reference="GIFT-1"
    )
    pack = statements.review_pack(session, world.isf, START, END)
    assert pack["weeks_not_run"] == [] and pack["clawback_warning"] is True
