"""The demo catalogue: Hilltop's overnight short break as CONTRACT.md promises, loaded idempotently."""

from sqlalchemy import func, select

from marketplace.catalog.models import Offer, OfferStatus, ProviderProfile, Slot
from marketplace.catalog.terms import price_snapshot
from marketplace.core.clock import utcnow
from marketplace.core.demo import load_demo


def test_demo_catalogue(session, client):
    ctx = load_demo(session)
    offer = ctx["hilltop_overnight"]
    assert offer.provider.organisation.slug == "hilltop-hospice" and offer.provider.is_verified
    assert offer.category.value == "overnight_short_break" and offer.status is OfferStatus.PUBLISHED
    terms = price_snapshot(offer)
    assert (terms.price, terms.unit.value, terms.free_cancellation_hours, terms.late_cancellation_bp) == (
        29500,
        "night",
        48,
        5000,
    )
    assert {"social_care", "health"} <= {s.value for s in offer.funding_streams}
    open_nights = session.scalar(
        select(func.count()).where(
            Slot.offer_id == offer.id, Slot.starts_at > utcnow(), Slot.capacity == 4, Slot.booked == 0
        )
    )
    assert open_nights >= 90
    assert (
        session.scalar(
            select(func.count()).select_from(ProviderProfile).where(ProviderProfile.verified_at.is_not(None))
        )
        >= 12
    )
    counts = (
        session.scalar(select(func.count()).select_from(Offer)),
        session.scalar(select(func.count()).select_from(Slot)),
    )
    assert any(role == "provider" and "seaside" in email for role, email, _ in ctx["sign_ins"])

    again = load_demo(session)  # idempotent
    assert again["hilltop_overnight"].id == offer.id
    assert (
        session.scalar(select(func.count()).select_from(Offer)),
        session.scalar(select(func.count()).select_from(Slot)),
    ) == counts
    session.commit()
    assert client.get(f"/offers/{offer.id}").status_code == 200
    assert client.get("/offers?area=Brightwater&category=overnight_short_break").status_code == 200
