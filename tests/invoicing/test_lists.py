"""The provider's list of invoices issued: filters by status, payer, PO number and money still
due (each, together, and refused when bad, GOV.UK style), paged with the filters kept in the
page links, and never another provider's invoices."""

import html
import re

import pytest

from tests.invoicing.issued import issue, pay


@pytest.fixture
def book(session, world, make):
    """Hilltop's invoices: three to the council under BC-1 (issued, part paid, paid), two to the
    ICB under ICB-9, one to a family; and another provider's invoice to the council."""
    hilltop, council, icb = world.provider_org, world.council, world.icb
    family = make.family(children=("Zoe",))
    made = {
        "council_issued": issue(session, hilltop, org=council, po="BC-1", amount=10_000),
        "council_part": pay(session, issue(session, hilltop, org=council, po="BC-1", amount=20_000), 5_000),
        "council_paid": pay(session, issue(session, hilltop, org=council, po="BC-1", amount=30_000), 30_000),
        "icb_a": issue(session, hilltop, org=icb, po="ICB-9", amount=40_000),
        "icb_b": issue(session, hilltop, org=icb, po="ICB-9", amount=50_000),
        "family": issue(session, hilltop, family=family, amount=6_000),
        "elsewhere": issue(session, make.org("provider", name="Seaview Respite"), org=council, po="BC-1"),
    }
    made["zoes_family"] = family
    return made


def listed(client, query="") -> tuple[int, str]:
    response = client.get(f"/invoices{query}")
    return response.status_code, response.get_data(as_text=True)


def numbers(text: str) -> set[str]:
    return set(re.findall(r"\b[A-Z0-9]{2,6}-\d{6}\b", text))


def test_the_provider_sees_every_invoice_it_issued_and_no_other(client, world, sign_in, book):
    sign_in(world.provider)
    status, text = listed(client)
    assert status == 200 and "6 invoices" in text
    assert numbers(text) == {book[k].number for k in book if k not in ("elsewhere", "zoes_family")}
    assert (
        "£150.00" in text and "Part paid" in text and "5 December 2026" in text and "4 January 2027" in text
    )
    assert ">part_paid<" not in text and "15000" not in text  # labels and pounds, never stored values


@pytest.mark.parametrize("who", ["provider", "commissioner"])
def test_the_list_leads_to_what_is_owed_and_every_link_opens(client, world, sign_in, book, who):
    sign_in(getattr(world, who))
    html = client.get("/invoices").get_data(as_text=True)
    owed = html[html.index('id="money-owed"') :]
    owed = owed[: owed.index("</p>")]
    hrefs = re.findall(r'href="([^"]+)"', owed)
    expected = {
        "provider": ["/invoices/aged-debt", "/invoices/chasing", "/statements"],
        "commissioner": ["/invoices/to-pay", "/invoices/aged-creditors", "/statements"],
    }[who]
    assert hrefs == expected
    assert [client.get(href).status_code for href in hrefs] == [200, 200, 200]


def test_a_family_is_not_offered_the_organisations_money_pages(client, world, sign_in, book):
    sign_in(world.parent)
    assert 'id="money-owed"' not in client.get("/invoices").get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?status=paid", {"council_paid"}),
        ("?status=part_paid", {"council_part"}),
        ("?status=issued", {"council_issued", "icb_a", "icb_b", "family"}),
        ("?payer={council}", {"council_issued", "council_part", "council_paid"}),
        ("?payer=family:{family}", {"family"}),
        ("?po=bc-1", {"council_issued", "council_part", "council_paid"}),  # ignoring case
        ("?po=%20ICB-9%20", {"icb_a", "icb_b"}),  # and spaces around it
        ("?po=BC", set()),  # the whole number, not a part of it
        ("?outstanding=yes", {"council_issued", "council_part", "icb_a", "icb_b", "family"}),
        ("?outstanding=no", {"council_paid"}),
        ("?payer={council}&status=issued&po=BC-1", {"council_issued"}),
        ("?payer={council}&outstanding=yes", {"council_issued", "council_part"}),
        ("?payer={icb}&po=BC-1", set()),
        (
            "?status=&payer=&po=&outstanding=",
            {"council_issued", "council_part", "council_paid", "icb_a", "icb_b", "family"},
        ),
    ],
)
def test_each_filter_and_filters_together(client, world, sign_in, book, query, expected):
    sign_in(world.provider)
    ids = {"council": world.council.id, "icb": world.icb.id, "family": book["zoes_family"].id}
    status, text = listed(client, query.format(**ids))
    assert status == 200
    assert numbers(text) == {book[k].number for k in expected}
    if not expected:
        assert "No invoices match these filters" in text


def test_the_form_keeps_what_was_chosen_and_offers_the_providers_payers(client, world, sign_in, book):
    sign_in(world.provider)
    _, text = listed(client, f"?payer={world.council.id}&status=part_paid&po=BC-1")
    assert f'<option value="{world.council.id}" selected>Brightwater Council</option>' in text
    assert '<option value="part_paid" selected>Part paid</option>' in text
    assert 'value="BC-1"' in text
    payers = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', text[text.index('id="payer"') :])
    names = [name for value, name in payers if value]
    assert names[:3] == ["Brightwater Council", book["zoes_family"].name, "NHS Brightwater ICB"]
    assert "Seaview" not in text  # payers of its own invoices only


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("?status=unpaid", {"status"}),
        ("?payer=brightwater", {"payer"}),
        ("?payer=family:x&status=nope", {"payer", "status"}),
        ("?po=" + "X" * 61, {"po"}),
        ("?outstanding=maybe", {"outstanding"}),
        ("?page=0", {"page"}),
    ],
)
def test_bad_filters_get_an_error_summary_naming_each_and_no_list(
    client, world, sign_in, book, query, fields
):
    sign_in(world.provider)
    status, text = listed(client, query)
    assert status == 422 and "There is a problem" in text
    assert set(re.findall(r'<li><a href="#(\w+)">', text)) == fields
    assert not numbers(text)


def test_thousands_of_invoices_come_a_page_at_a_time_keeping_the_filters(client, session, world, sign_in):
    hilltop, council = world.provider_org, world.council
    made = [issue(session, hilltop, org=council, po="BC-1", amount=100 + n) for n in range(55)]
    other = issue(session, hilltop, org=world.icb, po="ICB-9")
    sign_in(world.provider)
    query = f"?payer={council.id}&po=BC-1&status=issued"
    status, first = listed(client, query)
    assert status == 200 and "55 invoices, showing 1 to 50" in first and "Page 1 of 2" in first
    assert numbers(first) == {i.number for i in made[5:]}  # newest first
    next_link = html.unescape(re.search(r'href="([^"]+)" rel="next"', first).group(1))
    assert f"payer={council.id}" in next_link and "po=BC-1" in next_link and "status=issued" in next_link
    assert "page=2" in next_link
    status, second = listed(client, next_link.removeprefix("/invoices"))
    assert status == 200 and "showing 51 to 55" in second and "Page 2 of 2" in second
    assert numbers(second) == {i.number for i in made[:5]} and other.number not in second
    prev_link = html.unescape(re.search(r'href="([^"]+)" rel="prev"', second).group(1))
    assert f"payer={council.id}" in prev_link and "page=1" in prev_link
    assert 'rel="next"' not in second
    _, beyond = listed(client, query + "&page=9")
    assert not numbers(beyond)


def test_another_provider_sees_none_of_them(client, sign_in, book, make):
    sign_in(make.user("provider"))
    status, text = listed(client)
    assert status == 200 and not numbers(text) and "There are no invoices for you to see yet" in text
    for query in (f"?payer={book['council_issued'].payer_org_id}", "?po=BC-1"):
        assert not numbers(listed(client, query)[1])
