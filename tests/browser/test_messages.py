"""Messages in a real browser, on the demo data: Tom writes to Hilltop about Ben's booking from
the booking page, Hilltop finds the conversation in its inbox and answers, Tom reads the answer;
an empty message shows the error summary. Sarah and the council talk on Amy's ISF page."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from marketplace.bookings.models import Booking
from marketplace.budgets.models import Budget
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.real_commits]


@pytest.fixture
def bens_booking(demo, session):
    family_id = session.get(Budget, demo.bens_budget_id).family_id
    demo.booking_id = session.scalar(
        select(Booking.id).where(Booking.family_id == family_id).order_by(Booking.id)
    )
    session.rollback()
    return demo


def _write(page, text):
    page.get_by_label("Write a message").fill(text)
    page.get_by_role("button", name="Send message").click()


def test_family_and_provider_talk_about_a_booking(page, pages, bens_booking):
    demo = bens_booking
    sign_in(page, demo.tom)
    page.goto(f"/bookings/{demo.booking_id}")
    expect(page.get_by_role("heading", name="Messages")).to_be_visible()
    _write(page, "")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter your message")
    _write(page, "Ben has a new wheelchair: is the ramp at the side door?")
    expect(page.locator(".message").last).to_contain_text("Ben has a new wheelchair")
    expect(page.locator(".message").last).to_contain_text("Ben's family")

    hilltop = pages()
    sign_in(hilltop, demo.hilltop)
    hilltop.goto("/inbox")
    expect(hilltop.get_by_text("New message from")).to_be_visible()
    hilltop.locator(f'a[href="/bookings/{demo.booking_id}/messages"]').first.click()
    expect(hilltop.locator(".message")).to_contain_text(["Ben has a new wheelchair"])
    _write(hilltop, "Yes, and we will meet you there.")

    page.goto("/inbox")
    expect(page.get_by_text("about your booking").first).to_be_visible()
    page.goto(f"/bookings/{demo.booking_id}")
    expect(page.locator(".message").last).to_contain_text("Hilltop Children's Hospice")
    expect(page.locator(".message").last).to_contain_text("we will meet you there")


def test_family_and_commissioner_talk_on_the_isf_page(page, pages, demo):
    sign_in(page, demo.sarah)
    page.goto(f"/isfs/{demo.amys_isf_id}")
    _write(page, "Can the review be in January?")
    council = pages()
    sign_in(council, demo.council)
    council.goto(f"/isfs/{demo.amys_isf_id}")
    expect(council.locator(".message")).to_contain_text(["Can the review be in January?"])
    expect(council.locator(".message").first).to_contain_text("Amy's family")
