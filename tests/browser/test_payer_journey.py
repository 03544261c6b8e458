"""The council's side of getting paid, in a real browser on the demo data: its invoices to pay
(the rest of Ben's stay overdue), recording the payment it made to Hilltop with its remittance
reference (a mistake first, shown in the error summary), and Hilltop seeing it recorded by the
council."""

import re

import pytest
from playwright.sync_api import expect

from marketplace.core.clock import today
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.real_commits]


@pytest.mark.parametrize("javascript", [False], ids=["no-js"])
def test_the_council_pays_its_oldest_invoice_and_hilltop_sees_who_recorded_it(page, pages, demo):
    sign_in(page, demo.council)
    page.get_by_role("link", name="To pay").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invoices to pay")
    overdue = page.locator("table#overdue")
    expect(overdue.locator("caption")).to_have_text(re.compile(r"^Overdue: £[\d,]+\.\d\d on \d+ invoices?$"))
    oldest = overdue.locator("tbody tr").first
    expect(oldest).to_contain_text("Hilltop Children's Hospice")
    expect(oldest).to_contain_text("£193.33")  # £200.00 of example B's £393.33 paid
    number = oldest.get_by_role("link").inner_text()

    page.get_by_role("link", name="Record a payment you made").click()
    who = page.get_by_label("Who did you pay?")
    expect(who.locator("option")).to_have_text(
        [re.compile(r"^Hilltop Children's Hospice \(£[\d,.]+ on \d+ invoices?\)$")]
    )
    who.select_option(index=0)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Record a payment to Hilltop Children's Hospice"
    )
    page.get_by_label("Amount paid").fill("193.33")
    page.get_by_role("button", name="Record payment").click()  # no date, no reference
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter the date you paid")
    expect(summary.get_by_role("link", name=re.compile("reference"))).to_have_attribute("href", "#reference")

    page.get_by_label("Date paid").fill(f"{today():%d/%m/%Y}")
    page.get_by_label("Remittance reference").fill("BWC-BACS-000500")
    page.get_by_role("button", name="Record payment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment BWC-BACS-000500")
    expect(page.locator("main")).to_contain_text(f"is recorded: {number} paid")

    hilltop = pages()
    sign_in(hilltop, demo.hilltop)
    hilltop.goto("/payments")
    row = hilltop.locator("tbody tr").filter(has_text="BWC-BACS-000500")
    expect(row).to_contain_text("£193.33")
    expect(row).to_contain_text("for Brightwater Council (the payer)")
