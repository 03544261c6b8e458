""" "Run invoices" for providers: a preview that writes nothing, the button that bills the
provider's own care only, the run history; everyone else refused."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.invoicing import views
from marketplace.invoicing.models import BillableItem, Invoice
from tests.core.test_gets_write_nothing import writes


def uk(day) -> str:
    return f"{day.day} {day:%B %Y}"


@pytest.fixture
def delivered(world, monkeypatch):
    """Two stays delivered on consecutive days, 'today' being the day after the second."""
    first = world.delivered(units=2, days_ahead=10)
    second = world.delivered(units=2, days_ahead=11)
    monkeypatch.setattr(views, "today", lambda: world.service_date(second) + timedelta(days=1))
    return first, second


def invoices(session) -> int:
    return session.scalar(select(func.count(Invoice.id)))


def test_the_preview_shows_per_payer_and_po_what_a_run_through_yesterday_would_bill(
    client, world, sign_in, session, delivered
):
    sign_in(world.provider)
    with writes() as written:
        page = client.get("/invoices/run")
    assert page.status_code == 200 and written == []
    text = page.get_data(as_text=True)
    yesterday = world.service_date(delivered[1])
    assert f"What a run through {uk(yesterday)} would bill" in text
    assert f'value="{yesterday:%d/%m/%Y}"' in text  # the date defaults to yesterday, UK style
    council_row = text[text.index(world.council.name, text.index("would bill")) :]
    assert "BC-SB-2026-0142" in council_row and "£786.66" in council_row  # 2 × £393.33
    assert "ICB-PHB-88213" in text and "£393.34" in text  # 2 × £196.67
    assert session.scalar(select(func.count(BillableItem.id))) == 0 and invoices(session) == 0


def test_the_preview_through_an_earlier_date_leaves_later_care_out(client, world, sign_in, delivered):
    sign_in(world.provider)
    first_day = world.service_date(delivered[0])
    text = client.get(f"/invoices/run?through={first_day:%d/%m/%Y}").get_data(as_text=True)
    assert f"through {uk(first_day)} would bill" in text
    assert "£393.33" in text and "£196.67" in text and "£786.66" not in text


def test_running_issues_the_providers_invoices_and_shows_them_and_the_history(
    client, world, sign_in, csrf, session, delivered
):
    sign_in(world.provider)
    through = world.service_date(delivered[1])
    response = client.post("/invoices/run", data={"csrf_token": csrf(), "through": through.isoformat()})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "2 invoices issued, £1,180.00 in all" in text
    issued = list(session.scalars(select(Invoice)))
    assert len(issued) == 2 and all(i.number in text for i in issued)
    assert "BC-SB-2026-0142" in text and "£786.66" in text
    history = text[
        text.index("Invoice runs") :
    ]  # each run: when, through, by whom, what (test_run_history.py)
    assert uk(issued[0].issue_date) in history and "£1,180.00" in history and world.provider.name in history
    again = client.get("/invoices/run").get_data(as_text=True)
    assert "Nothing is waiting to be billed" in again  # the preview now has nothing left
    repeat = client.post("/invoices/run", data={"csrf_token": csrf(), "through": through.isoformat()})
    assert "Nothing new to bill" in repeat.get_data(as_text=True) and invoices(session) == 2


def test_another_provider_running_bills_only_its_own_care(
    client, world, sign_in, csrf, session, make, delivered
):
    sign_in(make.user("provider"))
    through = world.service_date(delivered[1])
    response = client.post("/invoices/run", data={"csrf_token": csrf(), "through": through.isoformat()})
    assert response.status_code == 200 and "Nothing new to bill" in response.get_data(as_text=True)
    assert "BC-SB-2026-0142" not in client.get("/invoices/run").get_data(as_text=True)
    assert invoices(session) == 0
    assert session.scalar(select(func.count(BillableItem.id))) == 0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("31/11/2026", "Enter the date to bill through as a date"),
        ("2099-01-01", "The date to bill through must be today or earlier"),
    ],
    ids=["no such date", "in the future"],
)
def test_a_bad_date_is_refused_naming_the_field_and_nothing_is_billed(
    client, world, sign_in, csrf, session, delivered, value, message
):
    sign_in(world.provider)
    for response in (
        client.get(f"/invoices/run?through={value}"),
        client.post("/invoices/run", data={"csrf_token": csrf(), "through": value}),
    ):
        text = response.get_data(as_text=True)
        assert response.status_code == 422
        assert "There is a problem" in text and message in text and 'href="#through"' in text
    assert invoices(session) == 0 and session.scalar(select(func.count(BillableItem.id))) == 0


@pytest.mark.parametrize("who", ["commissioner", "family", "admin"])
def test_only_provider_staff_may_preview_or_run(client, world, sign_in, csrf, session, make, delivered, who):
    user = {"commissioner": world.commissioner, "family": world.parent}.get(who) or make.user("admin")
    sign_in(user)
    assert client.get("/invoices/run").status_code == 403
    assert client.post("/invoices/run", data={"csrf_token": csrf()}).status_code == 403
    assert invoices(session) == 0
    assert "Run invoices" not in client.get("/invoices").get_data(as_text=True)


def test_signed_out_visitors_are_sent_to_sign_in(client, delivered):
    assert client.get("/invoices/run").status_code == 302


def test_the_invoices_list_links_providers_to_run_invoices(client, world, sign_in):
    sign_in(world.provider)
    assert 'href="/invoices/run"' in client.get("/invoices").get_data(as_text=True)
