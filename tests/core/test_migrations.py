"""Upgrading an empty database to head gives exactly the models' schema."""

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text

from marketplace import create_app
from marketplace.catalog.availability import live_next_open
from marketplace.core.db import db, is_managed_by_models


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


def _app(url):
    """The app on `url`, without creating tables: the tests upgrade through the migrations."""
    return create_app(
        {
            "ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        }
    )


@pytest.mark.real_commits
def test_migrations_match_models(empty_database_url):
    app = _app(empty_database_url)
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_object": is_managed_by_models}
            )
            diff = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert diff == [], f"models and migrations disagree: {diff}"


@pytest.mark.real_commits
def test_the_next_open_slot_migration_works_out_every_existing_offer(empty_database_url):
    """Offers and slots made before the revision that added Offer.next_open_at get it on upgrade."""
    from datetime import UTC, datetime

    from bench.bench_search import load_data
    from marketplace.catalog.models import Offer

    app = _app(empty_database_url)
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


@pytest.mark.real_commits
def test_the_text_index_migration_indexes_existing_offers(empty_database_url):
    """Offers made before SQLite's text index (OFFER_TEXT) are found by free text after the upgrade,
    and so are changes written afterwards with plain SQL."""
    from datetime import UTC, datetime

    from bench.bench_search import load_data
    from marketplace.catalog.models import Offer, ProviderProfile
    from marketplace.catalog.search import OfferFilters, search_offers

    app = _app(empty_database_url)
    directory = app.extensions["migrate"].directory
    with app.app_context():
        upgrade(directory=directory, revision="d48bb45db69c")  # the revision before
        load_data(db.session, 300, datetime.now(UTC).replace(microsecond=0))
        upgrade(directory=directory)
        db.session.execute(text("UPDATE offer SET search_text = search_text || ' zebra' WHERE id % 7 = 0"))
        db.session.commit()

        def found(q):
            result = search_offers(db.session, OfferFilters(q=q, per_page=100, sort="id"), count_limit=None)
            return result.total, sorted(hit.offer.id for hit in result.hits)

        def containing(*words):  # what free text must find: published offers of verified providers
            return sorted(
                db.session.scalars(
                    select(Offer.id)
                    .join(ProviderProfile, ProviderProfile.id == Offer.provider_id)
                    .where(Offer.status == "published", ProviderProfile.verified_at.is_not(None))
                    .where(*(Offer.search_text.contains(w) for w in words))
                )
            )

        garden, zebra = found("sensory garden"), found("zebra")
        expected_garden, expected_zebra = containing("sensory", "garden"), containing("zebra")
        db.session.remove()
        db.engine.dispose()
    assert garden[0] > 5 and garden == (len(expected_garden), expected_garden[:100])
    assert zebra[0] > 5 and zebra == (len(expected_zebra), expected_zebra[:100])


@pytest.mark.real_commits
def test_the_walk_index_migration_indexes_existing_titles(empty_database_url):
    """After the upgrade that added the walk indexes and the titles' index (on SQLite a table
    indexing existing titles), free text alone finds an existing offer whose title holds every
    word, though it opens last: a small count limit (the walk) shows what ranking every match
    does."""
    from datetime import UTC, datetime

    from bench.bench_search import load_data
    from marketplace.catalog.availability import refresh
    from marketplace.catalog.models import Offer, ProviderProfile
    from marketplace.catalog.search import OfferFilters, search_offers

    app = _app(empty_database_url)
    directory = app.extensions["migrate"].directory
    with app.app_context():
        upgrade(directory=directory, revision="3c1f0e2a9b7d")  # the revision before
        now = datetime.now(UTC).replace(microsecond=0)
        load_data(db.session, 300, now)
        refresh(db.session, None, now)
        last = db.session.scalar(
            select(Offer.id)
            .join(ProviderProfile, ProviderProfile.id == Offer.provider_id)
            .where(Offer.status == "published", ProviderProfile.verified_at.is_not(None))
            .where(Offer.search_text.contains("sensory"), Offer.search_text.contains("garden"))
            .order_by(Offer.next_open_at.desc().nulls_last())
            .limit(1)
        )
        db.session.execute(
            text("UPDATE offer SET title = 'Sensory garden days' WHERE id = :id"), {"id": last}
        )
        db.session.commit()
        upgrade(directory=directory)

        def shown(count_limit):
            result = search_offers(
                db.session, OfferFilters(q="sensory garden", per_page=3), count_limit=count_limit
            )
            return [(hit.offer.id, hit.next_available) for hit in result.hits], result.total

        (walked, _), (everything, found) = shown(12), shown(None)
        db.session.remove()
        db.engine.dispose()
    assert found > 13 and everything[0][0] == last and walked == everything
