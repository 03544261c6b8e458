"""Search latency at 1,000 offers x scale, next to the same statements as plain SQL in the same run.

`run(scale)` builds a throwaway database (bench.common.throwaway_database: a temporary SQLite
file, or `<db>_bench_search` beside DATABASE_URL's PostgreSQL database, dropped afterwards) with
the app's own tables (create_all, so the models' indexes), generates providers, areas, offers,
funding and slots with a few INSERT ... SELECT statements over a number series, works out every
offer's stored next open slot (as the app keeps it), VACUUMs and ANALYZEs (the state autovacuum
keeps a live database in), and then times representative searches two ways, alternating call by
call:

- app: `search_offers` as the API and the search page call it (the count stops at 1,000), then
  reading every attribute the JSON response shows (provider name and slug, areas, funding
  streams), so lazy loads are counted;
- plain SQL: the very statements the app sent for that search (caught once with an engine event,
  with their parameters), replayed on a bare DB-API cursor and fetched as tuples: what the
  database and the driver take, without the ORM, the strategy code or the Python objects.

`ratio` = app / plain SQL. Before timing, each search's page is checked against ranking every
match in one statement (`count_limit=None`), so the quick strategies are proven right at this
size too. A last figure times the whole GET /api/v1/offers request (routing, argument parsing,
marshmallow, JSON) against the same baseline, so what the HTTP layer adds is visible too.

    python -m bench search [--scale N]     # scale 100 = 100,000 offers
"""

import random
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, text

from bench.common import Timer, bench_app, bench_seconds, figure, median, p95, progress, time_ratio

BENCH = "search"
SLOTS_PER_OFFER = 4
OFFERS_PER_SCALE = 1000
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
N_CTE = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :n) "


# ---- data -----------------------------------------------------------------------------------


def _pick(column: str, salt: int, choices: list[str]) -> str:
    """A CASE choosing one of `choices` by a cheap deterministic hash of `column` (same SQL on both DBs)."""
    whens = " ".join(f"WHEN {k} THEN '{c}'" for k, c in enumerate(choices))
    return f"(CASE {_hash(column, salt, len(choices))} {whens} END)"


def _hash(column: str, salt: int, modulo: int) -> str:
    # the multiplier depends on the salt too: with one multiplier, hashes of one id under two
    # salts differ by a constant, so e.g. an offer's words would decide its slots' days
    return (
        f"((CAST({column} AS BIGINT) * {2654435761 + 7919 * salt} + {salt * 40503}) % 4294967291 % {modulo})"
    )


def load_data(session, offers: int, now: datetime, *, next_open_columns: bool = True) -> None:
    """Providers and their areas through executemany (5% of the rows); offers, funding and slots
    with INSERT ... SELECT over a recursive number series, deterministic for a given size. The
    offers' stored next open slots are left for `availability.refresh` (next_open_columns=False:
    the schema from before they existed, for the migration test)."""
    from marketplace.accounts.models import Organisation, OrgKind
    from marketplace.catalog.models import AreaKind, ProviderArea, ProviderProfile, oruk_uuid

    rng = random.Random(20260406)
    providers = max(10, offers // 20)
    session.execute(insert(Organisation), [
        dict(id=i, slug=f"provider-{i}", name=f"Provider {i} {rng.choice(WORDS)} trust", kind=OrgKind.PROVIDER,
             created_at=now)
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
        district = f"BW{i % 20}"
        areas.append(dict(profile_id=i, kind=AreaKind.POSTCODE_DISTRICT, name=district, code=district))
    session.execute(insert(ProviderArea), areas)

    pg = session.get_bind().dialect.name == "postgresql"
    moment = now if pg else now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    stamp = ":now" if pg else "strftime('%Y-%m-%d %H:%M:%f000', :now)"
    needs = "CAST('[\"' || {w} || '\"]' AS JSON)" if pg else "'[\"' || {w} || '\"]'"
    w0, w1, w2 = (_pick("i", salt, WORDS) for salt in (1, 2, 3))
    low = _hash("i", 4, 19)
    session.execute(
        text(
            N_CTE
            + "INSERT INTO offer (id, provider_id, oruk_id, title, description, category, setting, min_age, "
            "max_age, needs, unit, price, vat_treatment, free_cancellation_hours, late_cancellation_bp, no_show_bp, "
            "min_units_per_booking, emergency_reserve, instant_booking, status, search_text, created_at, updated_at"
            + (", next_open_from) " if next_open_columns else ") ")
            + f"SELECT i, 1 + {_hash('i', 5, providers)}, 'bench-service-' || i, "
            f"upper(substr({w0}, 1, 1)) || substr({w0}, 2) || ' break ' || i, "
            f"{w0} || ' ' || {w1} || ' ' || {w2}, {_pick('i', 6, CATEGORIES)}, 'community', {low}, "
            f"{low} + {_hash('i', 7, 26)} % (26 - {low}), {needs.format(w=w2)}, 'session', "
            f"1000 + 50 * {_hash('i', 8, 780)}, 'exempt', 48, 5000, 10000, 1, "
            f"CASE WHEN {_hash('i', 9, 3)} = 2 THEN 1 ELSE 0 END, {'false' if pg else '0'}, "
            "CASE WHEN i % 8 = 0 THEN 'draft' ELSE 'published' END, "
            f"{w0} || ' break ' || i || ' ' || {w0} || ' ' || {w1} || ' ' || {w2}, {stamp}, {stamp}"
            + (f", {stamp} FROM n" if next_open_columns else " FROM n")
        ),
        {"n": offers, "now": moment},
    )
    # one to three streams per offer: its "own" stream always, each other one time in three
    for k, stream in enumerate(STREAMS):
        session.execute(
            text(
                "INSERT INTO offer_funding (offer_id, stream) SELECT id, :stream FROM offer "
                f"WHERE id % 4 = {k} OR {_hash('id', 10 + k, 3)} = 0"
            ),
            {"stream": stream},
        )
    for n in range(SLOTS_PER_OFFER):
        # starts: 1 to 90 days ahead plus n hours; capacity 1-6, some full, one in twenty closed
        days, capacity = _hash("id", 20 + n, 90), f"(1 + {_hash('id', 30 + n, 6)})"
        if pg:
            starts = (
                f"CAST(:now AS TIMESTAMPTZ) + make_interval(days => CAST(1 + {days} AS INT), hours => {n})"
            )
            ends, closed = f"{starts} + interval '3 hours'", f"{_hash('id', 40 + n, 20)} = 0"
        else:
            shift = f"'+' || (1 + {days}) || ' days', '+{n} hours'"
            starts = f"strftime('%Y-%m-%d %H:%M:%f000', :now, {shift})"
            ends = f"strftime('%Y-%m-%d %H:%M:%f000', :now, {shift}, '+3 hours')"
            closed = f"CASE WHEN {_hash('id', 40 + n, 20)} = 0 THEN 1 ELSE 0 END"
        session.execute(
            text(
                "INSERT INTO slot (offer_id, starts_at, ends_at, capacity, booked, closed, created_at) "
                f"SELECT id, {starts}, {ends}, {capacity}, {_hash('id', 50 + n, 7)} % ({capacity} + 1), "
                f"{closed}, {stamp} FROM offer"
            ),
            {"now": moment},
        )
    session.commit()
    session.execute(text("ANALYZE"))
    session.commit()


# ---- the same statements in plain SQL ------------------------------------------------------


def captured(engine, fn) -> list[tuple[str, object]]:
    """The statements (and DB-API parameters) `fn` sends, transaction control left out."""
    from sqlalchemy import event

    statements = []

    def catch(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT")):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", catch)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", catch)
    return statements


def replay(cursor, statements) -> list:
    """Each statement on a bare DB-API cursor, every row fetched; the last result."""
    rows = []
    for statement, parameters in statements:
        cursor.execute(statement, parameters)
        rows = cursor.fetchall()
    return rows


# ---- the app's way --------------------------------------------------------------------------


def app_search(session, filters, now):
    """search_offers, then every attribute the JSON response reads (so lazy loads are counted)."""
    from marketplace.catalog.search import search_offers

    result = search_offers(session, filters, now=now)
    shown = [
        (
            hit.offer.provider.organisation.slug,
            hit.offer.provider.name,
            hit.offer.provider.is_verified,
            [(a.kind, a.name, a.code) for a in hit.offer.provider.areas],
            hit.offer.funding_streams,
        )
        for hit in result.hits
    ]
    return result, shown


def cases(now: datetime) -> dict:
    """Representative searches: label -> OfferFilters."""
    from marketplace.catalog.models import AreaKind, Category
    from marketplace.catalog.search import OfferFilters

    first = (now + timedelta(days=7)).date()
    return {
        "no filter": OfferFilters(),
        "category+max_price": OfferFilters(category=Category.THERAPY, max_price=15000),
        "available window": OfferFilters(available_from=first, available_to=first + timedelta(days=14)),
        "free text": OfferFilters(q="sensory garden"),
        "one common word": OfferFilters(q="sensory"),  # a quarter of the offers: ranked band by band
        "area": OfferFilters(area=(AreaKind.COUNCIL, "brightwater")),
        "area+age, soonest": OfferFilters(area=(AreaKind.COUNCIL, "eastshire"), age=12, sort="soonest"),
        "lowest price": OfferFilters(sort="price"),
        "no filter, page 10": OfferFilters(page=10),
    }


def _alternate(first, second, seconds: float, at_least: int = 20) -> tuple[list[float], list[float]]:
    """Call first and second in turn for about `seconds` (at least `at_least` times each), so drift
    on a busy machine falls on both alike; each call's duration in seconds."""
    first(), second()  # warm the caches, the statement cache and the compiled-SQL cache
    times: tuple[list[float], list[float]] = ([], [])
    deadline = time.perf_counter() + seconds
    while len(times[0]) < at_least or time.perf_counter() < deadline:
        for fn, out in ((first, times[0]), (second, times[1])):
            with Timer() as t:
                fn()
            out.append(t.elapsed)
    return times


def _figures(label: str, offers: int, app: list[float], plain: list[float]) -> list[dict]:
    return [
        figure(BENCH, f"{label} {name} ({offers:,} offers)", stat(app) * 1000, "ms",
               baseline=stat(plain) * 1000, ratio=time_ratio(stat(app), stat(plain)))
        for name, stat in (("median", median), ("p95", p95))
    ]  # fmt: skip


def run(scale: int = 1) -> list[dict]:
    from marketplace.catalog.availability import refresh
    from marketplace.catalog.search import search_offers
    from marketplace.core.db import db

    offers = OFFERS_PER_SCALE * scale
    now = datetime.now(UTC).replace(microsecond=0)
    seconds = bench_seconds(3.0)
    with bench_app("bench_search") as app:
        with Timer() as generating:
            load_data(db.session, offers, now)
            refresh(db.session, None, now)
            db.session.commit()
            _vacuum(db.engine)
        progress(
            f"search: {offers:,} offers, {offers * SLOTS_PER_OFFER:,} slots in {generating.elapsed:.1f} s"
        )
        raw = db.engine.raw_connection()
        cursor = raw.cursor()
        figures = []
        try:
            with app.test_request_context():
                for label, filters in cases(now).items():
                    ours, _ = app_search(db.session, filters, now)
                    exact = search_offers(db.session, filters, now=now, count_limit=None)
                    mine = [(h.offer.id, h.next_available) for h in ours.hits]
                    assert mine == [(h.offer.id, h.next_available) for h in exact.hits], (
                        f"{label}: the page differs from ranking every match"
                    )
                    assert ours.total == min(exact.total, 1000), f"{label}: the count is wrong"
                    db.session.rollback()
                    statements = captured(db.engine, lambda f=filters: app_search(db.session, f, now))
                    db.session.rollback()
                    app_times, plain_times = _alternate(
                        lambda f=filters: app_search(db.session, f, now),
                        lambda s=statements: replay(cursor, s),
                        seconds,
                    )
                    db.session.rollback()
                    figures += _figures(f"{label}:", offers, app_times, plain_times)
                    progress(
                        f"search: {label} ({exact.total:,} found, {len(statements)} statements) "
                        f"timed {len(app_times)} times"
                    )
            client = app.test_client()
            with app.test_request_context():
                statements = captured(db.engine, lambda: app_search(db.session, cases(now)["no filter"], now))
                db.session.rollback()
            api_times, plain_times = _alternate(
                lambda: _ok(client.get("/api/v1/offers")),
                lambda: replay(cursor, statements),
                seconds,
            )
            figures += _figures("no filter: whole GET /api/v1/offers", offers, api_times, plain_times)
        finally:
            cursor.close()
            raw.close()
    return figures


def _vacuum(engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))


def _ok(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response
