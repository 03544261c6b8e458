"""A broad search (more matches than the count limit) ranks its page without working out every
match's next open slot; whatever the sort, filters and page, it must show exactly what ranking
every match would. Here the limit is set low so a few dozen offers make every search broad."""

import random
from datetime import timedelta

import pytest

from marketplace.catalog.models import Category
from marketplace.catalog.search import OfferFilters, search_offers
from marketplace.core.clock import today, utcnow
from marketplace.core.db import db
from marketplace.core.errors import ValidationFailed
from tests.conftest import empty_every_table
from tests.factories import Factory

WORDS = ["sensory", "garden", "music", "swim"]


@pytest.fixture(scope="module")
def many(app):
    """36 offers from three providers: repeated prices (ties), titles with none, one or two of the
    words, slots that are open, full, closed, held back for emergencies or past, some with none.

    Built once for the module and committed for real (the searches only read it; each test still
    runs in its own rolled-back transaction); every table is emptied when the module is done. The
    tests that build their own offers come first in the module, before this exists."""
    with app.app_context():
        make = Factory(db.session)
        make.n = 1000  # names apart from anything a test makes in its own transaction
        rng = random.Random(7)
        providers = [make.provider(f"Provider {n}", councils=["Brightwater"]) for n in range(3)]
        hour = utcnow().replace(minute=0, second=0, microsecond=0)
        for n in range(36):
            title_words = rng.sample(WORDS, rng.choice([0, 1, 1, 2]))
            offer = make.offer(
                providers[n % 3],
                title=" ".join([*title_words, "break", str(n)]).capitalize(),
                description=" ".join(rng.sample(WORDS, 3)),
                category=rng.choice(["day_session", "overnight_short_break"]),
                price=rng.choice([2000, 3500, 3500, 5000]),
                emergency_reserve=rng.choice([0, 0, 1]),
            )
            for day in rng.sample(range(-2, 30), rng.choice([0, 1, 2, 4])):
                make.slot(
                    offer,
                    # several offers share a start time, so ties in the slot order are exercised
                    starts_at=hour + timedelta(days=day, hours=rng.choice([0, 3])),
                    hours=2,
                    capacity=2,
                    booked=rng.choice([0, 0, 1, 2]),
                    closed=rng.random() < 0.1,
                )
        db.session.commit()
        db.session.remove()
    yield
    with app.app_context():
        empty_every_table()


def page(session, filters, **kwargs):
    result = search_offers(session, filters, **kwargs)
    return [(hit.offer.id, hit.next_available) for hit in result.hits], result


# ---- tests that build their own offers (before the module's catalogue exists) ---------------


@pytest.mark.parametrize("other_filter", [{}, {"max_price": 10_000_000}], ids=["walk", "top band"])
def test_free_text_read_off_the_soonest_offers_still_asks_about_offers_whose_slot_has_started(
    session, catalog, make_offer, make_slot, monkeypatch, other_filter
):
    """The top band is read off the soonest offers' stored slots (free text alone: the walk;
    with another filter: rank_top_band); an offer whose stored slot has started since is asked of
    the slot table and takes its place among them."""
    monkeypatch.setattr("marketplace.catalog.ranking.shortcuts.PREFIX_OFFERS", 2)  # the 4 soonest, for 2
    provider = catalog.provider("Provider")
    hour = utcnow().replace(minute=0, second=0, microsecond=0)

    def offer(title, *days):
        made = make_offer(provider, title=title)
        for day in days:
            make_slot(made, starts_at=hour + timedelta(days=day), hours=2)
        return made.id

    started = offer("Sensory afternoons", 1, 5.5)  # stored: day 1, which has started by day 3
    offer("Music club", 4)  # read, not a match
    mornings = offer("Sensory mornings", 5)
    offer("Sensory evenings", 6)
    offer("Sensory nights", 7)
    in_words = make_offer(provider, title="Music club 2", description="Sensory play")  # after every title
    make_slot(in_words, starts_at=hour + timedelta(days=4.5), hours=2)
    session.commit()
    filters = OfferFilters(q="sensory", per_page=2, **other_filter)
    shown, _ = page(session, filters, now=utcnow() + timedelta(days=3), count_limit=3)
    assert [offer_id for offer_id, _ in shown] == [mornings, started]


def test_offers_tied_on_a_start_time_past_the_slots_read_are_ranked_by_price(
    session, catalog, make_offer, make_slot, monkeypatch
):
    """Soonest first, ties on the start time go to the lower price. When the slots read end
    within a group of slots sharing a start time, a cheaper offer may be among those not read:
    none of that group is certain, so the page is not taken from them."""
    monkeypatch.setattr("marketplace.catalog.ranking.shortcuts.WINDOW_SLOTS", 1)
    provider = catalog.provider("Tied provider")
    at = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
    for price in (5000, 4000, 3000):  # offer ids ascending, prices descending
        make_slot(make_offer(provider, title=f"Tied {price}", price=price), starts_at=at, hours=2)
    session.commit()
    dates = {"available_from": today(), "available_to": today() + timedelta(days=5), "sort": "soonest"}
    _, result = page(session, OfferFilters(**dates, per_page=1), count_limit=1)  # reads 2 slots
    assert result.hits[0].offer.price == 3000 and not result.total_exact


# ---- tests on the module's catalogue (`many`) -------------------------------------------------


SEARCHES = [
    {},
    {"sort": "soonest"},
    {"sort": "price"},
    {"q": "sensory garden"},
    {"q": "break"},
    {"q": "sensory"},  # free text alone: the walk (test_search_walk.py)
    {"q": "garden break"},
    # free text and another filter: the top band is read off the soonest offers (rank_top_band)
    {"q": "sensory", "category": Category.DAY_SESSION},
    {"q": "garden break", "max_price": 3500},
    {"q": "music"},
    {"q": "swim"},
    {"q": "swim", "sort": "soonest"},
    {"q": "music", "sort": "price"},
    {"category": Category.DAY_SESSION},
    {"max_price": 3500, "sort": "soonest"},
    {"available_from": 3, "available_to": 20},  # counted off the open slots (rank_window)
    {"available_from": 1, "available_to": 25, "sort": "soonest"},
    {"available_to": 25, "category": Category.DAY_SESSION, "sort": "soonest"},
    {"available_from": 10, "sort": "price"},
    {"available_to": 12, "q": "garden"},
]


@pytest.mark.parametrize("days_later", [0, 3])  # 3: stored next open slots have started since
@pytest.mark.parametrize("prefix", [1, 25])  # slots / offers read per offer wanted before ranking all
@pytest.mark.parametrize("search", SEARCHES, ids=[str(s) or "no filter" for s in SEARCHES])
def test_a_broad_search_shows_the_same_pages_as_ranking_every_match(
    session, many, search, prefix, days_later, monkeypatch
):
    monkeypatch.setattr("marketplace.catalog.ranking.general.PREFIX_SLOTS", prefix)
    monkeypatch.setattr("marketplace.catalog.ranking.shortcuts.PREFIX_OFFERS", prefix)
    monkeypatch.setattr("marketplace.catalog.ranking.shortcuts.WINDOW_SLOTS", 1 if prefix == 1 else 3)
    # free text is ranked in one read unless it matches more than this; then band by band
    monkeypatch.setattr(
        "marketplace.catalog.ranking.shortcuts.WORDS_FETCH_LIMIT", 3 if prefix == 1 else 20_000
    )
    search = dict(search)
    for key in ("available_from", "available_to"):
        if key in search:
            search[key] = today() + timedelta(days=search[key])
    now = utcnow() + timedelta(days=days_later)
    everything, exact = page(session, OfferFilters(**search, per_page=100), now=now, count_limit=None)
    assert exact.total > 6, "the search must be broad for the limit below"
    for per_page in (1, 4, 7):
        for number in range(1, -(-min(exact.total, 6) // per_page) + 1):
            filters = OfferFilters(**search, page=number, per_page=per_page)
            broad, result = page(session, filters, now=now, count_limit=6)
            assert not result.total_exact and result.total == 6
            start = (number - 1) * per_page
            assert broad == everything[start : start + per_page], (per_page, number)


def test_a_broad_search_shows_offers_with_no_open_date_last(session, many):
    """Asking past every offer with an open date reaches those with none (soonest's nulls last)."""
    everything, exact = page(session, OfferFilters(per_page=100), count_limit=None)
    dated = sum(1 for _, when in everything if when is not None)
    assert 0 < dated < exact.total
    filters = OfferFilters(page=2, per_page=dated - 1)
    broad, _ = page(session, filters, count_limit=dated)
    assert broad == everything[dated - 1 : 2 * (dated - 1)]
    assert broad[0][1] is not None and broad[-1][1] is None


def test_pages_past_the_count_limit_are_refused_with_a_reason(session, many):
    with pytest.raises(ValidationFailed) as refused:
        search_offers(session, OfferFilters(page=3, per_page=3), count_limit=6)
    assert "first 6 offers" in refused.value.fields["page"][0]
    # the last page within the limit is fine
    shown, result = page(session, OfferFilters(page=2, per_page=3), count_limit=6)
    assert len(shown) == 3 and result.pages == 2


def test_the_api_and_the_page_say_when_the_count_stopped(app, client, many, monkeypatch):
    monkeypatch.setitem(app.config, "SEARCH_COUNT_LIMIT", 6)
    paging = client.get("/api/v1/offers?per_page=4").get_json()["paging"]
    assert paging == {"page": 1, "per_page": 4, "total": 6, "total_exact": False, "pages": 2}
    refused = client.get("/api/v1/offers?per_page=4&page=3")
    assert refused.status_code == 422
    assert "add a filter" in refused.get_json()["error"]["fields"]["page"][0]
    html = client.get("/offers").get_data(as_text=True)
    assert "More than 6 offers found" in html and "add a filter" in html
    refused_page = client.get("/offers?page=9")
    assert refused_page.status_code == 422 and "govuk-error-summary" in refused_page.get_data(as_text=True)
    narrow = client.get("/api/v1/offers?q=break+35").get_json()
    assert narrow["paging"]["total"] == 1 and narrow["paging"]["total_exact"] is True
    assert "1 offer found" in client.get("/offers?q=break+35").get_data(as_text=True)


@pytest.mark.parametrize("sort", ["relevance", "soonest"])
def test_a_search_between_dates_is_counted_off_the_open_slots(session, many, monkeypatch, sort):
    """Between two dates, soonest first, on SQLite: the open slots in start order give the count
    and the page (rank_window), exact when they are every open slot in the window, "more" when they
    hold more matching offers than the limit; the same as counting and ranking every match."""
    from marketplace.catalog import ranking

    answers = []
    real = ranking.rank_window
    monkeypatch.setattr(
        "marketplace.catalog.search.rank_window", lambda *a, **k: answers.append(real(*a, **k)) or answers[-1]
    )
    dates = {"available_from": today() + timedelta(days=2), "available_to": today() + timedelta(days=25)}
    everything, exact = page(session, OfferFilters(**dates, sort=sort, per_page=100), count_limit=None)
    assert exact.total > 8
    shown, counted = page(session, OfferFilters(**dates, sort=sort, per_page=5, page=2), count_limit=1000)
    assert (counted.total, counted.total_exact, shown) == (exact.total, True, everything[5:10])
    shown, more = page(session, OfferFilters(**dates, sort=sort, per_page=3), count_limit=6)
    assert (more.total, more.total_exact, shown) == (6, False, everything[:3])
    if session.get_bind().dialect.name == "sqlite":  # (PostgreSQL counts offer by offer: quicker there)
        assert all(answer is not None for answer in answers) and len(answers) == 2
    else:
        assert answers == []
