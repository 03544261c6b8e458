"""The invoicing panels of the dashboards: a provider's invoices issued and what is still due on
them; a commissioner's and a family's invoices to pay (£, counts, overdue), each only its own."""

from datetime import timedelta

import pytest

from marketplace.core.clock import today
from tests.invoicing.issued import issue, pay


def panel(client, url="/dashboard") -> str:
    text = client.get(url, follow_redirects=True).get_data(as_text=True)
    start = text.find('id="invoices-panel"')
    return text[start : text.index("</p>", start)] if start >= 0 else ""


@pytest.fixture
def owed(session, world, make):
    """Hilltop: to the council £1,000.00 overdue and £234.56 not yet due, £500.00 paid; to the ICB
    £100.00 (£40.00 paid); to Ben's family £25.00. Another provider's £9,999.00 to the council."""
    hilltop, council = world.provider_org, world.council
    long_ago, recently = today() - timedelta(days=60), today() - timedelta(days=5)
    issue(session, hilltop, org=council, po="BC-1", amount=100_000, on=long_ago)
    issue(session, hilltop, org=council, po="BC-1", amount=23_456, on=recently)
    pay(session, issue(session, hilltop, org=council, po="BC-1", amount=50_000, on=recently), 50_000)
    pay(session, issue(session, hilltop, org=world.icb, amount=10_000, on=recently), 4_000)
    issue(session, hilltop, family=world.family, amount=2_500, on=recently)
    issue(session, make.org("provider"), org=council, amount=999_900, on=recently)


def test_the_providers_panel_counts_invoices_issued_and_what_is_still_due(client, world, sign_in, owed):
    sign_in(world.provider)
    text = panel(client)
    assert "Invoices issued: 5, £1,319.56 still due on 4 invoices (1 overdue)." in text


def test_the_commissioners_panel_says_what_it_has_to_pay(client, world, sign_in, owed):
    sign_in(world.commissioner)
    assert "Invoices: 3 to pay, £11,233.56 due (1 overdue)." in panel(client)  # its own, both providers'
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert 'href="/invoices/to-pay"' in dashboard  # grouped by due date (test_payer_to_pay.py)


def test_the_families_panel_says_what_it_has_to_pay(client, world, sign_in, owed):
    sign_in(world.parent)
    assert "Invoices: 1 to pay, £25.00 due." in panel(client)


def test_a_family_never_invoiced_has_no_invoices_panel(client, sign_in, owed, make):
    sign_in(make.user("family"))
    assert panel(client) == ""


def test_a_commissioner_with_nothing_to_pay_is_told_so(client, sign_in, owed, make):
    sign_in(make.user("commissioner"))
    assert "Invoices: none to pay." in panel(client)
