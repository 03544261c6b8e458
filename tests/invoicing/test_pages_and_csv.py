"""Invoice pages (provider and payer) and the CSV: £1,234.56, UK dates, state labels."""

import csv
import io
from datetime import date

import pytest
from sqlalchemy import select

from marketplace.invoicing.models import Invoice
from marketplace.invoicing.runs import run_invoices

ISSUED_ON = date(2026, 12, 5)


@pytest.fixture
def council_invoice(session, world):
    booking = world.delivered(units=2)
    run_invoices(session, world.service_date(booking), issue_date=ISSUED_ON)
    return session.scalars(select(Invoice).where(Invoice.payer_org_id == world.council.id)).one()


def test_the_provider_sees_its_issued_invoices_and_one_in_detail(client, world, sign_in, council_invoice):
    sign_in(world.provider)
    page = client.get("/invoices").get_data(as_text=True)
    assert "Invoices you issued" in page and council_invoice.number in page
    assert "£393.33" in page and "£196.67" in page and "5 December 2026" in page and "Issued" in page
    assert ">issued<" not in page  # the label, never the enum value
    detail = client.get(f"/invoices/{council_invoice.id}").get_data(as_text=True)
    assert "BC-SB-2026-0142" in detail and "4 January 2027" in detail and "Exempt" in detail
    assert "Ben" not in detail and "B-" in detail


def test_the_payer_sees_invoices_addressed_to_it(client, world, sign_in, council_invoice):
    sign_in(world.commissioner)
    page = client.get("/invoices").get_data(as_text=True)
    assert "Invoices addressed to you" in page and council_invoice.number in page
    assert "£196.67" not in page  # the ICB's invoice is not the council's
    assert client.get(f"/invoices/{council_invoice.id}").status_code == 200


def test_others_cannot_see_the_invoice_page(client, world, sign_in, council_invoice, make):
    sign_in(make.user("provider"))
    assert client.get(f"/invoices/{council_invoice.id}").status_code == 404
    assert council_invoice.number not in client.get("/invoices").get_data(as_text=True)


@pytest.mark.parametrize("url", ["/invoices/{id}.csv", "/api/v1/invoices/{id}.csv"])
def test_the_csv_has_a_row_per_line_in_pounds_and_uk_dates(client, world, sign_in, council_invoice, url):
    sign_in(world.provider)
    response = client.get(url.format(id=council_invoice.id))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert council_invoice.number in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 1
    row = rows[0]
    assert row["Invoice number"] == council_invoice.number and row["Status"] == "Issued"
    assert (row["Issue date"], row["Due date"]) == ("05/12/2026", "04/01/2027")
    assert (row["Line amount"], row["Unit price"], row["Invoice total"]) == ("£393.33", "£295.00", "£393.33")
    assert row["PO number"] == "BC-SB-2026-0142" and row["Customer"] == "Brightwater Council"
    assert row["VAT category"] == "E" and not row["Child reference"].startswith("Ben")


def test_the_csv_is_refused_to_others(client, council_invoice, bearer, make):
    response = client.get(f"/api/v1/invoices/{council_invoice.id}.csv", headers=bearer(make.user("family")))
    assert response.status_code == 404
