"""Issue #17, items 1 and 2, in a real browser on the demo data: Tom (Ben's family) sees on the
offer page which budget can pay and every booking rule with his family's position, is refused 8
nights on the nights question itself, and is told truthfully why Ben's budget cannot pay for
hydrotherapy."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.real_commits]


@pytest.mark.parametrize("javascript", [True], ids=["js"])
def test_family_sees_rules_and_is_refused_on_the_nights_page(page, demo):
    sign_in(page, demo.tom)
    page.goto(f"/offers/{demo.hilltop_overnight_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Overnight short break")
    expect(page.get_by_role("heading", name="Can your budget pay?")).to_be_visible()
    expect(page.locator("#can-pay-list")).to_contain_text(
        re.compile(r"Ben's budget can pay for this: £[\d,]+\.\d\d left")
    )
    rules = page.locator("#rules-list")
    expect(rules.locator('[data-rule="units"]')).to_have_text("At most 7 nights per booking.")
    expect(rules.locator('[data-rule="yearly_cap"]')).to_contain_text(
        re.compile(r"At most 12 nights a year for each child .*: Ben has \d+ of 12 nights left this year\.")
    )
    expect(rules.locator('[data-rule="open_bookings"]')).to_contain_text(
        re.compile(r"You have \d of 2 open bookings")
    )

    page.locator("tbody tr").first.get_by_role("link", name=re.compile("^Book")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("How many nights?")
    expect(page.locator("#units-hint")).to_contain_text(
        re.compile(r"At most 7\.\s+Ben has \d+ of 12 nights left this year\.")
    )
    page.get_by_label("How many nights?").fill("8")
    page.get_by_role("button", name="Continue").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary.get_by_role("link", name="Book at most 7 nights")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("How many nights?")

    page.goto("/offers?q=hydrotherapy&age=")
    result = page.locator(".app-result").filter(has_text="Hydrotherapy session")
    expect(result).to_contain_text("Ben's budget can't pay for this")
    result.get_by_role("link", name="Hydrotherapy session").click()
    expect(page.locator("#can-pay-list")).to_contain_text(
        "Ben's budget can't pay for therapy sessions: its streams pay for"
    )
