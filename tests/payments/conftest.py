"""Card-payment fixtures: localstripe (the PyPI Stripe-compatible server) on a free 127.0.0.1
port for the whole run, emptied between tests; the app configured to use it; example B's world
(tests/bookings/conftest.py); signed webhook events built by hand for what localstripe cannot play.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import stripe

from marketplace.bookings import operations as bookings
from marketplace.bookings.models import BookingStatus
from marketplace.core.clock import today
from marketplace.payments import flow, gateway, operations
from marketplace.payments.models import CardStatus
from tests.bookings.conftest import BookingWorld
from tests.invoicing.issued import issue

SECRET_KEY = "sk_test_localstripe"
PUBLISHABLE_KEY = "pk_test_localstripe"
WEBHOOK_SECRET = "whsec_test_secret_for_our_webhook"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _localstripe_binary() -> str | None:
    beside = Path(sys.executable).parent / "localstripe"
    return str(beside) if beside.exists() else shutil.which("localstripe")


def _request(method: str, url: str, timeout: float = 2.0) -> int:
    with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=timeout) as response:
        return response.status


@pytest.fixture(scope="session")
def localstripe():
    """localstripe --from-scratch on a free port; its base URL. Outside CI a missing binary skips
    the tests that need it; in CI (CI=true) it fails them."""
    binary = _localstripe_binary()
    if binary is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("localstripe is not installed, and CI must run the card-payment tests")
        pytest.skip("localstripe is not installed (pip install localstripe); card-payment tests skipped")
    port = _free_port()
    process = subprocess.Popen(
        [binary, "--from-scratch", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            _request("GET", f"{base}/js.stripe.com/v3/")
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"localstripe did not start on port {port}")
            time.sleep(0.1)
    yield base
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def stripe_on(app, localstripe, monkeypatch):
    """The app talking to localstripe, emptied first; card payment switched on."""
    _request("DELETE", f"{localstripe}/_config/data")
    for key, value in {
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": localstripe,
        "STRIPE_JS_URL": f"{localstripe}/js.stripe.com/v3/",
    }.items():
        monkeypatch.setitem(app.config, key, value)
    return localstripe


@pytest.fixture
def stripe_off(app, monkeypatch):
    for key in ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE"):
        monkeypatch.setitem(app.config, key, "")


@pytest.fixture
def world(session, make):
    return BookingWorld(session, make)


@pytest.fixture
def family_invoice(session, world):
    """Hilltop's £120.00 invoice to Ben's family, issued today (nothing paid yet)."""
    return issue(session, world.provider_org, family=world.family, amount=12_000, on=today())


def sign(payload: str, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    """A Stripe-Signature header for `payload`, as Stripe makes it."""
    at = int(time.time()) if at is None else at
    signature = stripe.WebhookSignature._compute_signature(f"{at}.{payload}", secret)
    return f"t={at},v1={signature}"


def event_body(event_id: str, kind: str, intent: dict) -> str:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": kind,
            "created": int(time.time()),
            "data": {"object": intent},
        }
    )


def post_event(client, body: str, signature: str | None = None):
    return client.post(
        "/payments/stripe/webhook",
        data=body,
        headers={"Stripe-Signature": signature if signature is not None else sign(body)},
        content_type="application/json",
    )


@pytest.fixture
def paid(session, world, stripe_on):
    """A confirmed booking whose £55.00 top-up was paid by card."""
    budget = world.make_budget(world.family, social_care=16_000, health=8_000)
    slot = world.make_slot(days_ahead=10)
    booking = bookings.book(
        session, actor=world.parent, slot=slot, budget=budget, units=1, top_up_by_card=True
    )
    card_payment = operations.start_top_up(session, booking, world.parent)
    session.commit()
    flow.open_intent(session, card_payment)
    api = gateway.client().v1.payment_intents
    api.update(card_payment.intent_id, params={"payment_method": "pm_card_visa"})
    flow.record_intent(session, card_payment, api.confirm(card_payment.intent_id))
    bookings.confirm(session, booking, world.provider)
    session.commit()
    assert card_payment.status is CardStatus.SUCCEEDED and booking.status is BookingStatus.CONFIRMED
    return booking, card_payment, budget
