"""Search latency at 1,000 offers x scale, next to the same query as plain SQL in the same run.

`run(scale)` builds a throwaway database (bench.common.throwaway_database: a temporary SQLite
file, or `<db>_bench_search` beside DATABASE_URL's PostgreSQL database, dropped afterwards) with
the app's own tables (create_all, so the models' indexes), generates providers, areas, offers,
funding and slots with a few INSERT ... SELECT statements over a number series, ANALYZEs, and
then times five representative searches two ways, alternating call by call:

- app: `search_offers` as the API and the search page call it, then reading every attribute the
  JSON response shows (provider name and slug, areas, funding streams), so lazy loads are counted;
- plain SQL: the same four statements written by hand on a bare DB-API cursor — the count, the
  page (the same columns, joins, filters, order, limit and offset), the page's providers' areas
  and the page's offers' funding streams — fetched as tuples.

`ratio` = app / plain SQL. A last figure times the whole GET /api/v1/offers request (routing,
argument parsing, marshmallow, JSON) against the same baseline, so what the HTTP layer adds
is visible too.

    python -m bench search [--scale N]     # scale 100 = 100,000 offers
"""

import random
import re
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
    return f"((CAST({column} AS BIGINT) * 2654435761 + {salt * 40503}) % 4294967291 % {modulo})"


def load_data(session, offers: int, now: datetime) -> None:
    """Providers and their areas through executemany (5% of the rows); offers, funding and slots
    with INSERT ... SELECT over a recursive number series, deterministic for a given size."""
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
            "min_units_per_booking, emergency_reserve, instant_booking, status, search_text, created_at, updated_at) "
            f"SELECT i, 1 + {_hash('i', 5, providers)}, 'bench-service-' || i, "
            f"upper(substr({w0}, 1, 1)) || substr({w0}, 2) || ' break ' || i, "
            f"{w0} || ' ' || {w1} || ' ' || {w2}, {_pick('i', 6, CATEGORIES)}, 'community', {low}, "
            f"{low} + {_hash('i', 7, 26)} % (26 - {low}), {needs.format(w=w2)}, 'session', "
            f"1000 + 50 * {_hash('i', 8, 780)}, 'exempt', 48, 5000, 10000, 1, "
            f"CASE WHEN {_hash('i', 9, 3)} = 2 THEN 1 ELSE 0 END, {'false' if pg else '0'}, "
            "CASE WHEN i % 8 = 0 THEN 'draft' ELSE 'published' END, "
            f"{w0} || ' break ' || i || ' ' || {w0} || ' ' || {w1} || ' ' || {w2}, {stamp}, {stamp} FROM n"
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


# ---- the same searches in plain SQL ---------------------------------------------------------

OFFER_COLUMNS = (
    "o.id, o.title, o.description, o.category, o.setting, o.min_age, o.max_age, o.needs, o.staffing_ratio, "
    "o.unit, o.price, o.vat_treatment, o.free_cancellation_hours, o.late_cancellation_bp, o.no_show_bp, "
    "o.min_units_per_booking, o.max_units_per_booking, o.yearly_cap_per_child, o.max_open_bookings_per_family, "
    "o.booking_window_days, o.emergency_reserve, o.instant_booking, o.status, o.updated_at, "
    "o.provider_id, p.organisation_id, p.verified_at, g.slug, g.name"
)


def raw_statements(params: dict, dialect: str, per_page: int = 20) -> tuple[str, ...]:
    """The count, the page, the page's providers' areas and the page's offers' funding streams,
    written by hand: what the app needs for one page of results."""
    false = "0" if dialect == "sqlite" else "false"
    slot = (
        f"s.offer_id = o.id AND s.closed = {false} AND s.capacity - s.booked > o.emergency_reserve "
        "AND s.starts_at >= :start" + (" AND s.starts_at < :end" if "end" in params else "")
    )
    where = ["o.status = 'published'", "p.verified_at IS NOT NULL"]
    where += [f"o.search_text LIKE :word{n} ESCAPE '/'" for n in range(len(params.get("words", [])))]
    if "category" in params:
        where.append("o.category = :category")
    if "max_price" in params:
        where.append("o.price <= :max_price")
    if "area" in params:
        where.append(
            "EXISTS (SELECT 1 FROM provider_area a WHERE a.profile_id = o.provider_id "
            "AND a.kind = 'council' AND a.code = :area)"
        )
    if "end" in params:
        where.append(f"EXISTS (SELECT 1 FROM slot s WHERE {slot})")
    order = ["next_available NULLS LAST", "o.id"]
    if params.get("words"):
        title = " + ".join(
            f"CASE WHEN lower(o.title) LIKE :word{n} ESCAPE '/' THEN 1 ELSE 0 END"
            for n in range(len(params["words"]))
        )
        order.insert(0, f"({title}) DESC")
    matches = f"FROM offer o JOIN provider_profile p ON p.id = o.provider_id WHERE {' AND '.join(where)}"
    count = f"SELECT count(*) {matches}"
    page = (
        f"SELECT {OFFER_COLUMNS}, (SELECT min(s.starts_at) FROM slot s WHERE {slot}) AS next_available "
        f"{matches.replace(' WHERE ', ' JOIN organisation g ON g.id = p.organisation_id WHERE ', 1)} "
        f"ORDER BY {', '.join(order)} LIMIT {per_page} OFFSET 0"
    )
    areas = (
        "SELECT profile_id, id, kind, name, code FROM provider_area WHERE profile_id IN ({ids}) ORDER BY id"
    )
    funding = "SELECT offer_id, stream FROM offer_funding WHERE offer_id IN ({ids}) ORDER BY stream"
    return count, page, areas, funding


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


def plain_search(cursor, dialect: str, statements: tuple[str, ...], bound: dict) -> tuple[int, list[tuple]]:
    count, page, areas, funding = (
        re.sub(r":(\w+)", r"%(\1)s", s) if dialect != "sqlite" else s for s in statements
    )
    cursor.execute(count, bound)
    total = cursor.fetchone()[0]
    cursor.execute(page, bound)
    rows = cursor.fetchall()
    if rows:
        offer_ids = ", ".join(str(int(r[0])) for r in rows)
        provider_ids = ", ".join(sorted({str(int(r[24])) for r in rows}))
        cursor.execute(areas.format(ids=provider_ids))
        cursor.fetchall()
        cursor.execute(funding.format(ids=offer_ids))
        cursor.fetchall()
    return total, rows


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
    """Five representative searches (default sort): label -> (OfferFilters, plain-SQL params)."""
    from marketplace.catalog.models import AreaKind, Category
    from marketplace.catalog.search import OfferFilters, _window
    from marketplace.core.clock import london_midnight

    first = (now + timedelta(days=7)).date()
    last = first + timedelta(days=14)
    window = OfferFilters(available_from=first, available_to=last)
    start, end = _window(window, now)
    assert end == london_midnight(last + timedelta(days=1))
    return {
        "no filter": (OfferFilters(), dict(start=now)),
        "category+max_price": (
            OfferFilters(category=Category.THERAPY, max_price=15000),
            dict(category="therapy", max_price=15000, start=now),
        ),
        "available window": (window, dict(start=start, end=end)),
        "free text": (OfferFilters(q="sensory garden"), dict(words=["sensory", "garden"], start=now)),
        "area": (
            OfferFilters(area=(AreaKind.COUNCIL, "brightwater")),
            dict(area="brightwater", start=now),
        ),
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
    from marketplace.core.db import db

    offers = OFFERS_PER_SCALE * scale
    now = datetime.now(UTC).replace(microsecond=0)
    seconds = bench_seconds(3.0)
    with bench_app("bench_search") as app:
        with Timer() as generating:
            load_data(db.session, offers, now)
        progress(
            f"search: {offers:,} offers, {offers * SLOTS_PER_OFFER:,} slots in {generating.elapsed:.1f} s"
        )
        dialect = db.engine.dialect.name
        raw = db.engine.raw_connection()
        cursor = raw.cursor()
        figures = []
        try:
            with app.test_request_context():
                for label, (filters, params) in cases(now).items():
                    statements, bound = raw_statements(params, dialect), _bind(params, dialect)
                    ours, _ = app_search(db.session, filters, now)
                    total, rows = plain_search(cursor, dialect, statements, bound)
                    mine = [(h.offer.id, h.next_available) for h in ours.hits]
                    theirs = [(r[0], _aware(r[-1])) for r in rows]
                    assert mine == theirs, f"{label}: the app and the plain SQL disagree"
                    assert ours.total == total, f"{label}: totals disagree"
                    app_times, plain_times = _alternate(
                        lambda f=filters: app_search(db.session, f, now),
                        lambda s=statements, b=bound: plain_search(cursor, dialect, s, b),
                        seconds,
                    )
                    db.session.rollback()
                    figures += _figures(f"{label}:", offers, app_times, plain_times)
                    progress(f"search: {label} ({ours.total:,} found) timed {len(app_times)} times")
            client = app.test_client()
            filters, params = cases(now)["no filter"]
            statements, bound = raw_statements(params, dialect), _bind(params, dialect)
            api_times, plain_times = _alternate(
                lambda: _ok(client.get("/api/v1/offers")),
                lambda: plain_search(cursor, dialect, statements, bound),
                seconds,
            )
            figures += _figures("no filter: whole GET /api/v1/offers", offers, api_times, plain_times)
        finally:
            cursor.close()
            raw.close()
    return figures


def _ok(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response


def _aware(value):
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
