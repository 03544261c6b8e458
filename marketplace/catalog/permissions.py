"""Who may see catalogue objects, and finding them (an offer or slot by id, a provider's profile by
organisation) for the HTML and JSON layers to check."""

from sqlalchemy import select

from marketplace.accounts.permissions import acts_for_organisation
from marketplace.catalog.models import Offer, OfferStatus, ProviderProfile, Slot
from marketplace.core.db import db
from marketplace.core.ids import MAX_ID


def get_offer(offer_id: int) -> Offer | None:
    return db.session.get(Offer, offer_id) if 0 < offer_id <= MAX_ID else None


def get_slot(slot_id: int) -> Slot | None:
    return db.session.get(Slot, slot_id) if 0 < slot_id <= MAX_ID else None


def profile_to_show(organisation) -> ProviderProfile:
    """The provider's profile for a page to show: the stored one, or a blank unsaved one (not
    added to the session) for a provider that has none yet. Reading never writes; the first
    change saves it (operations.provider_profile)."""
    found = db.session.scalar(
        select(ProviderProfile).where(ProviderProfile.organisation_id == organisation.id)
    )
    if found is not None:
        return found
    return ProviderProfile(
        organisation=organisation, organisation_id=organisation.id, description="", areas=[]
    )


def offer_visible_to(offer: Offer | None, user) -> bool:
    """Everyone sees a published offer of a verified provider; its own staff (and admins) see any."""
    if offer is None:
        return False
    if offer.status is OfferStatus.PUBLISHED and offer.provider.is_verified:
        return True
    return acts_for_organisation(user, offer.organisation_id)
