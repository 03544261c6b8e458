"""Upgrading an empty database to head gives exactly the models' schema."""

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from marketplace import create_app
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
