"""Downloading the e-invoice: /invoices/{id}.xml and /api/v1/invoices/{id}.xml, for the invoice's
parties only, with a link on the invoice page (or, when it cannot be made, the reason why)."""

from xml.etree import ElementTree as ET

import pytest

from marketplace.invoicing import operations
from tests.invoicing.einvoices import family_invoice, invoiced
from tests.invoicing.peppol import NS, assert_passes

URLS = ["/invoices/{id}.xml", "/api/v1/invoices/{id}.xml"]


@pytest.fixture
def council_invoice(session, demo_details):
    booking = demo_details.delivered(units=2)
    return invoiced(session, demo_details, demo_details.service_date(booking))[demo_details.council.id]


@pytest.mark.parametrize("url", URLS)
def test_the_payer_downloads_the_e_invoice(client, demo_details, sign_in, council_invoice, url):
    sign_in(demo_details.commissioner)
    response = client.get(url.format(id=council_invoice.id))
    assert response.status_code == 200 and response.mimetype == "application/xml"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and f"invoice-{council_invoice.number}.xml" in disposition
    xml = response.get_data()
    assert ET.fromstring(xml).findtext("cbc:ID", namespaces=NS) == council_invoice.number
    assert_passes(xml)


@pytest.mark.parametrize("url", URLS)
def test_only_the_invoices_parties_may_download_it(client, demo_details, sign_in, council_invoice, make, url):
    target = url.format(id=council_invoice.id)
    assert client.get(target).status_code in (302, 401)
    sign_in(demo_details.provider)
    assert client.get(target).status_code == 200
    for stranger in (
        make.user("provider"),
        make.user("commissioner"),
        make.user("commissioner", org=demo_details.icb),  # the other funder of the same stay
        demo_details.parent,  # the family, whose budget the council spent
    ):
        sign_in(stranger)
        assert client.get(target).status_code == 404


def test_a_draft_has_no_e_invoice_yet(session, client, demo_details, sign_in, bearer):
    booking = demo_details.delivered(units=1)
    through = demo_details.service_date(booking)
    operations.record_billable_items(session, through)
    key = operations.unbilled_groups(session, through)[0]
    draft = operations.draft_invoice(session, operations.unbilled_items(session, key, through))
    response = client.get(f"/api/v1/invoices/{draft.id}.xml", headers=bearer(demo_details.provider))
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "einvoice_unavailable"
    sign_in(demo_details.provider)
    page = client.get(f"/invoices/{draft.id}").get_data(as_text=True)
    assert "Download e-invoice (XML)" not in page
    assert "No e-invoice (Peppol XML) yet. A draft has no number yet" in page


def test_the_invoice_page_links_to_the_e_invoice(client, demo_details, sign_in, council_invoice):
    sign_in(demo_details.commissioner)
    page = client.get(f"/invoices/{council_invoice.id}").get_data(as_text=True)
    assert f'href="/invoices/{council_invoice.id}.xml"' in page and "Download e-invoice (XML)" in page
    assert "No e-invoice" not in page


def test_without_an_electronic_address_the_page_says_what_to_add(
    session, client, demo_details, sign_in, council_invoice
):
    demo_details.council.peppol_id = None  # and there is no platform Peppol id to deliver through
    session.flush()
    sign_in(demo_details.commissioner)
    page = client.get(f"/invoices/{council_invoice.id}").get_data(as_text=True)
    assert "Download e-invoice (XML)" not in page
    assert "Brightwater Council has no Peppol id" in page
    response = client.get(f"/invoices/{council_invoice.id}.xml")
    assert response.status_code == 409 and "Brightwater Council has no Peppol id" in response.get_data(
        as_text=True
    )


def test_a_family_downloads_its_own_e_invoice(session, client, demo_details, sign_in, platform, make):
    invoice = family_invoice(session, demo_details)
    sign_in(demo_details.parent)
    response = client.get(f"/invoices/{invoice.id}.xml")
    assert response.status_code == 200
    assert_passes(response.get_data())
    _, other_parent, _ = demo_details.another_family()
    sign_in(other_parent)
    assert client.get(f"/invoices/{invoice.id}.xml").status_code == 404
