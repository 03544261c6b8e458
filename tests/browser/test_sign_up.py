"""Sign-up by invitation in a real browser: a commissioner invites a new family, the parent opens
the link, sees whom it is for, chooses a password and lands on the family's page; the
commissioner then picks the child when creating a budget. An admin resets someone's sign-in."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.real_commits]


def test_a_family_signs_up_through_a_commissioners_invitation(page, pages, committed_user):
    council = committed_user("commissioner")
    sign_in(page, council.email, PASSWORD)
    page.goto("/budgets")
    page.get_by_role("link", name="Invite a family").click()
    page.get_by_label("Their name").fill("Priya Shah")
    page.get_by_label("Their e-mail address").fill("priya@example.org")
    page.get_by_label("Family name").fill("The Shah family")
    page.get_by_label("Child's or young person's name").fill("Ravi")
    page.get_by_label("Their date of birth").fill("31/12/2015")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("heading", name="Invitation ready")).to_be_visible()
    link = page.get_by_label("Invitation link").input_value()

    parent = pages()
    parent.goto(link)
    expect(parent.get_by_role("heading", level=1)).to_have_text("Create your account")
    expect(parent.get_by_text("The Shah family, as a parent or carer")).to_be_visible()
    expect(parent.get_by_text("priya@example.org")).to_be_visible()
    parent.get_by_label("Choose a password").fill("short")
    parent.get_by_label("Type the password again").fill("short")
    parent.get_by_role("button", name="Create account").click()
    expect(parent.get_by_role("alert").get_by_role("link", name="Use at least 10 characters")).to_be_visible()
    parent.get_by_label("Choose a password").fill("Sunny-days-2026")
    parent.get_by_label("Type the password again").fill("Sunny-days-2026")
    parent.get_by_role("button", name="Create account").click()
    expect(parent.get_by_text("Your account is ready. You are signed in.")).to_be_visible()
    expect(parent.get_by_role("heading", level=1)).to_have_text("The Shah family")

    again = pages()
    again.goto(link)
    expect(again.get_by_text("This invitation has already been used")).to_be_visible()

    page.goto("/budgets/new")
    picker = page.get_by_label("Child or young person")
    option = picker.locator("option", has_text="Ravi (The Shah family), born 31 December 2015")
    picker.select_option(value=option.get_attribute("value"))
    expect(picker).to_have_value(re.compile(r"^\d+$"))


def test_an_admin_resets_a_users_sign_in(page, pages, committed_user):
    admin = committed_user("admin")
    provider = committed_user("provider")
    theirs = pages()
    sign_in(theirs, provider.email, PASSWORD)
    expect(theirs).to_have_url(re.compile(r"/dashboard$"))

    sign_in(page, admin.email, PASSWORD)
    page.get_by_role("link", name="Admin").first.click()
    page.get_by_role("link", name="Find, deactivate or reset a user").click()
    page.get_by_label("Name or e-mail").fill(provider.email)
    page.get_by_role("button", name="Find").click()
    page.get_by_role("button", name=f"Reset sign-in for {provider.name}").click()
    expect(page.get_by_role("heading", name="Sign-in reset")).to_be_visible()
    link = page.get_by_label("Link to choose a new password").input_value()

    theirs.goto("/account")
    expect(theirs).to_have_url(re.compile(r"/sign-in"))
    theirs.goto(link)
    theirs.get_by_label("New password").fill("Fresh-start-2026")
    theirs.get_by_label("Type the password again").fill("Fresh-start-2026")
    theirs.get_by_role("button", name="Set password").click()
    expect(theirs.get_by_text("Your new password is set.")).to_be_visible()

    page.goto("/admin/audit?user=" + admin.email)
    expect(page.get_by_role("cell", name="User sign in reset")).to_be_visible()
