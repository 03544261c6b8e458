"""A provider's invoice number prefix, chosen on its invoicing details: 2 to 6 capital letters or
digits (typed in any case), the slug's three letters until it chooses; a change applies to the
numbers issued after it, the sequence carries on, and numbers stay unique."""

import re

import pytest
from sqlalchemy import select

from marketplace.invoicing.models import Invoice
from tests.accounts.test_organisation_settings import GOOD
from tests.invoicing.issued import issue


def save(client, csrf, org, prefix):
    return client.post(
        f"/organisations/{org.id}/invoicing", data={**GOOD, "invoice_prefix": prefix, "csrf_token": csrf()}
    )


def test_the_form_shows_the_prefix_in_use_and_payers_have_none(client, world, sign_in):
    sign_in(world.provider)
    page = client.get(f"/organisations/{world.provider_org.id}/invoicing").get_data(as_text=True)
    assert 'name="invoice_prefix" type="text" value="HIL"' in page and "Invoice number prefix" in page
    sign_in(world.commissioner)
    page = client.get(f"/organisations/{world.council.id}/invoicing").get_data(as_text=True)
    assert "invoice_prefix" not in page


def test_a_new_prefix_numbers_the_invoices_after_it_and_the_sequence_carries_on(
    client, session, world, sign_in, csrf
):
    hilltop = world.provider_org
    first = [issue(session, hilltop, org=world.council) for _ in range(2)]
    assert [i.number for i in first] == ["HIL-000001", "HIL-000002"]
    sign_in(world.provider)
    assert save(client, csrf, hilltop, " hch26 ").status_code == 302
    session.refresh(hilltop)
    assert hilltop.invoice_prefix == "HCH26"
    assert issue(session, hilltop, org=world.council).number == "HCH26-000003"
    assert save(client, csrf, hilltop, "").status_code == 302  # empty: back to the slug's letters
    assert issue(session, hilltop, org=world.icb).number == "HIL-000004"
    numbers = session.scalars(select(Invoice.number).where(Invoice.issuer_id == hilltop.id)).all()
    assert sorted(numbers) == ["HCH26-000003", "HIL-000001", "HIL-000002", "HIL-000004"]
    assert [int(n[-6:]) for n in sorted(numbers, key=lambda n: n[-6:])] == [1, 2, 3, 4]  # no gap, none twice
    session.refresh(first[0])
    assert first[0].number == "HIL-000001"  # issued numbers never change


def test_another_providers_prefix_and_sequence_are_its_own(session, world, make):
    other = make.org("provider", slug="hilltop-homes")  # the same default letters
    other.invoice_prefix = None
    assert issue(session, world.provider_org, org=world.council).number == "HIL-000001"
    assert issue(session, other, org=world.council).number == "HIL-000001"  # unique per provider


@pytest.mark.parametrize("prefix", ["H", "TOOLONG", "HI-L", "H L", "££", "HİL"])
def test_a_bad_prefix_is_named_in_an_error_summary_and_nothing_is_saved(
    client, session, world, sign_in, csrf, prefix
):
    hilltop = world.provider_org
    sign_in(world.provider)
    response = save(client, csrf, hilltop, prefix)
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and "There is a problem" in text
    assert re.search(
        r'<a href="#invoice_prefix">Enter an invoice number prefix of 2 to 6 capital letters', text
    )
    session.refresh(hilltop)
    assert hilltop.invoice_prefix is None and hilltop.legal_name is None  # nothing written
    assert issue(session, hilltop, org=world.council).number == "HIL-000001"


def test_a_payers_form_never_sets_a_prefix(client, session, world, sign_in, csrf):
    sign_in(world.commissioner)
    assert save(client, csrf, world.council, "BWC").status_code == 302
    session.refresh(world.council)
    assert world.council.invoice_prefix is None
