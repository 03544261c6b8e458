"""What later domains add to the catalogue's pages for the person asking: the bookings domain says
which of a family's budgets can pay for an offer and shows the offer's booking rules with the
family's own position. catalog imports none of them; they register here, as dashboard panels do
(core.dashboard), so the catalogue stays first in the domain order.

An offer section is `fn(user, offer) -> (template, section) | None`, rendered on the offer page.
A result note is `fn(user, offers) -> {offer id: (template, note)}`, rendered under each search result;
it is given the whole page of offers so it can read what it needs once.
"""

from collections.abc import Callable

_OFFER_SECTIONS: list[Callable] = []
_RESULT_NOTES: list[Callable] = []


def register_offer_section(fn: Callable) -> None:
    if fn not in _OFFER_SECTIONS:
        _OFFER_SECTIONS.append(fn)


def register_result_notes(fn: Callable) -> None:
    if fn not in _RESULT_NOTES:
        _RESULT_NOTES.append(fn)


def offer_sections(user, offer) -> list[tuple[str, dict]]:
    return [found for fn in _OFFER_SECTIONS if (found := fn(user, offer)) is not None]


def result_notes(user, offers) -> dict[int, list[tuple[str, dict]]]:
    notes: dict[int, list[tuple[str, dict]]] = {offer.id: [] for offer in offers}
    for fn in _RESULT_NOTES:
        for offer_id, note in (fn(user, offers) or {}).items():
            notes.setdefault(offer_id, []).append(note)
    return notes
