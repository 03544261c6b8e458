"""Budget pages: lists, panels, the commissioner's create form, and refusals on every route."""

import pytest
from sqlalchemy import func, select

from marketplace import ledger
from marketplace.budgets import operations as budgets
from marketplace.budgets.models import Budget, BudgetStatus

NEW = {
    "family": "others-family",
    "period_start": "2026-04-01",
    "period_end": "2027-03-31",
    "status": "agreed",
    "streams.0.kind": "social_care",
    "streams.0.funder": "brightwater-council",
    "streams.0.amount": "1,200.00",
    "streams.0.po_number": "BC-9",
    "streams.0.payment_terms_days": "30",
    "streams.0.categories": ["day_session"],
    "streams.1.kind": "health",
    "streams.1.funder": "nhs-brightwater-icb",
    "streams.1.amount": "800.50",
}


def budget_count(session):
    return session.scalar(select(func.count()).select_from(Budget))


OWN = {**NEW, "streams.1.kind": "education", "streams.1.funder": "brightwater-council"}


def test_commissioner_creates_an_integrated_budget(client, session, world, sign_in, post_form):
    sign_in(world.council_user)
    assert client.get("/budgets/new").status_code == 200
    response = post_form("/budgets/new", OWN)
    assert response.status_code == 302
    budget = session.scalar(select(Budget).where(Budget.family_id == world.others.id))
    assert budget.status is BudgetStatus.AGREED and budget.child.name == "Zed"
    assert [(s.kind.value, s.funder.slug, s.amount, s.categories) for s in budget.streams] == [
        ("social_care", "brightwater-council", 120000, ["day_session"]),
        ("education", "brightwater-council", 80050, []),
    ]
    page = client.get(response.headers["Location"])
    assert "£2,000.50" in page.get_data(as_text=True)


def test_bad_create_form_names_fields_and_writes_nothing(client, session, world, sign_in, post_form):
    sign_in(world.council_user)
    before = budget_count(session)
    bad = {
        **NEW,
        "family": "nobody",
        "streams.0.amount": "12.345",
        "streams.1.kind": "social_care",
        "period_end": "2020-01-01",
    }
    response = post_form("/budgets/new", bad)
    assert response.status_code == 422
    assert b"There is a problem" in response.data
    assert b'href="#streams.0.amount"' in response.data
    assert budget_count(session) == before
    again = post_form(
        "/budgets/new", {**NEW, "streams.0.kind": "social_care", "streams.1.kind": "social_care"}
    )
    assert again.status_code == 422 and b'href="#streams.1.kind"' in again.data
    assert budget_count(session) == before


def allocations_balance(session, org):
    account = ledger.find_account(session, "organisation", org.id, "allocations")
    return ledger.balance(account).posted if account is not None else 0


def test_a_commissioner_cannot_commit_another_funders_money(client, session, world, sign_in, post_form):
    """Issue #12: a council created an active budget with a stream "funded" by the ICB, whose
    allocation account went negative without the ICB being asked."""
    sign_in(world.council_user)
    before, icb_before = budget_count(session), allocations_balance(session, world.icb)
    million = {**NEW, "status": "active", "streams.1.amount": "1,000,000.00"}
    response = post_form("/budgets/new", million)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'href="#streams.1.funder"' in page and "NHS Brightwater ICB has not agreed" in page
    assert 'href="#streams.0.funder"' not in page  # the council's own stream is fine
    assert budget_count(session) == before
    assert allocations_balance(session, world.icb) == icb_before


def test_an_admin_may_set_up_streams_for_their_funders(session, world):
    budget = budgets.create_budget(
        session,
        child=world.others.children[0],
        actor=world.admin,
        streams=[{"kind": "health", "funder": world.icb, "amount": 1000}],
    )
    assert budget.allocated == 1000


def test_no_child_names_for_a_commissioner_with_no_link_to_the_family(
    client, session, world, make, sign_in, post_form
):
    make.family(slug="twins-family", children=("Xanthe", "Yusuf"))
    sign_in(world.council_user)  # funds Ben's budget only
    before = budget_count(session)
    response = post_form("/budgets/new", {**OWN, "family": "twins-family"})
    assert response.status_code == 422 and 'href="#child"' in response.get_data(as_text=True)
    assert b"Xanthe" not in response.data and b"Yusuf" not in response.data
    assert budget_count(session) == before


def test_a_funding_commissioner_is_reminded_of_the_childs_name(
    client, session, world, make, sign_in, post_form
):
    twins = make.family(slug="twins-family", children=("Xanthe", "Yusuf"))
    budgets.create_budget(
        session,
        child=twins.children[0],
        streams=[{"kind": "social_care", "funder": world.council, "amount": 100}],
    )
    sign_in(world.council_user)  # now funds a budget of the twins' family
    response = post_form("/budgets/new", {**OWN, "family": "twins-family"})
    assert response.status_code == 422 and b"Xanthe, Yusuf" in response.data


def test_a_budget_period_at_the_calendars_edge_is_refused_naming_the_field(
    client, session, world, sign_in, post_form
):
    sign_in(world.council_user)
    before = budget_count(session)
    for field, value in (("period_start", "0001-01-01"), ("period_end", "9999-12-31")):
        response = post_form("/budgets/new", {**OWN, field: value})
        assert response.status_code == 422, field
        assert f'href="#{field}"'.encode() in response.data and b"1 January 2000" in response.data
    assert budget_count(session) == before
    response = post_form("/budgets/new", {**OWN, "period_start": "0001-01-01", "period_end": ""})
    assert response.status_code == 422 and b'href="#period_start"' in response.data


def test_a_commissioner_must_fund_what_it_creates(client, session, world, sign_in, post_form):
    sign_in(world.other_commissioner)
    before = budget_count(session)
    response = post_form("/budgets/new", NEW)
    assert response.status_code == 422 and b"funded by your organisation" in response.data
    assert budget_count(session) == before


@pytest.mark.parametrize("who", ["parent", "provider"])
def test_only_commissioners_create_budgets(client, session, world, sign_in, post_form, who):
    sign_in(getattr(world, who))
    before = budget_count(session)
    assert client.get("/budgets/new").status_code == 403
    assert post_form("/budgets/new", NEW).status_code == 403
    assert budget_count(session) == before


def test_lists_and_panels(client, world, sign_in):
    sign_in(world.parent)
    assert "Ben" in client.get("/budgets").get_data(as_text=True)
    family_page = client.get("/families/bens-family").get_data(as_text=True)
    assert "Your budgets" in family_page and "£4,500.00" in family_page
    sign_in(world.icb_user)
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Budgets you fund" in dashboard and "Ben's budget" in dashboard
    listing = client.get("/budgets").get_data(as_text=True)
    assert "£1,500.00" in listing and "£3,000.00" in listing  # read-only spend per stream
    sign_in(world.other_commissioner)
    assert "Ben" not in client.get("/dashboard").get_data(as_text=True)
    assert "Ben" not in client.get("/budgets").get_data(as_text=True)
    sign_in(world.admin)
    assert "All budgets" in client.get("/dashboard").get_data(as_text=True)


def routes(world):
    b, s, o = world.budget.id, world.social.id, world.outcome.id
    return [
        ("get", f"/budgets/{b}"),
        ("get", f"/budgets/{b}/statement.csv"),
        ("post", f"/budgets/{b}/status"),
        ("get", f"/budgets/{b}/streams/{s}/amend"),
        ("post", f"/budgets/{b}/streams/{s}/amend"),
        ("post", f"/budgets/{b}/outcomes"),
        ("post", f"/budgets/{b}/outcomes/{o}"),
    ]


@pytest.mark.parametrize("who", ["other_parent", "other_commissioner", "provider"])
def test_outsiders_get_404_on_every_budget_route(client, session, world, sign_in, post_form, who):
    sign_in(getattr(world, who))
    for method, url in routes(world):
        response = client.get(url) if method == "get" else post_form(url, {"status": "closed"})
        assert response.status_code == 404, (method, url)
        assert b"Ben" not in response.data
    assert world.budget.status is BudgetStatus.ACTIVE


def test_signed_out_is_sent_to_sign_in_on_every_route(client, world):
    for method, url in [*routes(world), ("get", "/budgets"), ("get", "/budgets/new")]:
        response = getattr(client, method)(url)
        # POSTs without a session have no CSRF token either: refused before anything is read
        assert response.status_code in ((302,) if method == "get" else (302, 400)), (method, url)
        if response.status_code == 302:
            assert "/sign-in" in response.headers["Location"]


def test_the_family_may_not_change_status(client, world, sign_in, post_form):
    sign_in(world.parent)
    assert post_form(f"/budgets/{world.budget.id}/status", {"status": "closed"}).status_code == 403
    assert world.budget.status is BudgetStatus.ACTIVE


def test_a_bad_budget_id_is_a_404(client, world, sign_in):
    sign_in(world.admin)
    for url in ("/budgets/x", "/budgets/999999", f"/budgets/{world.budget.id}/streams/999/amend"):
        assert client.get(url).status_code == 404


def test_a_review_date_in_year_9999_is_refused_naming_the_field(client, session, world, sign_in, post_form):
    sign_in(world.parent)
    before = len(world.budget.outcomes)
    url = f"/budgets/{world.budget.id}/outcomes"
    response = post_form(url, {"description": "Later", "time_frame": "long", "review_date": "9999-12-31"})
    assert response.status_code == 422 and b'href="#review_date"' in response.data
    assert b"31 December 2099" in response.data
    moved = post_form(f"{url}/{world.outcome.id}", {"review_date": "9999-12-31"})
    assert moved.status_code == 422
    session.expire_all()
    assert len(world.budget.outcomes) == before and world.outcome.review_date.year == 2026
