""" "Did you mean …?" for a free-text search that found nothing: each word that is not in the
catalogue's vocabulary is swapped for its nearest word there (difflib), if one is near enough."""

import difflib
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.catalog.models import CATEGORY_LABELS, Offer, OfferStatus
from marketplace.catalog.ranking.conditions import search_words

WORD = re.compile(r"[a-z][a-z'-]{2,}")
VOCABULARY_OFFERS = 5000  # the titles read: plenty for the words families use, bounded at any scale
CUTOFF = 0.75  # "overnigth" -> "overnight" (0.89); "respite" stays without a near word


def vocabulary(session: Session) -> set[str]:
    """The words of the category labels and of published offers' titles and needs."""
    words = set()
    for label in CATEGORY_LABELS.values():
        words.update(WORD.findall(label.lower()))
    rows = session.execute(
        select(Offer.title, Offer.needs).where(Offer.status == OfferStatus.PUBLISHED).limit(VOCABULARY_OFFERS)
    )
    for title, needs in rows:
        words.update(WORD.findall((title or "").lower()))
        for need in needs or ():
            words.update(WORD.findall(str(need).lower()))
    return words


def suggest(session: Session, q: str | None) -> str | None:
    """The search with each unknown word replaced by its nearest known word; None when no word
    changes (nothing to suggest)."""
    typed = search_words(q)
    if not typed:
        return None
    known = vocabulary(session)
    suggested, changed = [], False
    for word in typed:
        if word in known or not WORD.fullmatch(word):
            suggested.append(word)
            continue
        near = difflib.get_close_matches(word, known, n=1, cutoff=CUTOFF)
        suggested.append(near[0] if near else word)
        changed = changed or bool(near)
    return " ".join(suggested) if changed else None
