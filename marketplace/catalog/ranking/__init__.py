"""How search ranks a page of offers (read-only): the strategies behind `search.search_offers`.

- `conditions`: the search's conditions (each filter as a where() clause) and `matches`;
- `general`: the core ranking, which serves any search: `rank_all` (every match, one statement)
  and `rank_broad` (a page of a search with more matches than the count limit);
- `shortcuts`: the four shortcut strategies (walk, top band, words, window) that count and rank
  some searches quicker, and the indexes that exist for them.

Every strategy returns the page as (offer id, next open slot) pairs, in order;
tests/catalog/test_search_broad.py checks each against ranking every match."""

from marketplace.catalog.ranking.conditions import (
    InArea,
    OpenSlotIn,
    Published,
    WordsMatch,
    matches,
    search_words,
)
from marketplace.catalog.ranking.general import Ranked, core, rank_all, rank_broad
from marketplace.catalog.ranking.shortcuts import rank_top_band, rank_walk, rank_window, rank_words

__all__ = [
    "InArea",
    "OpenSlotIn",
    "Published",
    "Ranked",
    "WordsMatch",
    "core",
    "matches",
    "rank_all",
    "rank_broad",
    "rank_top_band",
    "rank_walk",
    "rank_window",
    "rank_words",
    "search_words",
]
