"""The main journeys, through the real pages in a real browser, on the demo data (DESIGN.md's
worked examples): a family finds and books Hilltop's overnight short break, Hilltop confirms it,
the family cancels it late and sees the charge first; the family's budget and statement; Amy's
ISF seen by her family, its commissioner and its provider."""

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from marketplace.accounts.demo import organisation
from marketplace.accounts.models import User
from marketplace.budgets import operations as budgets
from marketplace.budgets.models import Budget
from marketplace.isf import operations as isf_ops
from marketplace.isf.models import Isf
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.real_commits]
# The app's only script moves focus for error summaries: the long journeys run once each (the
# booking flow without JavaScript, as a family on a locked-down device would meet it), the error
# summaries both ways.
only_with_javascript = pytest.mark.parametrize("javascript", [True], ids=["js"])
only_without_javascript = pytest.mark.parametrize("javascript", [False], ids=["no-js"])


def rows_starting(page, start):
    """The table rows naming the start `start` and no other ("1 December" is inside "21 December")."""
    return page.locator("tbody tr").filter(has_text=re.compile(rf"(^|\D){start}"))


def _user(session, email):
    return session.scalar(select(User).where(User.email == email))


@pytest.fixture
def room_to_book(demo, session):
    """Ben's family may have two Hilltop bookings open at once and the demo has one, so Tom can book
    one more. Ben also gets a small charity budget, so the family is asked which budget pays."""
    ben = session.get(Budget, demo.bens_budget_id).child
    council = organisation(session, "brightwater-council")
    stream = {"kind": "charity", "funder": council, "amount": 50000, "categories": ["overnight_short_break"]}
    budgets.create_budget(session, child=ben, streams=[stream])
    session.commit()
    session.rollback()
    return demo


@only_without_javascript
def test_family_books_hilltop_provider_confirms_family_cancels_late(page, pages, room_to_book):
    demo = room_to_book
    sign_in(page, demo.tom)
    expect(page.get_by_role("heading", level=1)).to_have_text("Ben's family")

    # search the catalogue with filters
    page.get_by_role("link", name="Find short breaks").first.click()
    page.get_by_label("Type of break").select_option(label="Overnight short break")
    page.get_by_label("Child's age").fill("14")
    page.get_by_label("Council area or postcode district").fill("BW1")
    page.get_by_label("Paid for by").select_option(label="Social care")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/offers\?.*category=overnight_short_break"))
    results = page.locator(".app-result h2")
    expect(results.filter(has_text="Overnight short break")).to_have_count(1)
    expect(results.filter(has_text="Splash Saturday swimming")).to_have_count(0)  # another category
    expect(results.filter(has_text="Seaside residential break")).to_have_count(0)  # not in BW1
    page.get_by_role("link", name="Overnight short break", exact=True).click()

    # the offer page: book the first date (tomorrow, inside the 48 hours' free cancellation)
    expect(page.get_by_role("heading", level=1)).to_have_text("Overnight short break")
    expect(page.get_by_text("£295.00 per night")).to_be_visible()
    first_date = page.locator("tbody tr").first
    start = first_date.locator("td").first.inner_text()
    first_date.get_by_role("link", name=re.compile("^Book")).click()

    # one question per page: which budget, how many nights, then check
    expect(page.get_by_role("heading", level=1)).to_have_text("Which budget should pay?")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert").get_by_role("link")).to_have_count(1)  # nothing chosen
    page.get_by_label(re.compile(r"^Ben's budget")).first.check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("How many nights?")
    expect(page.get_by_text("£295.00 a night. At most 7.")).to_be_visible()
    page.get_by_label("How many nights?").fill("2")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Which outcome in Ben's plan")
    page.get_by_label(re.compile(r"^Ben enjoys regular overnight stays")).check()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your booking")
    summary = page.locator(".govuk-summary-list")
    expect(summary).to_contain_text("Ben enjoys regular overnight stays")
    expect(summary).to_contain_text(f"Starts{start}")
    expect(summary).to_contain_text("2 nights at £295.00")
    expect(summary).to_contain_text("Cost£590.00")
    rows = page.locator("table tbody tr")
    # £590.00 splits 3,000:1,500 (393.33 + 196.67); what is left counts the demo's delivered and
    # confirmed bookings (393.33 + 196.67 each) and the £30.00 the demo's credit note gave back to
    # the health stream
    expect(rows.nth(0)).to_contain_text("Social care (Brightwater Council)£393.33£1,820.01")
    expect(rows.nth(1)).to_contain_text("Health (NHS Brightwater ICB)£196.67£939.99")
    page.get_by_role("button", name="Confirm booking").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Overnight short break")
    expect(page.locator("h1 .govuk-tag")).to_have_text("Requested")
    expect(page.get_by_text("Booking sent: requested.")).to_be_visible()
    booking_url = page.url
    page.get_by_role("link", name="All bookings").click()
    expect(rows_starting(page, start)).to_contain_text("£590.00")

    # Hilltop sees the request in its inbox and confirms; a page left open shows the refusal
    provider = pages()
    sign_in(provider, demo.hilltop)
    provider.get_by_role("link", name="Bookings").first.click()
    expect(provider.get_by_role("heading", level=1)).to_have_text("Bookings inbox")
    row = rows_starting(provider, start)
    expect(row).to_contain_text("Requested")
    row.get_by_role("link", name="Overnight short break").click()
    expect(provider.get_by_text("Ben (Ben's family)")).to_be_visible()
    stale = pages()
    sign_in(stale, demo.hilltop)
    stale.goto(provider.url)
    provider.get_by_role("button", name="Confirm").click()
    expect(provider.locator("h1 .govuk-tag")).to_have_text("Confirmed")
    expect(provider.get_by_role("button", name="Confirm")).to_have_count(0)

    stale.get_by_role("button", name="Confirm").click()
    expect(stale).to_have_title(re.compile(r"^Error: "))
    error = stale.get_by_role("alert")
    expect(error.get_by_role("heading")).to_have_text("There is a problem")
    link = error.get_by_role("link", name="A confirmed booking cannot be confirmed.")
    expect(link).to_have_attribute("href", "#action")
    expect(stale.locator("#action")).to_have_count(1)

    # the family cancels: the late charge is shown before they confirm
    page.goto(booking_url)
    expect(page.locator("h1 .govuk-tag")).to_have_text("Confirmed")
    expect(page.get_by_text("Cancelling now costs £295.00.")).to_be_visible()
    page.get_by_role("link", name="Cancel this booking").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel this booking?")
    expect(page.locator(".govuk-warning-text")).to_contain_text(
        "costs £295.00. £295.00 goes back to your budget."
    )
    page.get_by_label("Reason (optional)").fill("Ben is unwell")
    page.get_by_role("button", name="Yes, cancel the booking").click()
    expect(page.locator("h1 .govuk-tag")).to_have_text("Cancelled")
    expect(page.locator(".govuk-summary-list")).to_contain_text("Charged£295.00")
    expect(page.get_by_role("link", name="Cancel this booking")).to_have_count(0)


@only_with_javascript
def test_family_sees_budget_balances_statement_and_downloads_the_csv(page, demo):
    sign_in(page, demo.tom)
    page.get_by_role("link", name="Budgets").first.click()
    page.get_by_role("link", name="Ben", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ben's budget")
    balances = page.locator("table.app-balances tbody tr")
    # allocated, spent (the delivered booking, less the £30.00 the demo's credit note gave back to
    # the health stream), held (the confirmed one), available
    expect(balances.nth(0).locator("td")).to_have_text(["£3,000.00", "£393.33", "£393.33", "£2,213.34", ""])
    expect(balances.nth(1).locator("td")).to_have_text(["£1,500.00", "£166.67", "£196.67", "£1,136.66", ""])
    expect(balances.nth(2).locator("th, td")).to_have_text(
        ["Total", "£4,500.00", "£560.00", "£590.00", "£3,350.00", ""]
    )

    statement = page.locator("#statement ~ .app-table-scroll table").first
    expect(statement.locator("tbody tr")).to_have_count(5)
    expect(statement.locator("tbody tr").first.locator("td")).to_have_text(
        [
            re.compile("1 April 2026"),
            "Social care",
            "Allocation from Brightwater Council",
            "£3,000.00",
            "",
            "£3,000.00",
        ]
    )
    expect(statement.locator("tbody tr").filter(has_text="Care delivered")).to_have_count(2)
    page.locator("#statement + p").get_by_role("link", name="health").click()
    expect(statement.locator("caption")).to_have_text("Health stream")
    expect(statement.locator("tbody tr")).to_have_count(3)

    with page.expect_download() as download:
        page.get_by_role("link", name="download as CSV").click()
    assert download.value.suggested_filename == f"budget-{demo.bens_budget_id}-statement-health.csv"
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert rows[0] == [
        "Date",
        "Stream",
        "Funder",
        "Description",
        "Reference",
        "Money in",
        "Money out",
        "Balance",
    ]
    assert [r[1:4] + r[5:] for r in rows[1:]] == [
        [
            "Health",
            "NHS Brightwater ICB",
            "Allocation from NHS Brightwater ICB",
            "£1,500.00",
            "£0.00",
            "£1,500.00",
        ],
        ["Health", "NHS Brightwater ICB", "Care delivered", "£0.00", "£196.67", "£1,303.33"],
        [
            "Health",
            "NHS Brightwater ICB",
            "Returned by the provider's credit note (care not charged)",
            "£30.00",
            "£0.00",
            "£1,333.33",
        ],
    ]
    response = page.request.get(f"/budgets/{demo.bens_budget_id}/statement.csv")
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'attachment; filename="budget-' in response.headers["content-disposition"]
    assert len(response.text().strip().splitlines()) == 6  # header and the five movements


@pytest.fixture
def release_requested(demo, session):
    """Hilltop asks to spend £250.00 of Amy's contingency (DESIGN.md example A)."""
    isf = session.get(Isf, demo.amys_isf_id)
    reason = "Extra nights while Amy's mum has surgery"
    isf_ops.request_release(session, isf, amount=25000, reason=reason, actor=_user(session, demo.hilltop))
    session.commit()
    session.rollback()
    return demo


@only_with_javascript
def test_isf_seen_by_family_approved_by_commissioner_listed_for_provider(page, pages, release_requested):
    demo = release_requested
    sign_in(page, demo.sarah)
    page.get_by_role("link", name="ISFs").click()
    page.get_by_role("link", name="Amy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Amy's ISF")
    terms = page.locator(".govuk-summary-list")
    expect(terms).to_contain_text("Provider's management share (top-slice)")
    expect(terms).to_contain_text("8% of every drawdown goes to Hilltop Children's Hospice")
    balances = page.locator("p.govuk-body-l")
    expect(balances).to_contain_text("Available £3,990.00")  # six weeks drawn (isf/demo.py)
    expect(balances).to_contain_text("Contingency £390.00")
    expect(page.locator("#available-explained")).to_contain_text(
        "£3,990.00 available: £7,800.00 received, less £390.00 kept as contingency, less £3,420.00 drawn so far."
    )
    expect(page.get_by_role("button", name=re.compile("Approve"))).to_have_count(0)  # families do not decide

    council = pages()
    sign_in(council, demo.council)
    panel = council.locator("tr").filter(has_text="Amy's ISF")
    expect(panel).to_contain_text("1 release to decide")
    panel.get_by_role("link", name="Amy's ISF").click()
    council.get_by_role("button", name="Approve and pay £250.00").click()
    expect(council.get_by_text("Release approved and paid.")).to_be_visible()
    expect(council.locator("p.govuk-body-l")).to_contain_text("Contingency £140.00")
    expect(council.get_by_role("heading", name="£250.00: Approved", exact=True)).to_be_visible()

    hilltop = pages()
    sign_in(hilltop, demo.hilltop)
    hilltop.get_by_role("link", name="ISFs").click()
    expect(hilltop.get_by_role("heading", level=1)).to_have_text("Individual Service Funds")
    row = hilltop.locator("tbody tr").filter(has_text="Amy")
    expect(row.locator("td")).to_have_text(
        ["Amy", "Hilltop Children's Hospice", "£570.00", "£3,990.00", "£140.00", "Active"]
    )

    page.reload()
    expect(page.get_by_role("heading", name="£250.00: Approved", exact=True)).to_be_visible()
    expect(page.locator("p.govuk-body-l")).to_contain_text("Contingency £140.00")


def test_units_error_summary_links_to_the_field(page, demo, javascript):
    sign_in(page, demo.tom)
    page.goto(f"/offers/{demo.hilltop_overnight_id}")
    page.locator("tbody tr").nth(5).get_by_role("link", name=re.compile("^Book")).click()
    page.get_by_label("How many nights?").fill("lots")
    page.get_by_role("button", name="Continue").click()

    expect(page).to_have_title(re.compile(r"^Error: How many nights\?"))
    summary = page.get_by_role("alert")
    link = summary.get_by_role("link", name="Enter a whole number")
    expect(link).to_have_attribute("href", "#units")
    expect(page.locator("#units")).to_have_value("lots")  # what was typed is kept
    expect(page.locator("#units")).to_have_attribute("aria-describedby", "units-hint units-error")
    expect(page.locator("#units-error")).to_contain_text("Enter a whole number")
    if javascript:
        expect(summary).to_be_focused()  # GOV.UK: the summary takes focus when the page loads
    link.click()
    expect(page).to_have_url(re.compile(r"#units$"))
    if javascript:
        expect(page.get_by_label("How many nights?")).to_be_focused()
    page.get_by_label("How many nights?").fill("2")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Which outcome")  # one question per page
    page.get_by_role("button", name="Continue").click()  # "Not linked to an outcome" is the default
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your booking")
    page.get_by_role("link", name="Back").click()
    page.get_by_role("link", name="Back").click()
    expect(page.get_by_label("How many nights?")).to_have_value("2")  # Back keeps the answer


def test_search_error_summary_links_to_each_field(page, live_server, javascript):
    page.goto("/offers")
    page.get_by_label("Child's age").fill("six")
    page.get_by_label("Highest price").fill("lots")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_title(re.compile(r"^Error: Find short breaks"))
    links = page.get_by_role("alert").get_by_role("link")
    expect(links).to_have_count(2)
    expect(links.nth(0)).to_have_attribute("href", "#age")
    expect(links.nth(1)).to_have_attribute("href", "#max_price")
    links.nth(1).click()
    if javascript:
        expect(page.get_by_label("Highest price")).to_be_focused()
    expect(page.locator("#max_price")).to_have_value("lots")
