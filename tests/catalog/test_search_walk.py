"""Free text alone, by relevance (catalog.ranking.rank_walk): the soonest matches are read off a
walk index until one more than the count limit match, and the page is theirs when nothing can
rank above it. These searches must show exactly what ranking every match shows, and the count
must say when it stopped; the benchmark's speed depends on the walk deciding the page itself."""

from datetime import timedelta

import pytest

from marketplace.catalog import ranking
from marketplace.catalog.models import WALK_TEXT_BYTES
from marketplace.catalog.search import OfferFilters, search_offers
from marketplace.core.clock import utcnow


def page(session, q, count_limit, per_page=3, number=1, now=None):
    result = search_offers(
        session, OfferFilters(q=q, per_page=per_page, page=number), now, count_limit=count_limit
    )
    return [(hit.offer.id, hit.next_available) for hit in result.hits], result


def everything(session, q, now=None):
    shown, _ = page(session, q, None, per_page=100, now=now)
    return shown


@pytest.fixture
def ranked_every_match(monkeypatch):
    """Fails the test if the walk gives up and every match is ranked instead (rank_words)."""
    calls = []
    real = ranking.rank_words
    monkeypatch.setattr(
        "marketplace.catalog.search.rank_words", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    return calls


@pytest.fixture
def offers(session, catalog, make_offer, make_slot):
    """Twelve offers matching "sensory garden" in their descriptions, a day apart; each title
    holds one of the words or neither, none both. Two without an open date."""
    provider = catalog.provider("Walk provider")
    hour = utcnow().replace(minute=0, second=0, microsecond=0)
    titles = ["Sensory break", "Garden break", "Day out", "Sensory club"]
    made = []
    for n in range(12):
        offer = make_offer(provider, title=f"{titles[n % 4]} {n}", description="sensory garden afternoons")
        if n < 10:
            make_slot(offer, starts_at=hour + timedelta(days=1 + n), hours=2)
        made.append(offer)
    make_offer(provider, title="Sensory garden, unpublished", publish=False)  # never found
    session.commit()
    return made


def test_a_page_below_an_empty_top_band_is_read_off_the_soonest_matches(session, offers, ranked_every_match):
    """No title holds both words: the titles' index says so, and the walk's first rows with one
    word in the title are the page."""
    expected = everything(session, "sensory garden")
    assert len(expected) == 12
    for number in (1, 2):
        shown, result = page(session, "sensory garden", count_limit=10, number=number)
        assert shown == expected[(number - 1) * 3 : number * 3]
        assert result.total == 10 and not result.total_exact
    assert ranked_every_match == []


def test_an_offer_far_down_with_every_word_in_its_title_still_comes_first(
    session, offers, make_slot, ranked_every_match
):
    """The last offer to open (never read by the walk) is renamed to hold both words: the titles'
    index finds it, so it heads the page; on SQLite this also proves the title index follows an
    edit (a trigger)."""
    last = offers[9]
    last.title = "Sensory garden evenings"
    session.commit()
    expected = everything(session, "sensory garden")
    assert expected[0][0] == last.id
    # (the walk's first nine rows hold enough one-word titles for a page: only the titles' index
    # tells it that a better one exists)
    shown, _ = page(session, "sensory garden", count_limit=8)
    assert shown == expected[:3]
    assert ranked_every_match == [1]  # the walk could not tell the page, so every match was ranked


def test_few_matches_are_counted_and_ranked_from_the_walk(session, offers, ranked_every_match):
    shown, result = page(session, "garden", count_limit=1000, per_page=5, number=2)
    assert result.total == 12 and result.total_exact
    assert shown == everything(session, "garden")[5:10]
    assert ranked_every_match == []


def test_offers_with_no_open_date_come_last_whatever_the_database_walks_first(session, offers):
    """SQLite's walk order puts offers with no open date first, PostgreSQL's last; either way the
    page shows them last within their band."""
    expected = everything(session, "day")
    assert [when is None for _, when in expected] == [False, False, True]
    shown, result = page(session, "day", count_limit=2, per_page=2)
    assert shown == expected[:2] and not result.total_exact


def test_a_page_past_the_soonest_rows_of_its_band_is_still_right(session, offers):
    shown, _ = page(session, "sensory garden", count_limit=5, per_page=3, number=2)
    assert shown == everything(session, "sensory garden")[3:6]


def test_an_offer_whose_slot_has_started_takes_its_place(session, offers, make_slot):
    """Three days on, the first offers' stored slots have started: those with a later slot move
    back, those without drop to the end of their band."""
    hour = utcnow().replace(minute=0, second=0, microsecond=0)
    day_20 = make_slot(offers[0], starts_at=hour + timedelta(days=20), hours=2).starts_at
    session.commit()
    later = utcnow() + timedelta(days=3)
    expected = everything(session, "sensory garden", now=later)
    band = [
        offer_id for offer_id, _ in expected if "Day out" not in session.get(type(offers[0]), offer_id).title
    ]
    assert dict(expected)[offers[0].id] == day_20 and band.index(offers[0].id) == 6  # last dated of its band
    assert dict(expected)[offers[1].id] is None  # its only slot has started
    for number in (1, 2, 3):
        shown, _ = page(session, "sensory garden", count_limit=7, number=number, now=later)
        assert shown == expected[(number - 1) * 3 : number * 3], number


def test_offers_with_a_long_text_are_walked_too(session, catalog, make_offer, make_slot, offers):
    """A description longer than the walk index holds (PostgreSQL keeps those in an index of
    their own, merged into the walk): found, counted and placed by its date like the rest."""
    hour = utcnow().replace(minute=0, second=0, microsecond=0)
    long_text = "sensory garden " + "a long description of the afternoons " * (WALK_TEXT_BYTES // 30)
    assert len(long_text.encode()) > WALK_TEXT_BYTES
    early = make_offer(catalog.provider("Long provider"), title="Sensory walks", description=long_text)
    make_slot(early, starts_at=hour + timedelta(hours=30), hours=2)  # between the first two offers
    session.commit()
    expected = everything(session, "sensory garden")
    assert early.id in [offer_id for offer_id, _ in expected[:3]]
    shown, result = page(session, "sensory garden", count_limit=6, per_page=4)
    assert shown == expected[:4] and result.total == 6


def test_a_search_as_of_a_moment_before_the_stored_slots_were_worked_out(session, offers, make_slot):
    """Searching as of yesterday, no stored slot answers (each was worked out since): an offer
    the walk does not reach, whose first slot from yesterday has passed by now, is asked of the
    slot table and heads the page."""
    hour = utcnow().replace(minute=0, second=0, microsecond=0)
    make_slot(offers[9], starts_at=hour - timedelta(hours=12), hours=2)
    session.commit()
    yesterday = utcnow() - timedelta(days=1)
    expected = everything(session, "sensory garden", now=yesterday)
    assert expected[0] == (offers[9].id, hour - timedelta(hours=12))
    shown, _ = page(session, "sensory garden", count_limit=8, now=yesterday)
    assert shown == expected[:3]


def test_words_written_into_the_statement_are_plain_text(session, catalog, make_offer):
    """The words go into the statement's text (so each search is planned for its own words):
    quotes, backslashes and LIKE's wildcards in them are plain characters."""
    provider = catalog.provider("Quote provider")
    found = make_offer(provider, title="St Mary's garden", description=r"sensory \ 100%_ fun")
    make_offer(provider, title="St Marys garden", description="sensory 1000 fun")
    session.commit()
    for q, expected in [("mary's", [found.id]), ("mary's garden", [found.id]), ("\\", [found.id]),
                        ("100%_", [found.id]), ("mary''s", []), ("100%%", [])]:  # fmt: skip
        for count_limit in (None, 1000):
            shown, _ = page(session, q, count_limit)
            assert [offer_id for offer_id, _ in shown] == expected, q
    assert page(session, "'; DROP TABLE offer; --", 1000)[0] == []
