"""A commissioner's "Invoices to pay": its open invoices grouped by when they fall due (overdue
first, then due this week to Sunday, then later), each with its provider, number, PO number, days
overdue and amount due, and a total per group. Only its own organisation's; nobody else's."""

import re
from datetime import date

import pytest

from marketplace.invoicing.payer_pages import LATER, OVERDUE, THIS_WEEK, group_for
from tests.core.test_accessibility import problems
from tests.invoicing import overdue
from tests.invoicing.issued import pay
from tests.invoicing.test_payments import on

WEDNESDAY = date(2027, 2, 3)  # example D's day: the council's £393.33 is 30 days overdue


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def owed(session, world, make):
    """Invoices to the council from Hilltop and from another provider, in every group, and
    invoices the council must not see among them (the ICB's; one already paid)."""
    elsewhere = make.org("provider", name="Seaside Short Breaks")
    hilltop = world.provider_org
    return {
        "overdue_30": overdue.issue(session, hilltop, 39333, date(2027, 1, 4), world.council, po="BC-SB-2026-0142"),
        "overdue_2": overdue.issue(session, elsewhere, 5000, date(2027, 2, 1), world.council, po="BC-SEA-7"),
        "sunday": overdue.issue(session, hilltop, 10000, date(2027, 2, 7), world.council, po="BC-SB-2026-0142"),
        "monday": overdue.issue(session, hilltop, 25000, date(2027, 2, 8), world.council, po="BC-SB-2026-0142"),
        "today": overdue.issue(session, hilltop, 1234, WEDNESDAY, world.council, po="BC-TODAY"),
        "icb": overdue.issue(session, hilltop, 77777, date(2027, 1, 2), world.icb, po="ICB-PHB-88213"),
        "paid": pay(session, overdue.issue(session, hilltop, 8888, date(2027, 1, 10), world.council), 8888),
    }  # fmt: skip


@pytest.mark.parametrize(
    ("due", "group"),
    [
        (date(2027, 2, 2), OVERDUE),  # yesterday
        (WEDNESDAY, THIS_WEEK),  # due today is not yet overdue
        (date(2027, 2, 7), THIS_WEEK),  # Sunday ends the week
        (date(2027, 2, 8), LATER),  # next Monday
    ],
)
def test_the_groups_at_their_edges(due, group):
    assert group_for(due, WEDNESDAY) == group


def test_the_commissioner_sees_its_invoices_to_pay_grouped_overdue_first(client, world, sign_in, owed):
    with on(WEDNESDAY):
        sign_in(world.commissioner)
        response = client.get("/invoices/to-pay")
    html = text(response)
    assert response.status_code == 200 and problems(html) == []
    captions = re.findall(r"<caption[^>]*>([^<]+)</caption>", html)
    assert captions == [
        "Overdue: £443.33 on 2 invoices",
        "Due this week: £112.34 on 2 invoices",
        "Due later: £250.00 on 1 invoice",
    ]
    assert "Due now in all: £805.67" in html
    overdue_rows = html.split('id="overdue"', 1)[1].split("</table>", 1)[0]
    number_30, number_2 = owed["overdue_30"].number, owed["overdue_2"].number
    assert overdue_rows.index(number_30) < overdue_rows.index(number_2)  # the oldest due first
    row_30 = overdue_rows.split(number_30, 1)[1].split("</tr>", 1)[0]
    assert "BC-SB-2026-0142" in row_30 and "4 January 2027" in row_30 and ">30<" in row_30
    assert "£393.33" in row_30 and "Hilltop" in overdue_rows and "Seaside Short Breaks" in overdue_rows
    assert ">2<" in overdue_rows.split(number_2, 1)[1].split("</tr>", 1)[0]
    assert f'href="/invoices/{owed["overdue_30"].id}"' in overdue_rows
    this_week = html.split('id="this_week"', 1)[1].split("</table>", 1)[0]
    assert "Not yet due" in this_week and owed["today"].number in this_week
    assert "Total due this week" in this_week
    for hidden in ("icb", "paid"):
        assert owed[hidden].number not in html
    assert "2027-01-04" not in html and "39333" not in html


def test_nothing_to_pay_says_so(client, world, sign_in, make):
    sign_in(make.user("commissioner", org=make.org("commissioner", name="Quiet Council")))
    response = client.get("/invoices/to-pay")
    assert response.status_code == 200
    assert "There is nothing for you to pay" in text(response) and "<table" not in text(response)


def test_another_commissioner_sees_only_its_own(client, world, sign_in, make, owed):
    with on(WEDNESDAY):
        sign_in(make.user("commissioner", org=world.icb))
        html = text(client.get("/invoices/to-pay"))
    assert owed["icb"].number in html and "£777.77" in html
    assert all(owed[name].number not in html for name in ("overdue_30", "overdue_2", "sunday", "monday"))


@pytest.mark.parametrize("who", ["family", "provider", "anonymous"])
def test_families_providers_and_strangers_cannot_reach_it(client, world, sign_in, owed, who):
    if who == "family":
        sign_in(world.parent)
    elif who == "provider":
        sign_in(world.provider)
    response = client.get("/invoices/to-pay")
    assert response.status_code in ((302,) if who == "anonymous" else (403,))
    assert owed["overdue_30"].number not in text(response)
