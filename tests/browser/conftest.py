"""Browser tests: Playwright drives Debian's chromium against the app served from a thread.

The server (`live_server`) and the one browser (`browser`) are session fixtures in tests/conftest.py,
so every folder's browser tests share them (two Playwright instances cannot run at once). The
server shares the test database; tests that use it are marked `real_commits` (their data is
committed so the server's connections see it, and every table is emptied afterwards).
"""

from types import SimpleNamespace

import pytest


@pytest.fixture(params=[True, False], ids=["js", "no-js"])
def javascript(request):
    """Run a test with JavaScript on and again with it off: every page must work without it."""
    return request.param


@pytest.fixture
def page(browser, live_server, javascript):
    context = browser.new_context(base_url=live_server, java_script_enabled=javascript)
    context.set_default_timeout(5000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def committed_user(make, session):
    """A user committed to the database, so the served app sees it. Returns a plain snapshot and
    ends the test's transaction: on SQLite an open transaction holds the write lock (BEGIN
    IMMEDIATE) and the server would wait for it."""

    def _user(role="provider"):
        user = make.user(role)
        session.commit()
        snapshot = SimpleNamespace(
            email=user.email,
            name=user.name,
            organisation_name=user.organisation.name if user.organisation else None,
            family_slug=user.family.slug if user.family else None,
            family_name=user.family.name if user.family else None,
        )
        session.rollback()
        return snapshot

    return _user


@pytest.fixture
def pages(browser, live_server, javascript):
    """Open another browser (its own cookies: another person) with the same JavaScript setting."""
    contexts = []

    def _page():
        context = browser.new_context(base_url=live_server, java_script_enabled=javascript)
        context.set_default_timeout(5000)
        contexts.append(context)
        return context.new_page()

    yield _page
    for context in contexts:
        context.close()


@pytest.fixture
def demo(session):
    """The demo data (DESIGN.md's worked examples: Ben's managed budget and bookings at Hilltop,
    Amy's ISF, the catalogue), committed so the served app sees it. Returns plain ids and e-mails
    and ends the test's transaction (see `committed_user`)."""
    from marketplace.core.demo import load_demo

    ctx = load_demo(session)
    session.commit()
    snapshot = SimpleNamespace(
        bens_budget_id=ctx["bens_budget"].id,
        amys_isf_id=ctx["amys_isf"].id,
        amys_budget_id=ctx["amys_isf"].budget_id,
        hilltop_overnight_id=ctx["hilltop_overnight"].id,
        tom="tom@bens-family.example",
        sarah="sarah@amys-family.example",
        hilltop="finance@hilltop.example",
        council="sen-team@brightwater.example",
        admin="admin@platform.example",
    )
    session.rollback()
    return snapshot


def sign_in(page, email, password=None):
    """Sign in through the sign-in page (the demo password unless another is given)."""
    from marketplace.core.demo import DEMO_PASSWORD

    page.goto("/sign-in")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password or DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
