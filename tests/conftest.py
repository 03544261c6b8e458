"""Test fixtures: one app per run, a clean database per test through a rolled-back transaction.

DATABASE_URL chooses the database (SQLite in a temporary file by default). Tests marked
`postgres` run only on PostgreSQL; tests marked `real_commits` commit for real (several
connections, threads) and every table is emptied after them.
"""

import os
import shutil
import threading

import pytest
from flask.testing import FlaskClient
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import delete
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import scoped_session, sessionmaker
from werkzeug.serving import make_server

from marketplace import create_app, ledger
from marketplace.accounts import operations as accounts_ops
from marketplace.core.db import db
from marketplace.invoicing import books as invoicing_books
from tests.factories import PASSWORD, Factory

# Strong hashing is for production; tests create hundreds of users.
accounts_ops.PASSWORD_METHOD = "pbkdf2:sha256:1000"


def pytest_configure(config):
    config.addinivalue_line("markers", "real_commits: commits for real; tables are emptied afterwards")
    config.addinivalue_line(
        "markers",
        "damages_ledger: breaks the books on purpose (to see reconcile() notice); not reconciled after",
    )


def pytest_collection_modifyitems(config, items):
    on_postgres = os.environ.get("DATABASE_URL", "").startswith("postgres")
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgresql+psycopg://...")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    url = os.environ.get("DATABASE_URL") or "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")
    app = create_app(
        {
            "ENV": "testing",
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
            "SESSION_COOKIE_SECURE": False,
            # concurrency tests run up to ~32 threads, each with its own connection
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "pool_size": 32, "max_overflow": 8},
        }
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def empty_every_table():
    """Delete every row (after tests that commit for real)."""
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(delete(table))


def _books_balance(request):
    """After every test, whatever it did, the ledger reconciles (DESIGN.md's money rules): a test
    that leaves the books wrong fails in its teardown, naming the problems."""
    if request.node.get_closest_marker("damages_ledger"):
        return
    try:
        with db.session.no_autoflush:  # what reached the database, not edits a test was refused
            problems = ledger.reconcile(db.session) + invoicing_books.reconcile_receivables(db.session)
    except SQLAlchemyError:  # the test broke its own transaction (and failed for that already)
        return
    assert problems == [], f"reconcile() after {request.node.name}: {problems}"


@pytest.fixture(autouse=True)
def _database(request, app):
    """Each test runs inside a transaction that is rolled back; code under test may commit."""
    with app.app_context():
        if request.node.get_closest_marker("real_commits"):
            yield db.session
            _books_balance(request)
            db.session.remove()
            empty_every_table()
            return
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = scoped_session(
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint"), scopefunc=_app_ctx_id
        )
        try:
            yield db.session
            _books_balance(request)
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def session(_database):
    return _database


class CommittingClient(FlaskClient):
    """Commits what the test set up before each request, as a real request would find it; the
    test's outer transaction still rolls everything back at the end."""

    def open(self, *args, **kwargs):
        db.session.commit()
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = CommittingClient
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make(session):
    """The factories (tests/factories.py): `make.org(kind)`, `make.family()`, `make.user(role)`,
    `make.provider()`, `make.offer()`, `make.slot(offer)`, `make.bens_budget(...)` …"""
    return Factory(session)


@pytest.fixture
def sign_in(client):
    def _sign_in(user, password=PASSWORD, follow=False):
        from flask import session as flask_session  # noqa: F401

        client.get("/sign-in")
        with client.session_transaction() as sess:
            token = sess.get("_csrf")
        return client.post(
            "/sign-in",
            data={"email": user.email, "password": password, "csrf_token": token},
            follow_redirects=follow,
        )

    return _sign_in


@pytest.fixture
def csrf(client):
    """The CSRF token of the client's session (after it has fetched any page)."""

    def _token():
        client.get("/sign-in")
        with client.session_transaction() as sess:
            return sess["_csrf"]

    return _token


@pytest.fixture
def bearer(session):
    """Authorization headers carrying a fresh API token for `user`."""

    def _headers(user):
        secret = accounts_ops.create_api_token(session, user)
        # committed (a savepoint, undone at the end), so a request that fails and rolls back
        # does not take the token with it: an API call with a bearer header is judged by it alone
        session.commit()
        return {"Authorization": f"Bearer {secret}"}

    return _headers


# ---- browser tests (tests/browser, tests/payments): one server and one browser for the whole run

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def live_server(app):
    """The app over real HTTP on 127.0.0.1 (a free port), for the whole run; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    executable = shutil.which("chromium")
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed, and CI must run the browser tests")
        pytest.skip("chromium is not installed (apt-get install chromium); browser tests skipped")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
