"""Upgrading an empty database to head gives exactly the models' schema."""

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text

from marketplace import create_app
from marketplace.catalog.availability import live_next_open
from marketplace.core.db import db


@pytest.fixture
def empty_database_url(tmp_path):
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield "sqlite:///" + str(tmp_path / "migrations.db")
        return
    base, name = url.rsplit("/", 1)
    check = f"{name}_migrations_check"  # beside the test database, so parallel runs do not collide
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{check}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{check}"'))
    yield f"{base}/{check}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{check}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.real_commits
def test_migrations_match_models(empty_database_url):
    app = create_app(
        {
            "ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": empty_database_url,
            "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        }
    )
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert diff == [], f"models and migrations disagree: {diff}"


@pytest.mark.real_commits
def test_the_next_open_slot_migration_works_out_every_existing_offer(empty_database_url):
    """Offers and slots made before the revision that added Offer.next_open_at get it on upgrade."""
    from datetime import UTC, datetime

    from bench.bench_search import load_data
    from marketplace.catalog.models import Offer

    app = create_app(
        {
            "ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": empty_database_url,
            "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        }
    )
    directory = app.extensions["migrate"].directory
    with app.app_context():
        upgrade(directory=directory, revision="9ae18533b061")  # the revision before
        load_data(db.session, 300, datetime.now(UTC).replace(microsecond=0), next_open_columns=False)
        upgrade(directory=directory)
        now = datetime.now(UTC)
        stored = dict(db.session.execute(select(Offer.id, Offer.next_open_at)).all())
        live = dict(db.session.execute(select(Offer.id, live_next_open(now))).all())
        db.session.remove()
        db.engine.dispose()
    assert len(stored) == 300 and sum(v is not None for v in stored.values()) > 250
    assert stored == live
