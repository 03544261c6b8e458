"""Signing in and out through the real pages, in a real browser, with and without JavaScript."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.real_commits]


def sign_in(page, email, password):
    page.goto("/")
    page.get_by_role("link", name="Sign in").first.click()
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_shows_your_account_then_sign_out(page, committed_user):
    user = committed_user("provider")
    sign_in(page, user.email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(user.organisation_name)
    expect(page.get_by_text(f"Signed in as {user.name}")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()
    page.goto("/dashboard")
    expect(page).to_have_url(re.compile(r"/sign-in$"))


def test_family_signs_in_to_the_family_page(page, committed_user):
    user = committed_user("family")
    sign_in(page, user.email, PASSWORD)
    expect(page).to_have_url(re.compile(rf"/families/{user.family_slug}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(user.family_name)


def test_wrong_password_shows_the_error_summary_linked_to_the_field(page, committed_user):
    user = committed_user("family")
    sign_in(page, user.email, "not-the-password-1")
    expect(page).to_have_title(re.compile(r"^Error: Sign in"))
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    link = summary.get_by_role("link", name="The e-mail address or password is not right")
    expect(link).to_have_attribute("href", "#email")
    expect(page.locator("#email")).to_have_value(user.email)  # what was typed is kept
    expect(page.locator("#email-error")).to_contain_text("The e-mail address or password is not right")
    link.click()
    expect(page).to_have_url(re.compile(r"/sign-in#email$"))
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
