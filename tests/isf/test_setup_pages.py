"""A funding commissioner sets up an ISF from a page; the provider agrees; either party amends."""

from datetime import date

from sqlalchemy import func, select

from marketplace.budgets import operations as budgets
from marketplace.catalog import operations as catalog
from marketplace.isf.models import Isf, IsfAmendment


def _budget_awaiting_isf(session, make):
    council, icb = make.org("commissioner", name="Brightwater Council"), make.org("commissioner", name="ICB")
    hilltop = make.org("provider", name="Hilltop Children's Hospice", slug="hilltop")
    catalog.verify_provider(session, catalog.provider_profile(session, hilltop), None)
    family = make.family(children=("Amy",))
    budget = budgets.create_budget(
        session,
        child=family.children[0],
        period_start=date(2026, 4, 1),
        period_end=date(2027, 3, 31),
        streams=[
            {"kind": "social_care", "funder": council, "amount": 1_820_000, "management": "isf"},
            {"kind": "health", "funder": icb, "amount": 1_040_000, "management": "isf"},
        ],
    )
    return budget, council, icb, hilltop


FORM = {
    "provider": "hilltop",
    "start_date": "2026-04-06",
    "end_date": "2027-03-31",
    "weekly_amount": "570",
    "contingency_bp": "5",
    "top_slice_bp": "8",
    "drawdown_weekday": "0",
    "surplus_threshold_weeks": "8",
    "cycle_social_care": "quarterly",
    "timing_social_care": "advance",
    "cycle_health": "monthly",
    "timing_health": "arrears",
}


def test_commissioner_sets_up_and_provider_agrees(client, session, make, sign_in, csrf):
    budget, council, icb, hilltop = _budget_awaiting_isf(session, make)
    commissioner = make.user("commissioner", org=council)
    sign_in(commissioner)
    assert b"Set up an ISF for Amy" in client.get("/isfs").data
    bad = client.post(
        f"/budgets/{budget.id}/isf/new",
        data={**FORM, "weekly_amount": "lots", "top_slice_bp": "150", "csrf_token": csrf()},
    )
    assert bad.status_code == 422 and b"There is a problem" in bad.data
    assert session.scalar(select(func.count(Isf.id))) == 0
    done = client.post(f"/budgets/{budget.id}/isf/new", data={**FORM, "csrf_token": csrf()})
    assert done.status_code == 302
    isf = session.scalar(select(Isf))
    assert (isf.weekly_amount, isf.contingency_bp, isf.top_slice_bp) == (57_000, 500, 800)
    assert {c.stream.kind.value: (c.cycle.value, c.timing.value) for c in isf.cycles} == {
        "social_care": ("quarterly", "advance"),
        "health": ("monthly", "arrears"),
    }
    assert not isf.is_agreed  # the provider has not agreed yet
    client.post("/sign-out", data={"csrf_token": csrf()})
    sign_in(make.user("provider", org=hilltop))
    client.post(f"/isfs/{isf.id}/agree", data={"csrf_token": csrf()})
    session.refresh(isf)
    assert isf.is_agreed


def test_only_a_funding_commissioner_may_set_up(client, session, make, sign_in):
    budget, council, icb, hilltop = _budget_awaiting_isf(session, make)
    for outsider in (make.user("commissioner"), make.user("provider", org=hilltop), make.user("family")):
        sign_in(outsider)
        assert client.get(f"/budgets/{budget.id}/isf/new").status_code == 404


def test_amendments_are_recorded_with_a_reason(client, session, make, sign_in, csrf):
    budget, council, icb, hilltop = _budget_awaiting_isf(session, make)
    commissioner = make.user("commissioner", org=council)
    sign_in(commissioner)
    client.post(f"/budgets/{budget.id}/isf/new", data={**FORM, "csrf_token": csrf()})
    isf = session.scalar(select(Isf))
    page = client.get(f"/isfs/{isf.id}/amend")
    assert b'value="570.00"' in page.data
    no_reason = client.post(
        f"/isfs/{isf.id}/amend",
        data={
            "weekly_amount": "600",
            "contingency_bp": "5",
            "top_slice_bp": "8",
            "surplus_threshold_weeks": "8",
            "end_date": "2027-03-31",
            "csrf_token": csrf(),
        },
    )
    assert no_reason.status_code == 422 and isf.weekly_amount == 57_000
    client.post(
        f"/isfs/{isf.id}/amend",
        data={
            "weekly_amount": "600",
            "contingency_bp": "5",
            "top_slice_bp": "8",
            "surplus_threshold_weeks": "8",
            "end_date": "2027-03-31",
            "reason": "More nights agreed at review",
            "csrf_token": csrf(),
        },
    )
    session.refresh(isf)
    assert isf.weekly_amount == 60_000
    amendment = session.scalar(select(IsfAmendment))
    assert amendment.changes == {"weekly_amount": [57_000, 60_000]} and amendment.reason.startswith(
        "More nights"
    )
    client.post("/sign-out", data={"csrf_token": csrf()})
    sign_in(make.user("family", family=budget.family))
    assert client.get(f"/isfs/{isf.id}/amend").status_code == 403
