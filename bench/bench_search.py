"""Search latency at 1,000 offers x scale, next to the same query as plain SQL (the baseline).

`run(scale)` builds a throwaway database (a temporary SQLite file, or `<db>_bench_search` beside
the PostgreSQL database of DATABASE_URL, dropped afterwards), bulk-loads providers, areas,
offers, funding streams and slots set-based, then times two searches through the app's
`search_offers` and the same queries through a bare DB-API cursor.

    python -m bench.bench_search [--scale N]
"""

import os
import random
import re
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, text

BENCH = "search"
SLOTS_PER_OFFER = 4
COUNCILS = [
    "brightwater",
    "eastshire",
    "northvale",
    "westmoor",
    "southport",
    "kingsbridge",
    "ashford",
    "lowdale",
]
WORDS = [
    "sensory",
    "hydrotherapy",
    "autism",
    "overnight",
    "garden",
    "music",
    "climbing",
    "nursing",
    "play",
    "swim",
]
CATEGORIES = ["overnight_short_break", "day_session", "evening_weekend_session", "in_home_care", "befriending",
              "outreach", "activity_group_break", "sibling_support", "family_support", "therapy", "equipment", "other"]  # fmt: skip
STREAMS = ["social_care", "education", "health", "charity"]


# ---- a throwaway database -------------------------------------------------------------------


class ThrowawayDatabase:
    """A temporary SQLite file, or a PostgreSQL database created beside DATABASE_URL's and dropped after."""

    def __init__(self):
        url = os.environ.get("DATABASE_URL", "")
        if url.startswith("postgres://") or url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        self.postgres = url.startswith("postgresql")
        if self.postgres:
            base, name = url.rsplit("/", 1)
            self.name = f"{name.split('?')[0]}_bench_search"
            self.admin_url = url
            self.url = f"{base}/{self.name}"
        else:
            self.tmp = tempfile.TemporaryDirectory(prefix="bench-search-")
            self.url = "sqlite:///" + str(Path(self.tmp.name) / "bench.db")

    def __enter__(self) -> str:
        if self.postgres:
            self._admin(
                f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)', f'CREATE DATABASE "{self.name}"'
            )
        return self.url

    def __exit__(self, *exc):
        if self.postgres:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        else:
            self.tmp.cleanup()

    def _admin(self, *statements):
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
        engine.dispose()


# ---- data -----------------------------------------------------------------------------------


def load_data(session, offers: int, rng: random.Random, now: datetime) -> None:
    """Set-based inserts: one executemany per table and chunk."""
    from marketplace.accounts.models import Organisation, OrgKind
    from marketplace.catalog.models import (
        AreaKind,
        Category,
        FundingStream,
        Offer,
        OfferFunding,
        OfferStatus,
        ProviderArea,
        ProviderProfile,
        Setting,
        Slot,
        Unit,
        VatTreatment,
        oruk_uuid,
    )  # fmt: skip

    providers = max(10, offers // 20)
    session.execute(insert(Organisation), [
        dict(id=i, slug=f"provider-{i}", name=f"Provider {i} {rng.choice(WORDS)} trust", kind=OrgKind.PROVIDER, created_at=now)
        for i in range(1, providers + 1)
    ])  # fmt: skip
    session.execute(insert(ProviderProfile), [
        dict(id=i, organisation_id=i, oruk_id=oruk_uuid("organization", i), description="",
             verified_at=now if i % 10 else None, updated_at=now)
        for i in range(1, providers + 1)
    ])  # fmt: skip
    areas = []
    for i in range(1, providers + 1):
        for council in rng.sample(COUNCILS, 2):
            areas.append(dict(profile_id=i, kind=AreaKind.COUNCIL, name=council.title(), code=council))
        areas.append(
            dict(profile_id=i, kind=AreaKind.POSTCODE_DISTRICT, name=f"BW{i % 20}", code=f"BW{i % 20}")
        )
    session.execute(insert(ProviderArea), areas)
    categories, streams = list(Category), list(FundingStream)
    for start in range(1, offers + 1, 10_000):
        ids = range(start, min(offers, start + 9_999) + 1)
        rows, funding, slots = [], [], []
        for i in ids:
            low = rng.randint(0, 18)
            words = rng.sample(WORDS, 3)
            rows.append(dict(
                id=i, provider_id=rng.randint(1, providers), oruk_id=oruk_uuid("service", i),
                title=f"{words[0].title()} break {i}", description=" ".join(words), category=rng.choice(categories),
                setting=Setting.COMMUNITY, min_age=low, max_age=rng.randint(low, 25), needs=[words[2]],
                unit=Unit.SESSION, price=rng.randrange(1000, 40000, 50), vat_treatment=VatTreatment.EXEMPT,
                free_cancellation_hours=48, late_cancellation_bp=5000, no_show_bp=10000, min_units_per_booking=1,
                emergency_reserve=rng.choice([0, 0, 1]), instant_booking=False,
                status=OfferStatus.PUBLISHED if i % 8 else OfferStatus.DRAFT,
                search_text=f"{words[0]} break {i} {' '.join(words)}", created_at=now, updated_at=now,
            ))  # fmt: skip
            funding += [dict(offer_id=i, stream=s) for s in rng.sample(streams, rng.randint(1, 3))]
            for n in range(SLOTS_PER_OFFER):
                starts = now + timedelta(days=rng.randint(1, 90), hours=n)
                capacity = rng.randint(1, 6)
                slots.append(dict(offer_id=i, starts_at=starts, ends_at=starts + timedelta(hours=3), capacity=capacity,
                                  booked=rng.randint(0, capacity), closed=rng.random() < 0.05, created_at=now))  # fmt: skip
        session.execute(insert(Offer), rows)
        session.execute(insert(OfferFunding), funding)
        session.execute(insert(Slot), slots)
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE"))
        session.commit()


# ---- the two ways of asking -----------------------------------------------------------------


def raw_queries(params: dict, dialect: str) -> tuple[str, str]:
    """The count and the page of a search, written by hand."""
    false = "0" if dialect == "sqlite" else "false"
    slot = (
        f"s.offer_id = o.id AND s.closed = {false} AND s.capacity - s.booked > o.emergency_reserve "
        "AND s.starts_at >= :start" + (" AND s.starts_at < :end" if "end" in params else "")
    )
    where = ["o.status = 'published'", "p.verified_at IS NOT NULL"]
    if "category" in params:
        where.append("o.category = :category")
    if "age" in params:
        where.append("o.min_age <= :age AND o.max_age >= :age")
    if "max_price" in params:
        where.append("o.price <= :max_price")
    if "stream" in params:
        where.append("EXISTS (SELECT 1 FROM offer_funding f WHERE f.offer_id = o.id AND f.stream = :stream)")
    if "area" in params:
        where.append(
            "EXISTS (SELECT 1 FROM provider_area a WHERE a.profile_id = o.provider_id "
            "AND a.kind = 'council' AND a.code = :area)"
        )
    where += [f"o.search_text LIKE :word{n}" for n in range(len(params.get("words", [])))]
    if "end" in params:
        where.append(f"EXISTS (SELECT 1 FROM slot s WHERE {slot})")
    base = "FROM offer o JOIN provider_profile p ON p.id = o.provider_id WHERE " + " AND ".join(where)
    count = f"SELECT count(*) {base}"
    page = (
        f"SELECT o.id, o.title, o.price, (SELECT min(s.starts_at) FROM slot s WHERE {slot}) AS next_available "
        f"{base} ORDER BY next_available NULLS LAST, o.price, o.id LIMIT 20 OFFSET 0"
    )
    return count, page


def _paramstyle(sql: str, dialect: str) -> str:
    if dialect == "sqlite":
        return sql
    return re.sub(r":(\w+)", r"%(\1)s", sql)


def _bind(params: dict, dialect: str) -> dict:
    out = {}
    for key, value in params.items():
        if key == "words":
            out.update({f"word{n}": f"%{w}%" for n, w in enumerate(value)})
        elif isinstance(value, datetime) and dialect == "sqlite":
            out[key] = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        else:
            out[key] = value
    return out


def timed(fn, repeat: int) -> list[float]:
    fn()  # warm the caches and the statement cache
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def run(scale: int = 1) -> list[dict]:
    from marketplace import create_app
    from marketplace.catalog.models import AreaKind, Category, FundingStream
    from marketplace.catalog.search import OfferFilters, search_offers
    from marketplace.core.clock import london_midnight
    from marketplace.core.db import db

    offers = 1000 * scale
    repeat = max(10, 60 // scale)
    rng = random.Random(20260406)
    now = datetime.now(UTC).replace(microsecond=0)
    with ThrowawayDatabase() as url:
        app = create_app(
            {
                "ENV": "testing",
                "SQLALCHEMY_DATABASE_URI": url,
                "SECRET_KEY": secrets.token_urlsafe(48),
                "TESTING": True,
            }
        )
        with app.app_context(), app.test_request_context():
            db.create_all()
            load_data(db.session, offers, rng, now)
            today = date.today()
            start, end = now, london_midnight(today + timedelta(days=31))
            cases = {
                "filtered": (
                    OfferFilters(category=Category.THERAPY, age=9, area=(AreaKind.COUNCIL, "brightwater"),
                                 max_price=30000, funding_stream=FundingStream.SOCIAL_CARE,
                                 available_from=today, available_to=today + timedelta(days=30), sort="soonest"),
                    dict(category="therapy", age=9, area="brightwater", max_price=30000, stream="social_care",
                         start=start, end=end),
                ),
                "text": (
                    OfferFilters(q="sensory garden", age=12, sort="soonest"),
                    dict(words=["sensory", "garden"], age=12, start=start),
                ),
            }  # fmt: skip
            dialect = db.engine.dialect.name
            figures = []
            for label, (filters, params) in cases.items():
                app_times = timed(lambda f=filters: search_offers(db.session, f, now=now), repeat)
                count_sql, page_sql = (_paramstyle(q, dialect) for q in raw_queries(params, dialect))
                bound = _bind(params, dialect)
                raw = db.engine.raw_connection()
                try:
                    cursor = raw.cursor()

                    def plain(cursor=cursor, count_sql=count_sql, page_sql=page_sql, bound=bound):
                        cursor.execute(count_sql, bound)
                        cursor.fetchall()
                        cursor.execute(page_sql, bound)
                        return cursor.fetchall()

                    raw_times = timed(plain, repeat)
                    app_rows = len(search_offers(db.session, filters, now=now).hits)
                    assert app_rows == len(plain()), f"{label}: app and SQL disagree"
                finally:
                    raw.close()
                for figure, app_ms, raw_ms in (
                    (
                        f"{label} search median ({offers:,} offers)",
                        statistics.median(app_times),
                        statistics.median(raw_times),
                    ),
                    (f"{label} search p95 ({offers:,} offers)", p95(app_times), p95(raw_times)),
                ):
                    figures.append(
                        {"bench": BENCH, "figure": figure, "value": round(app_ms, 2), "unit": "ms",
                         "baseline": round(raw_ms, 2), "ratio": round(app_ms / raw_ms, 2) if raw_ms else None}
                    )  # fmt: skip
            db.session.remove()
            db.engine.dispose()
    return figures


if __name__ == "__main__":
    scale = int(sys.argv[sys.argv.index("--scale") + 1]) if "--scale" in sys.argv else 1
    for row in run(scale):
        print(
            f"{row['figure']:<42} {row['value']:>9.2f} ms   SQL {row['baseline']:>8.2f} ms   x{row['ratio']}"
        )
