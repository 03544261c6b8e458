"""Statements of account as pages, CSV, PDF and JSON: £ and UK dates for people, pence and ISO
dates for programs, UK dates to choose the period, and only the two parties may look."""

import csv
import io
from datetime import date, datetime

import pytest
import time_machine

from marketplace.core.clock import LONDON
from tests.core.test_gets_write_nothing import writes
from tests.invoicing.issued import ISSUED_ON, example_b, receive, to_family
from tests.invoicing.test_pdf import pdf_text

PERIOD = "from=01/12/2026&to=31/01/2027"


@pytest.fixture
def council_invoice(session, world):
    council, _ = example_b(session, world)
    receive(session, council, 20000, date(2027, 1, 20), "BACS-1")
    return council


def _url(world, payer=None, kind="org", suffix=""):
    payer_id = (payer or world.council).id
    return f"/statements/{world.provider_org.id}/{kind}/{payer_id}{suffix}"


def test_the_provider_reads_a_payers_statement(client, world, sign_in, council_invoice):
    sign_in(world.provider)
    page = client.get(f"{_url(world)}?{PERIOD}").get_data(as_text=True)
    assert "Statement of account, 1 December 2026 to 31 January 2027" in page
    assert council_invoice.number in page and "5 December 2026" in page and "20 January 2027" in page
    assert "£393.33" in page and "£200.00" in page and "£193.33" in page  # invoice, payment, balance
    assert "Payment received" in page and "Opening balance" in page and "Closing balance" in page
    assert "2026-12-05" not in page and "39333" not in page  # never ISO dates or pence for people
    assert 'value="01/12/2026"' in page and 'value="31/01/2027"' in page  # the period, as chosen


def test_the_statements_list_shows_whom_each_side_deals_with(client, world, sign_in, council_invoice):
    sign_in(world.provider)
    page = client.get("/statements").get_data(as_text=True)
    assert "What your payers owe you" in page
    assert "Brightwater Council" in page and "NHS Brightwater ICB" in page and "£193.33" in page
    assert _url(world) in page
    sign_in(world.commissioner)
    page = client.get("/statements").get_data(as_text=True)
    assert "What you owe providers" in page and "Hilltop Children&#39;s Hospice" in page
    assert "NHS Brightwater ICB" not in page and _url(world) in page


def test_the_payer_reads_its_statement_with_each_provider(client, world, sign_in, council_invoice):
    sign_in(world.commissioner)
    response = client.get(f"{_url(world)}?{PERIOD}")
    assert response.status_code == 200 and "£193.33" in response.get_data(as_text=True)


@pytest.mark.parametrize("who", ["icb_for_council", "other_provider", "other_commissioner", "family"])
def test_others_get_a_404(client, session, world, sign_in, council_invoice, make, who):
    user = {
        "icb_for_council": lambda: make.user("commissioner", org=world.icb),
        "other_provider": lambda: make.user("provider"),
        "other_commissioner": lambda: make.user("commissioner"),
        "family": lambda: world.parent,  # a managed budget's care is the council's to pay
    }[who]()
    sign_in(user)
    for suffix in ("", ".csv", ".pdf"):
        assert client.get(_url(world, suffix=suffix)).status_code == 404
    assert "Brightwater Council" not in client.get("/statements").get_data(as_text=True)


def test_a_family_reads_its_own_statement_only(client, session, world, sign_in, make):
    invoice = to_family(session, world.provider_org, world.family, 14750, ISSUED_ON)
    other_family, other_parent, _ = world.another_family()
    sign_in(world.parent)
    page = client.get(f"{_url(world, world.family, 'family')}?{PERIOD}").get_data(as_text=True)
    assert invoice.number in page and "£147.50" in page
    assert world.provider_org.name.replace("'", "&#39;") in client.get("/statements").get_data(as_text=True)
    sign_in(other_parent)
    assert client.get(_url(world, world.family, "family")).status_code == 404
    assert client.get(_url(world, other_family, "family")).status_code == 200  # its own: nothing owed


def test_by_default_the_statement_covers_the_financial_year_so_far(client, world, sign_in, council_invoice):
    with time_machine.travel(datetime(2027, 2, 10, 9, 0, tzinfo=LONDON), tick=False):
        sign_in(world.provider)
        page = client.get(_url(world)).get_data(as_text=True)
    assert "Statement of account, 1 April 2026 to 10 February 2027" in page
    assert "£193.33" in page


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("from=31/13/2026&to=31/01/2027", "from", "Enter a date like 31/01/2027"),
        ("from=01/12/2026&to=", "to", "Enter the last day"),
        ("from=01/02/2027&to=01/01/2027", "to", "The last day must be on or after the first"),
        ("from=01/01/1999&to=01/01/2027", "from", "Enter a date between 1 January 2000 and 31 December 2099"),
    ],
)
def test_bad_dates_are_named_in_an_error_summary(
    client, world, sign_in, council_invoice, query, field, message
):
    sign_in(world.provider)
    response = client.get(f"{_url(world)}?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "There is a problem" in page and f'href="#{field}"' in page and message in page
    assert client.get(f"{_url(world, suffix='.csv')}?{query}").status_code == 422


def test_the_csv_is_in_pounds_and_uk_dates(client, world, sign_in, council_invoice):
    sign_in(world.commissioner)
    response = client.get(f"{_url(world, suffix='.csv')}?{PERIOD}")
    assert response.mimetype == "text/csv"
    assert (
        'filename="statement-hilltop-hospice-brightwater-council-2026-12-01-2027-01-31.csv"'
        in (response.headers["Content-Disposition"])
    )
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows == [
        ["Date", "Details", "Reference", "Charges", "Payments and credits", "Balance"],
        ["01/12/2026", "Opening balance", "", "", "", "£0.00"],
        ["05/12/2026", "Invoice", council_invoice.number, "£393.33", "", "£393.33"],
        [
            "20/01/2027",
            "Payment received",
            f"BACS-1, invoice {council_invoice.number}",
            "",
            "£200.00",
            "£193.33",
        ],
        ["31/01/2027", "Closing balance", "", "", "", "£193.33"],
    ]


def test_the_pdf_reads_as_a_statement(client, world, sign_in, council_invoice):
    sign_in(world.provider)
    response = client.get(f"{_url(world, suffix='.pdf')}?{PERIOD}")
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    text = pdf_text(response.data)
    assert "STATEMENT OF ACCOUNT" in text and "1 December 2026 to 31 January 2027" in text
    assert "Hilltop Children's Hospice" in text and "Brightwater Council" in text
    assert council_invoice.number in text and "05/12/2026" in text and "20/01/2027" in text
    assert "£393.33" in text and "£200.00" in text
    assert "£193.33 owed to Hilltop Children's Hospice on 31 January 2027" in text


def test_the_pdf_never_cuts_a_payments_reference_short(client, session, world, sign_in, council_invoice):
    """The payer reconciles by the reference and the invoice it paid: both are printed in full."""
    receive(session, council_invoice, 100, date(2027, 1, 21), "BRIGHTWATER-BACS-REMITTANCE-2027-000123")
    sign_in(world.provider)
    text = pdf_text(client.get(f"{_url(world, suffix='.pdf')}?{PERIOD}").data)
    assert "..." not in text
    joined = (
        "".join(text.split()).replace("£1.00£192.33", "").replace("£200.00£193.33", "")
    )  # figures: 1st line
    assert f"BRIGHTWATER-BACS-REMITTANCE-2027-000123,invoice{council_invoice.number}" in joined
    assert f"BACS-1,invoice{council_invoice.number}" in joined
    assert "£193.33" in text and "£192.33" in text


def test_the_api_gives_pence_and_iso_dates(client, world, council_invoice, bearer, make):
    url = f"/api/v1{_url(world)}?from=2026-12-01&to=2027-01-31"
    body = client.get(url, headers=bearer(world.commissioner)).get_json()
    assert body["provider"] == {
        "id": str(world.provider_org.id),
        "kind": "organisation",
        "name": world.provider_org.name,
    }
    assert body["payer"]["id"] == str(world.council.id) and body["currency"] == "GBP"
    assert (body["from"], body["to"]) == ("2026-12-01", "2027-01-31")
    assert (body["opening"], body["charges"], body["reductions"], body["closing"]) == (0, 39333, 20000, 19333)
    assert body["lines"] == [
        {"date": "2026-12-05", "kind": "invoice", "reference": council_invoice.number, "amount": 39333,
         "balance": 39333, "invoice_id": str(council_invoice.id)},
        {"date": "2027-01-20", "kind": "payment", "reference": f"BACS-1, invoice {council_invoice.number}",
         "amount": -20000, "balance": 19333, "invoice_id": None},
    ]  # fmt: skip
    assert client.get(url, headers=bearer(make.user("provider"))).status_code == 404
    bad = client.get(f"/api/v1{_url(world)}?from=2026-12-01", headers=bearer(world.provider))
    assert bad.status_code == 422 and bad.get_json()["error"]["fields"] == {
        "to": ["Give both from and to, or neither"]
    }


def test_reading_statements_writes_nothing(client, world, sign_in, council_invoice, make):
    """Not even the receivable account of a payer never billed (a statement only reads)."""
    stranger = make.org("commissioner", name="Elsewhere Council")
    sign_in(world.provider)
    with writes() as written:
        for url in (_url(world), _url(world, stranger), _url(world, suffix=".pdf"), "/statements"):
            assert client.get(url).status_code == 200
    assert written == []
