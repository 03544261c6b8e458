"""A provider's public page for families: who they are, where, how to reach them, their
registrations and their published offers. Anyone may read it (as anyone may read an offer);
a provider not verified by an admin has no public page (404), as its offers are not shown."""

from flask import Blueprint, render_template
from sqlalchemy import select

from marketplace.accounts.permissions import visible
from marketplace.catalog.models import Offer, OfferStatus, ProviderProfile
from marketplace.core.db import db
from marketplace.core.ids import MAX_ID

bp = Blueprint("providers", __name__)


@bp.get("/providers/<int:profile_id>")
def provider_page(profile_id: int):
    profile = db.session.get(ProviderProfile, profile_id) if 0 < profile_id <= MAX_ID else None
    visible(profile, profile is not None and profile.is_verified, "provider")
    offers = db.session.scalars(
        select(Offer)
        .where(Offer.provider_id == profile.id, Offer.status == OfferStatus.PUBLISHED)
        .order_by(Offer.title, Offer.id)
    ).all()
    return render_template("catalog/provider.html", profile=profile, offers=offers)
