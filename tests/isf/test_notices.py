"""Who is told of an ISF's events (issue #17 item 6): the funders' commissioners are asked to
decide contingency requests; the family is told what changes its fund; nobody else hears."""

from datetime import date

import pytest
from sqlalchemy import select

from marketplace.core.notifications import Notification
from marketplace.isf import jobs, operations
from marketplace.isf.models import IsfReceipt


@pytest.fixture
def amy(world, session, make):
    """Example A's ISF, not yet agreed, with a user for each party and for outsiders."""
    world.example_a(agreed=False)
    world.users = {
        "family": make.user("family", family=world.family),
        "holder": make.user("provider", org=world.hilltop),
        "council": make.user("commissioner", org=world.council),
        "icb": make.user("commissioner", org=world.icb),
        "other_provider": make.user("provider", org=world.other_provider),
        "other_commissioner": make.user("commissioner", org=world.other_council),
        "other_family": make.user("family"),
    }
    return world


def _told(session, amy) -> dict[str, list[Notification]]:
    return {
        who: list(
            session.scalars(
                select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
            )
        )
        for who, user in amy.users.items()
    }


def _who(session, amy) -> set[str]:
    return {who for who, notes in _told(session, amy).items() if notes}


def _agree_and_pay(amy, session):
    operations.agree_isf(session, amy.isf, amy.hilltop)
    operations.agree_isf(session, amy.isf, amy.council)
    amy.pay_quarter_one()


def test_the_family_is_told_once_the_isf_is_agreed_by_both_sides(session, amy):
    operations.agree_isf(session, amy.isf, amy.hilltop)
    assert _who(session, amy) == set()
    operations.agree_isf(session, amy.isf, amy.council)
    operations.agree_isf(session, amy.isf, amy.icb)  # a third agreement tells nobody again
    [note] = _told(session, amy)["family"]
    assert note.subject == "Your ISF with Hilltop Children's Hospice is agreed"
    assert "£570.00 a week" in note.body and "8%" in note.body and note.link == f"/isfs/{amy.isf.id}"
    assert _who(session, amy) == {"family"}


def test_funders_are_asked_to_decide_a_contingency_request(session, amy):
    _agree_and_pay(amy, session)
    operations.request_release(
        session, amy.isf, amount=25_000, reason="Extra nights", actor=amy.users["holder"]
    )
    assert _who(session, amy) == {"family", "council", "icb"}  # the family only from the agreement
    for funder in ("council", "icb"):
        [note] = _told(session, amy)[funder]
        assert note.subject == (
            "Decision needed: Hilltop Children's Hospice asks to release £250.00 of Amy's ISF contingency"
        )
        assert "Extra nights" in note.body and note.link == f"/isfs/{amy.isf.id}"


@pytest.mark.parametrize("decision", ["approve", "refuse"])
def test_the_family_and_the_provider_are_told_the_decision(session, amy, decision):
    _agree_and_pay(amy, session)
    release = operations.request_release(session, amy.isf, amount=25_000, reason="Extra nights")
    decide = operations.approve_release if decision == "approve" else operations.refuse_release
    decide(session, release, organisation=amy.council, actor=amy.users["council"], note="Within the plan")
    word = "approved" if decision == "approve" else "refused"
    told = _told(session, amy)
    assert told["family"][-1].subject == f"Brightwater Council {word} £250.00 from your ISF's contingency"
    assert "Within the plan" in told["family"][-1].body
    assert (
        told["holder"][-1].subject
        == f"Brightwater Council {word} your request for £250.00 of Amy's ISF contingency"
    )
    assert not [n for n in told["holder"] if "your ISF" in n.subject]  # the provider is not the family
    assert not (told["other_family"] or told["other_provider"] or told["other_commissioner"])


def test_the_family_is_told_when_its_fund_is_parked_and_running_again(session, amy):
    _agree_and_pay(amy, session)
    jobs.run_weekly_drawdowns(session, date(2026, 4, 29), catch_up_limit=3)
    told = _told(session, amy)
    assert told["family"][-1].subject == "Your ISF with Hilltop Children's Hospice is paused"
    assert "4 weeks" in told["family"][-1].body
    assert told["holder"][-1].subject == "Amy's ISF is parked: check it and un-park it"
    operations.unpark_isf(session, amy.isf, through=date(2026, 4, 29), actor=amy.users["holder"])
    note = _told(session, amy)["family"][-1]
    assert note.subject == "Your ISF with Hilltop Children's Hospice is running again"
    assert "4 weeks drawn, £2,280.00 in all" in note.body


def test_the_family_is_told_when_a_payment_in_is_reversed(session, amy):
    _agree_and_pay(amy, session)
    receipt = session.scalars(select(IsfReceipt).where(IsfReceipt.funder_id == amy.icb.id)).one()
    operations.reverse_receipt(
        session, receipt, reason="The ICB's payment bounced", actor=amy.users["holder"]
    )
    note = _told(session, amy)["family"][-1]
    assert note.subject == "A payment into your ISF was reversed: £2,600.00 from NHS Brightwater ICB"
    assert "bounced" in note.body
