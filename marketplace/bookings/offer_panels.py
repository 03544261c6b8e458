"""What the bookings domain adds to the catalogue's pages (catalog.extras): for a signed-in family,
which of its budgets can pay for an offer and how much each has left for it (bookings.cover), and
on the offer page the booking rules with the family's own position (bookings.shown_rules). Everyone
else sees the rules alone; nobody sees another family's budgets."""

from marketplace.accounts.models import Role
from marketplace.bookings.cover import FamilyFunds
from marketplace.bookings.shown_rules import offer_rules
from marketplace.core.db import db


def _family_id(user) -> int | None:
    if getattr(user, "is_authenticated", False) and user.role is Role.FAMILY and user.family_id:
        return user.family_id
    return None


def offer_section(user, offer):
    """The offer page's "Can your budget pay?" and "Booking rules"."""
    family_id = _family_id(user)
    children = list(user.family.children) if family_id else []
    covers = FamilyFunds(db.session, family_id).covers(offer) if family_id else None
    rules = offer_rules(db.session, offer, family_id=family_id, children=children)
    return "bookings/_offer_section.html", {"covers": covers, "rules": rules, "offer": offer}


def result_notes(user, offers):
    """Under each search result, each of the family's budgets: can pay (with what is left), or not."""
    family_id = _family_id(user)
    if family_id is None or not offers:
        return {}
    funds = FamilyFunds(db.session, family_id)
    if not funds.budgets:
        return {}
    return {offer.id: ("bookings/_result_note.html", {"covers": funds.covers(offer)}) for offer in offers}
