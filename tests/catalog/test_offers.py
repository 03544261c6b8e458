"""Offer lifecycle: publish rules, archiving, price changes and the terms a booking copies."""

import dataclasses
from datetime import date, time

import pytest
from sqlalchemy import select

from marketplace.catalog import operations
from marketplace.catalog.models import OfferPriceChange, OfferStatus, Unit
from marketplace.catalog.terms import OfferTerms, price_snapshot
from marketplace.core.audit import AuditEntry
from marketplace.core.errors import Conflict


def test_unverified_provider_cannot_publish_and_is_told_why(session, catalog, make_offer):
    provider = catalog.provider(verified=False)
    provider.verification_note = "Please add your Ofsted URN."
    offer = make_offer(provider, publish=False)
    with pytest.raises(Conflict) as refused:
        operations.publish_offer(session, offer, None)
    assert "not been verified" in refused.value.message
    assert "Ofsted URN" in refused.value.message
    assert offer.status is OfferStatus.DRAFT


def test_verified_provider_publishes(session, make_offer):
    offer = make_offer(publish=False)
    operations.publish_offer(session, offer, None)
    assert offer.status is OfferStatus.PUBLISHED and offer.published_at is not None


def test_archived_offer_cannot_come_back_or_change(session, client, make_offer):
    offer = make_offer()
    operations.archive_offer(session, offer, None)
    with pytest.raises(Conflict):
        operations.publish_offer(session, offer, None)
    with pytest.raises(Conflict):
        operations.update_offer(session, offer, {"price": 1}, None)
    assert client.get("/api/v1/offers").get_json()["items"] == []
    assert client.get(f"/api/v1/offers/{offer.id}").status_code == 404


def test_price_snapshot_keeps_the_terms_a_booking_was_made_at(session, make_offer):
    offer = make_offer(price=29500, unit="night", free_cancellation_hours=48, late_cancellation_bp=5000)
    terms = price_snapshot(offer)
    operations.update_offer(session, offer, {"price": 31000, "late_cancellation_bp": 10000}, None)
    assert terms.price == 29500 and terms.late_cancellation_bp == 5000
    assert price_snapshot(offer).price == 31000
    # DESIGN.md example B: two nights cost £590.00; cancelling a £295.00 night 24 hours ahead costs £147.50
    assert terms.cost(2) == 59000
    assert terms.cancellation_charge(29500, notice_hours=24) == 14750
    assert terms.cancellation_charge(29500, notice_hours=48) == 0
    assert terms.no_show_charge(29500) == 29500
    assert OfferTerms.from_dict(terms.as_dict()) == terms
    with pytest.raises(dataclasses.FrozenInstanceError):
        terms.price = 1


def test_fixed_price_costs_one_unit(make_offer):
    assert price_snapshot(make_offer(unit="fixed", price=39500)).cost(3) == 39500


def test_price_changes_are_recorded(session, make_offer, make):
    offer = make_offer(price=29500)
    actor = make.user("provider", org=offer.provider.organisation)
    operations.update_offer(session, offer, {"title": "Renamed"}, actor)
    operations.update_offer(session, offer, {"price": 30000, "unit": "night"}, actor)
    operations.update_offer(session, offer, {"unit": "day"}, actor)
    changes = session.scalars(select(OfferPriceChange).where(OfferPriceChange.offer_id == offer.id)).all()
    assert [(c.old_price, c.new_price, c.old_unit, c.new_unit) for c in changes] == [
        (29500, 30000, Unit.NIGHT, Unit.NIGHT),
        (30000, 30000, Unit.NIGHT, Unit.DAY),
    ]
    assert changes[0].changed_by_id == actor.id
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == str(offer.id))).all()
    assert actions.count("offer.price_changed") == 2


def test_database_refuses_impossible_offers(session, make_offer):
    from sqlalchemy.exc import IntegrityError

    offer = make_offer()
    offer.late_cancellation_bp = 10001
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_local_times_are_dst_correct():
    # 17:00 London is 16:00Z in summer and 17:00Z in winter; an overnight ends the next morning
    summer = operations.local_times(date(2026, 6, 1), time(17), time(10))
    assert [t.isoformat() for t in summer] == ["2026-06-01T16:00:00+00:00", "2026-06-02T09:00:00+00:00"]
    winter = operations.local_times(date(2026, 12, 1), time(17), time(10))
    assert [t.isoformat() for t in winter] == ["2026-12-01T17:00:00+00:00", "2026-12-02T10:00:00+00:00"]
    # the night the clocks go back (25 October 2026) is 18 hours long
    change = operations.local_times(date(2026, 10, 24), time(17), time(10))
    assert (change[1] - change[0]).total_seconds() == 18 * 3600
