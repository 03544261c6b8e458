"""Invoices for those who pay them: a commissioner's invoices addressed to its organisation
(filtered by PO number and by budget, the child named as the budget pages name them, PDF and CSV
downloads per invoice, the filtered list as a people's CSV) and a family's "Your invoices".
Each sees only what is addressed to it; anything else is a 404."""

import csv
import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from marketplace.bookings import operations as bookings
from marketplace.core.clock import financial_year, today
from marketplace.invoicing.models import Invoice
from marketplace.invoicing.runs import run_invoices
from tests.invoicing.issued import issue, pay

ISSUED_ON = date(2026, 12, 5)


def numbers(text: str) -> set[str]:
    return set(re.findall(r"\b[A-Z0-9]{2,6}-\d{6}\b", text))


@pytest.fixture
def zoe(session, world, make):
    """Zoe's family and her budget: social care from the council only, under its own PO."""
    family = make.family(children=("Zoe Adams",))
    parent = make.user("family", family=family)
    start, end = financial_year(today())
    budget = make.budget(
        family.children[0],
        ("social_care", world.council, 300_000, 30),
        period=(start, end + timedelta(days=400)),
        po_numbers={"social_care": "BC-ZOE-1"},
    )
    return family, parent, budget


@pytest.fixture
def invoiced(session, world, zoe):
    """Ben's stay (council and ICB) and Zoe's stay (council) delivered and invoiced."""
    ben = world.delivered(units=2)
    _, parent, budget = zoe
    slot = world.make_slot(days_ahead=11)
    stay = bookings.book(session, actor=parent, slot=slot, budget=budget, units=1)
    if stay.status.value == "requested":
        bookings.confirm(session, stay, world.provider)
    bookings.deliver(session, stay, world.provider, now=slot.starts_at + timedelta(hours=1))
    run_invoices(session, world.service_date(stay), issue_date=ISSUED_ON)
    found = {(i.payer_org_id, i.po_number): i for i in session.scalars(select(Invoice))}
    return {
        "ben_council": found[(world.council.id, "BC-SB-2026-0142")],
        "ben_icb": found[(world.icb.id, "ICB-PHB-88213")],
        "zoe_council": found[(world.council.id, "BC-ZOE-1")],
        "ben_budget": world.budget,
        "zoe_budget": budget,
        "ben": ben,
    }


def page(client, query=""):
    response = client.get(f"/invoices{query}")
    return response.status_code, response.get_data(as_text=True)


def rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


# ---- the commissioner ---------------------------------------------------------------------------


def test_the_commissioner_sees_the_invoices_addressed_to_it_with_the_child_named(
    client, world, sign_in, invoiced
):
    sign_in(world.commissioner)
    status, text = page(client)
    assert status == 200 and "Invoices addressed to you at Brightwater Council" in text
    assert numbers(text) == {invoiced["ben_council"].number, invoiced["zoe_council"].number}
    assert "Ben" in text and "Zoe Adams" in text  # the children of the budgets it funds
    assert "£393.33" in text and "£147.50" not in text and "5 December 2026" in text
    assert '<option value="draft"' not in text  # a payer never sees a draft


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?budget={ben_budget}", {"ben_council"}),
        ("?budget={zoe_budget}", {"zoe_council"}),
        ("?po=bc-zoe-1", {"zoe_council"}),
        ("?budget={ben_budget}&po=BC-SB-2026-0142", {"ben_council"}),
        ("?budget={ben_budget}&po=BC-ZOE-1", set()),
        ("?budget={zoe_budget}&status=paid", set()),
        ("?outstanding=yes&budget={zoe_budget}", {"zoe_council"}),
    ],
)
def test_the_commissioner_filters_by_budget_and_po(client, world, sign_in, invoiced, query, expected):
    sign_in(world.commissioner)
    ids = {"ben_budget": invoiced["ben_budget"].id, "zoe_budget": invoiced["zoe_budget"].id}
    status, text = page(client, query.format(**ids))
    assert status == 200 and numbers(text) == {invoiced[k].number for k in expected}


def test_the_budget_filter_offers_the_budgets_its_invoices_bill(client, world, sign_in, invoiced, make):
    sign_in(world.commissioner)
    _, text = page(client)
    options = dict(
        re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', text[text.index('id="budget"') :])
    )
    assert set(options) == {str(invoiced["ben_budget"].id), str(invoiced["zoe_budget"].id)}
    assert options[str(invoiced["zoe_budget"].id)].startswith("Zoe Adams: ")
    sign_in(make.user("commissioner", org=world.icb))  # the ICB funds Ben's health, not Zoe
    _, text = page(client)
    assert numbers(text) == {invoiced["ben_icb"].number}
    assert "Zoe" not in text and f'value="{invoiced["zoe_budget"].id}"' not in text


def test_a_bad_budget_is_named_in_an_error_summary(client, world, sign_in, invoiced):
    sign_in(world.commissioner)
    status, text = page(client, "?budget=ben&po=BC-1")
    assert status == 422 and '<a href="#budget">Choose a budget from the list' in text
    assert not numbers(text)


def test_a_commissioner_that_funds_nothing_learns_nothing_by_filtering(
    client, world, sign_in, invoiced, make
):
    sign_in(make.user("commissioner"))
    for query in ("", f"?budget={invoiced['ben_budget'].id}", "?po=BC-SB-2026-0142"):
        status, text = page(client, query)
        assert status == 200 and not numbers(text) and "Ben" not in text
    assert (
        len(rows(client.get(f"/invoices.csv?budget={invoiced['ben_budget'].id}").get_data(as_text=True))) == 0
    )


def test_each_invoice_downloads_as_pdf_and_csv(client, world, sign_in, invoiced):
    sign_in(world.commissioner)
    _, text = page(client)
    invoice = invoiced["ben_council"]
    for url in (f"/invoices/{invoice.id}.pdf", f"/invoices/{invoice.id}.csv"):
        assert f'href="{url}"' in text
        response = client.get(url)
        assert response.status_code == 200 and invoice.number in response.headers["Content-Disposition"]
    assert client.get(f"/invoices/{invoiced['ben_icb'].id}.pdf").status_code == 404  # the ICB's


def test_the_filtered_list_downloads_as_a_csv_for_people(client, world, sign_in, invoiced):
    sign_in(world.commissioner)
    _, text = page(client, f"?budget={invoiced['ben_budget'].id}")
    link = re.search(r'href="(/invoices\.csv[^"]*)"', text).group(1).replace("&amp;", "&")
    assert f"budget={invoiced['ben_budget'].id}" in link
    response = client.get(link)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    [row] = rows(response.get_data(as_text=True))
    assert row == {
        "Invoice number": invoiced["ben_council"].number,
        "Status": "Issued",
        "Issue date": "05/12/2026",
        "Due date": "04/01/2027",
        "Supplier": "Hilltop Children's Hospice",
        "Customer": "Brightwater Council",
        "PO number": "BC-SB-2026-0142",
        "Child": "Ben",
        "Total": "£393.33",
        "Paid": "£0.00",
        "Credited": "£0.00",
        "Amount due": "£393.33",
    }
    everything = rows(client.get("/invoices.csv").get_data(as_text=True))
    assert {r["Invoice number"] for r in everything} == {
        invoiced["ben_council"].number,
        invoiced["zoe_council"].number,
    }
    bad = client.get("/invoices.csv?budget=x")
    assert bad.status_code == 422 and "There is a problem" in bad.get_data(as_text=True)


def test_the_providers_csv_names_no_child(client, world, sign_in, invoiced):
    sign_in(world.provider)
    listed = rows(client.get("/invoices.csv").get_data(as_text=True))
    assert len(listed) == 3 and "Child" not in listed[0]
    assert "Ben" not in client.get("/invoices").get_data(as_text=True)


def test_a_formula_typed_as_a_po_number_stays_text_in_the_csv(client, session, world, sign_in):
    issue(session, world.provider_org, org=world.council, po="=HYPERLINK(1)")
    sign_in(world.commissioner)
    [row] = rows(client.get("/invoices.csv").get_data(as_text=True))
    assert row["PO number"] == "'=HYPERLINK(1)"


# ---- families --------------------------------------------------------------------------------------


@pytest.fixture
def family_invoices(session, world, zoe):
    """Hilltop's invoices to Ben's family (one part paid) and to Zoe's, and one to the council."""
    hilltop = world.provider_org
    return {
        "ben_a": issue(session, hilltop, family=world.family, amount=12_000),
        "ben_b": pay(session, issue(session, hilltop, family=world.family, amount=8_000), 3_000),
        "zoe": issue(session, hilltop, family=zoe[0], amount=9_000),
        "council": issue(session, hilltop, org=world.council, po="BC-1"),
    }


def test_a_family_sees_your_invoices_with_the_amount_due(client, world, sign_in, family_invoices):
    sign_in(world.parent)
    status, text = page(client)
    assert status == 200 and '<h1 class="govuk-heading-l">Your invoices</h1>' in text
    assert re.search(r'href="/invoices"[^>]*>(<strong[^>]*>)?Your invoices<', text)  # the navigation link
    assert numbers(text) == {family_invoices["ben_a"].number, family_invoices["ben_b"].number}
    assert "£120.00" in text and "£50.00" in text and "Part paid" in text  # £80.00 less £30.00 paid
    assert "Hilltop Children&#39;s Hospice" in text or "Hilltop Children's Hospice" in text
    _, due = page(client, "?outstanding=yes&status=part_paid")
    assert numbers(due) == {family_invoices["ben_b"].number}
    assert rows(client.get("/invoices.csv").get_data(as_text=True))[0]["Customer"] == world.family.name


def test_a_family_never_sees_another_familys_or_an_organisations_invoices(
    client, world, sign_in, family_invoices, zoe
):
    sign_in(world.parent)
    for key in ("zoe", "council"):
        invoice = family_invoices[key]
        for url in (f"/invoices/{invoice.id}", f"/invoices/{invoice.id}.pdf", f"/invoices/{invoice.id}.csv"):
            assert client.get(url).status_code == 404, url
        assert invoice.number not in page(client)[1]
    listed = {r["Invoice number"] for r in rows(client.get("/invoices.csv").get_data(as_text=True))}
    assert listed == {family_invoices["ben_a"].number, family_invoices["ben_b"].number}
    assert client.get(f"/invoices/{family_invoices['ben_a'].id}").status_code == 200
    sign_in(zoe[1])
    assert numbers(page(client)[1]) == {family_invoices["zoe"].number}


def test_a_family_never_invoiced_is_told_so(client, world, sign_in, invoiced):
    sign_in(world.parent)  # Ben's care is the funders' to pay, not the family's
    status, text = page(client)
    assert status == 200 and "There are no invoices for you to see yet" in text and not numbers(text)
