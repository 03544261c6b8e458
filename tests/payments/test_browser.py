"""In a real browser (chromium, Playwright): Ben's family books a night that needs a £55.00
top-up and pays it on the payment page with localstripe's Stripe.js; localstripe's webhook
reaches the served app too. Screenshots of the check page and the paid booking go to docs/."""

import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from marketplace.bookings.models import Booking, BookingStatus
from marketplace.core.db import db
from marketplace.payments.models import CardPayment, CardStatus, StripeEvent
from tests.factories import PASSWORD
from tests.payments.conftest import WEBHOOK_SECRET

pytestmark = [pytest.mark.browser, pytest.mark.real_commits]
DOCS = Path(__file__).resolve().parents[2] / "docs"
CARD = {
    "number": "4242424242424242",
    "exp_month": "12",
    "exp_year": "30",
    "cvc": "123",
    "postal_code": "BN1 1AA",
}


def test_a_family_pays_a_55_pound_top_up_by_card(browser, live_server, session, world, stripe_on):
    budget = world.make_budget(world.family, social_care=16_000, health=8_000)
    slot = world.make_slot(days_ahead=10)
    email, slot_id, budget_id = world.parent.email, slot.id, budget.id
    session.commit()
    session.rollback()  # no open transaction: on SQLite it would hold the write lock
    point_webhook(stripe_on, f"{live_server}/payments/stripe/webhook")
    try:
        pay_in_the_browser(
            browser, live_server, email, f"/book/{slot_id}/check?budget_id={budget_id}&units=1"
        )
        check_the_database()
    finally:
        # localstripe keeps its webhooks for the run: later tests' events must not reach this server
        point_webhook(stripe_on, "http://127.0.0.1:9/nowhere")
        time.sleep(1.5)
        db.session.remove()


def point_webhook(base: str, url: str) -> None:
    hook = urllib.parse.urlencode({"url": url, "secret": WEBHOOK_SECRET}).encode()
    urllib.request.urlopen(urllib.request.Request(f"{base}/_config/webhooks/app", data=hook), timeout=5)


def pay_in_the_browser(browser, live_server, email, check_url):
    context = browser.new_context(base_url=live_server, viewport={"width": 820, "height": 980})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/sign-in")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.goto(check_url)
    assert page.get_by_text("You pay by card").is_visible()
    page.locator("main").screenshot(path=str(DOCS / "card-top-up-check.png"))
    page.get_by_role("button", name="Agree and pay £55.00 by card").click()

    page.wait_for_selector("#card-element input")  # localstripe's card field, from its Stripe.js
    for placeholder, value in CARD.items():
        page.fill(f'#card-element input[placeholder="{placeholder}"]', value)
    page.get_by_role("button", name="Pay £55.00").click()
    page.wait_for_url("**/bookings/*")
    assert page.get_by_text("Thank you: your card payment of £55.00 was received.").is_visible()
    assert page.get_by_text("Requested").first.is_visible()
    page.locator("main").screenshot(path=str(DOCS / "card-top-up-paid.png"))
    context.close()


def check_the_database():
    db.session.remove()
    booking = db.session.scalars(select(Booking)).one()
    card_payment = db.session.scalars(select(CardPayment)).one()
    assert (booking.status, card_payment.status, card_payment.amount) == (
        BookingStatus.REQUESTED,
        CardStatus.SUCCEEDED,
        5_500,
    )
    # localstripe's own succeeded event reaches the app some seconds later (it sends webhooks from
    # its event loop, so up to a minute on a busy machine): stored, acted on as
    # already recorded, nothing twice
    # (stored first, then acted on in its own transaction: wait for both)
    paid = select(StripeEvent).where(
        StripeEvent.type == "payment_intent.succeeded", StripeEvent.processed_at.is_not(None)
    )
    db.session.remove()
    for _ in range(600):
        found = db.session.scalar(paid) is not None
        db.session.remove()  # on SQLite even a read holds the write lock (BEGIN IMMEDIATE)
        if found:
            break
        time.sleep(0.1)
    event = db.session.scalar(paid)
    assert event is not None and event.processed_at is not None
    assert event.outcome == f"card payment {card_payment.id}: succeeded"
    assert [e.to_status for e in db.session.get(Booking, booking.id).events] == [
        "awaiting_payment",
        "requested",
    ]
