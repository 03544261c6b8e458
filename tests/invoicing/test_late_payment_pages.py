"""Aged debt, aged creditors, the chasing view and the claim: what each role sees and is refused,
figures in £ with links to the invoices behind them, a chart readable without JavaScript or
inline style, and the same figures in pence from the API."""

import re
from datetime import date, timedelta

import pytest
import time_machine

from tests.invoicing.overdue import issue, london_noon
from tests.invoicing.test_pdf import pdf_text

ON = date(2027, 2, 3)


@pytest.fixture
def frozen():
    with time_machine.travel(london_noon(ON), tick=False):
        yield


@pytest.fixture
def debts(session, world, make):
    """Hilltop is owed: by the council £393.33 (30 days past due) and £200.00 (not yet due), by the
    ICB £1,500.00 (95 days), by Ben's family £70.00 (40 days). Seaside is owed £44.44 by the council."""
    hilltop = world.provider_org
    seaside = make.org("provider", name="Seaside Breaks")
    return {
        "council_30": issue(session, hilltop, 39_333, ON - timedelta(days=30), payer_org=world.council),
        "council_not_due": issue(session, hilltop, 20_000, ON + timedelta(days=4), payer_org=world.council),
        "icb_95": issue(session, hilltop, 150_000, ON - timedelta(days=95), payer_org=world.icb),
        "family_40": issue(session, hilltop, 7_000, ON - timedelta(days=40), payer_family=world.family),
        "seaside": issue(session, seaside, 4_444, ON - timedelta(days=10), payer_org=world.council),
        "seaside_org": seaside,
    }


def main(html: str) -> str:
    return html[html.index("<main") : html.index("</main>")]


def links(html: str, text: str) -> list[str]:
    """Where the page's links with this visible text (hidden words aside) go, in page order."""
    return [
        href.replace("&amp;", "&")
        for href, label in re.findall(r'<a class="govuk-link" href="([^"]+)">(.*?)</a>', html)
        if re.sub(r"<[^>]+>.*", "", label).strip() == text
    ]


def test_the_provider_sees_its_aged_debt_by_payer_with_a_chart(client, sign_in, world, debts, frozen):
    sign_in(world.provider)
    page = main(client.get("/invoices/aged-debt").get_data(as_text=True))
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert "1–30 days: £393.33" in svg and "Over 90 days: £1,500.00" in svg and "<script" not in page
    assert " style=" not in page  # the CSP: presentation attributes only
    rows = {name: row for name, row in re.findall(r'<th scope="row"[^>]*>([^<]+)</th>(.*?)</tr>', page, re.S)}
    council = re.findall(r"£[\d,]+\.\d\d", rows["Brightwater Council"])
    assert council == ["£200.00", "£393.33", "£0.00", "£0.00", "£0.00", "£593.33"]
    assert re.findall(r"£[\d,]+\.\d\d", rows[world.family.name])[1] == "£0.00"  # 40 days: 31–60
    assert "£44.44" not in page  # Seaside's debt is not Hilltop's


def test_each_figure_links_to_the_invoices_behind_it(client, sign_in, world, debts, frozen):
    sign_in(world.provider)
    page = client.get("/invoices/aged-debt").get_data(as_text=True)
    summary, council, total = links(main(page), "£393.33")  # the chart's table, the council, the totals
    assert summary == total == "/invoices/aged-debt/invoices?bucket=days_1_30"
    assert "bucket=days_1_30" in council and f"payer=org-{world.council.id}" in council
    href = council
    behind = main(client.get(href).get_data(as_text=True))
    assert debts["council_30"].number in behind and "30" in behind and "4 January 2027" in behind
    assert debts["council_not_due"].number not in behind and debts["icb_95"].number not in behind
    everything = main(client.get(links(main(page), "£2,163.33")[0]).get_data(as_text=True))  # the grand total
    numbers = re.findall(r"HIL-\d+", everything)
    assert numbers == [debts[k].number for k in ("icb_95", "family_40", "council_30", "council_not_due")]


def test_an_empty_column_says_nothing_is_owed_in_words(client, sign_in, world, debts, frozen):
    sign_in(world.provider)
    page = main(client.get("/invoices/aged-debt/invoices?bucket=days_61_90").get_data(as_text=True))
    assert "On 3 February 2027 nothing is owed to you on any invoice here." in page
    assert "0 invoices" not in page and "most overdue first" not in page
    sign_in(world.commissioner)
    page = main(client.get("/invoices/aged-creditors/invoices?bucket=days_61_90").get_data(as_text=True))
    assert "On 3 February 2027 you owe nothing on any invoice here." in page and "0 invoices" not in page


def test_bad_filters_are_named_in_an_error_summary(client, sign_in, world, debts, frozen):
    sign_in(world.provider)
    response = client.get("/invoices/aged-debt/invoices?bucket=days_1_31&payer=council")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "govuk-error-summary" in page
    assert 'href="#bucket"' in page and 'href="#payer"' in page


def test_another_provider_sees_none_of_hilltops_invoices(client, sign_in, world, debts, make, frozen):
    sign_in(make.user("provider", org=debts["seaside_org"]))
    page = client.get(f"/invoices/aged-debt/invoices?payer=org-{world.council.id}").get_data(as_text=True)
    assert debts["seaside"].number in page and "HIL-" not in page
    assert "HIL-" not in client.get("/invoices/chasing").get_data(as_text=True)


def test_the_commissioner_sees_what_it_owes_each_provider(client, sign_in, world, debts, frozen):
    sign_in(world.commissioner)
    page = main(client.get("/invoices/aged-creditors").get_data(as_text=True))
    assert "Aged creditors" in page and "Hilltop Children&#39;s Hospice" in page and "Seaside Breaks" in page
    assert "£1,500.00" not in page and "£70.00" not in page  # the ICB's and the family's debts
    behind = main(client.get(links(page, "£44.44")[-1]).get_data(as_text=True))
    assert debts["seaside"].number in behind and debts["council_30"].number not in behind
    stranger = client.get(f"/invoices/aged-creditors/invoices?provider=org-{world.provider_org.id}")
    assert debts["council_30"].number in stranger.get_data(as_text=True)  # its own, from Hilltop
    icb = client.get(
        f"/invoices/aged-creditors/invoices?provider=org-{world.provider_org.id}&bucket=days_over_90"
    )
    assert debts["icb_95"].number not in icb.get_data(as_text=True)  # addressed to the ICB, not to it


def test_dashboards_carry_the_aged_debt_panels(client, sign_in, world, debts, make, frozen):
    sign_in(world.provider)
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Aged debt" in dashboard and "<svg" in dashboard and 'href="/invoices/chasing"' in dashboard
    sign_in(world.commissioner)
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Aged creditors" in dashboard and "£437.77" in dashboard  # 1–30 days: £393.33 + £44.44
    sign_in(make.user("provider"))  # owed nothing: no panel
    assert "Aged debt" not in client.get("/dashboard").get_data(as_text=True)


def test_chasing_lists_overdue_invoices_most_overdue_first(client, sign_in, world, debts, frozen):
    sign_in(world.provider)
    page = main(client.get("/invoices/chasing").get_data(as_text=True))
    overdue = page[page.index("most overdue first") :]
    assert re.findall(r">(HIL-\d+)</a>", overdue) == [
        debts[k].number for k in ("icb_95", "family_40", "council_30")
    ]
    assert debts["council_not_due"].number not in page
    family_row = overdue[overdue.index(debts["family_40"].number) :]
    family_row = family_row[: family_row.index("</tr>")]
    assert "Not claimable" in family_row and "claim.pdf" not in family_row
    assert "Families are never charged" in page
    assert "Reference rate in force on 3 February 2027: 4%" in page and "12% a year" in page
    by_payer = page[: page.index("most overdue first")]
    icb = re.findall(r"£[\d,]+\.\d\d", by_payer[by_payer.index("NHS Brightwater ICB") :])[:5]
    assert icb[0] == "£1,500.00" and icb[2] == "£70.00"  # compensation for a debt under £10,000


def test_chasing_says_when_the_half_years_rate_is_not_configured(client, sign_in, world, debts, app, frozen):
    rates = app.config["LATE_PAYMENT_REFERENCE_RATES"]
    app.config["LATE_PAYMENT_REFERENCE_RATES"] = [("2026-01-01", 400), ("2026-07-01", 425)]
    try:
        sign_in(world.provider)
        page = client.get("/invoices/chasing").get_data(as_text=True)
    finally:
        app.config["LATE_PAYMENT_REFERENCE_RATES"] = rates
    assert "4.25%" in page and "12.25% a year" in page
    assert "No reference rate is configured for this half-year yet" in page


def test_the_claim_is_for_the_provider_to_send(client, sign_in, world, debts, make, frozen):
    invoice = debts["icb_95"]
    for user in (
        world.commissioner,
        make.user("commissioner", org=world.icb),
        world.parent,
        make.user("provider"),
    ):
        sign_in(user)
        assert client.get(f"/invoices/{invoice.id}/claim.pdf").status_code == 404, user.role
    sign_in(world.provider)
    response = client.get(f"/invoices/{invoice.id}/claim.pdf")
    text = pdf_text(response.get_data())
    assert "95 days" in text and "Fixed compensation £70.00" in text and "NHS Brightwater ICB" in text


@pytest.mark.parametrize(
    ("debt", "message"),
    [("family_40", "a family is never charged"), ("council_not_due", "is not overdue")],
)
def test_no_claim_on_a_familys_invoice_or_one_not_overdue(
    client, sign_in, world, debts, frozen, debt, message
):
    sign_in(world.provider)
    invoice = debts[debt]
    response = client.get(f"/invoices/{invoice.id}/claim.pdf")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/invoices/{invoice.id}")
    assert message in client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "url"),
    [
        ("family", "/invoices/aged-debt"),
        ("family", "/invoices/chasing"),
        ("family", "/invoices/aged-creditors"),
        ("commissioner", "/invoices/aged-debt"),
        ("commissioner", "/invoices/aged-debt/invoices"),
        ("commissioner", "/invoices/chasing"),
        ("provider", "/invoices/aged-creditors"),
        ("provider", "/invoices/aged-creditors/invoices"),
        ("admin", "/invoices/aged-debt"),
    ],
)
def test_each_page_refuses_the_wrong_role(client, sign_in, world, make, role, url):
    users = {"family": world.parent, "commissioner": world.commissioner, "provider": world.provider}
    sign_in(users.get(role) or make.user(role))
    assert client.get(url).status_code == 403


def test_signed_out_people_are_sent_to_sign_in(client, debts):
    for url in ("/invoices/aged-debt", "/invoices/chasing", f"/invoices/{debts['icb_95'].id}/claim.pdf"):
        response = client.get(url)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


# ---- the API -------------------------------------------------------------------------------------


def test_the_api_gives_each_side_its_own_aged_debt_in_pence(client, bearer, world, debts):
    provider = client.get(f"/api/v1/aged-debt?on={ON.isoformat()}", headers=bearer(world.provider)).get_json()
    assert provider["side"] == "debtors" and provider["on"] == "2027-02-03"
    assert provider["totals"] == {
        "not_due": 20_000,
        "days_1_30": 39_333,
        "days_31_60": 7_000,
        "days_61_90": 0,
        "days_over_90": 150_000,
        "total": 216_333,
        "invoices": 4,
    }
    family_row = next(r for r in provider["rows"] if r["party"]["kind"] == "family")
    assert family_row["party"]["id"] == str(world.family.id) and family_row["days_31_60"] == 7_000
    council = client.get(
        f"/api/v1/aged-debt?on={ON.isoformat()}", headers=bearer(world.commissioner)
    ).get_json()
    assert council["side"] == "creditors"
    assert {r["party"]["name"]: r["total"] for r in council["rows"]} == {
        "Hilltop Children's Hospice": 59_333,
        "Seaside Breaks": 4_444,
    }
    family = client.get(f"/api/v1/aged-debt?on={ON.isoformat()}", headers=bearer(world.parent)).get_json()
    assert family["totals"]["days_31_60"] == 7_000 and family["totals"]["invoices"] == 1


def test_the_api_refuses_an_admin_and_a_bad_date(client, bearer, world, make):
    response = client.get("/api/v1/aged-debt", headers=bearer(make.user("admin")))
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"
    response = client.get("/api/v1/aged-debt?on=03/02/2027", headers=bearer(world.provider))
    assert response.status_code == 422 and "on" in response.get_json()["error"]["fields"]
    assert client.get("/api/v1/aged-debt").status_code == 401


def test_the_api_says_why_a_family_is_not_charged(client, bearer, world, debts, frozen):
    body = client.get(f"/api/v1/invoices/{debts['family_40'].id}", headers=bearer(world.provider)).get_json()
    late = body["late_payment"]
    assert late["days_overdue"] == 40 and (late["interest"], late["compensation"], late["claimable"]) == (
        0,
        0,
        0,
    )
    assert "family is never charged" in late["not_claimable"]
