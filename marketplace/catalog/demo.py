"""Demo catalogue: Hilltop verified with its overnight short break (DESIGN.md example B), and a
dozen more providers with varied published offers and dates in the coming months. Idempotent:
organisations, offers and users are found by slug/title/e-mail; slot patterns skip taken dates."""

from datetime import time, timedelta

from sqlalchemy import select

from marketplace.accounts import operations as accounts
from marketplace.accounts.demo import organisation
from marketplace.accounts.models import User
from marketplace.catalog import operations
from marketplace.catalog.models import Offer, OfferStatus
from marketplace.core.clock import today
from marketplace.core.demo import DEMO_PASSWORD

EVERY_DAY = [0, 1, 2, 3, 4, 5, 6]
WEEKDAYS = [0, 1, 2, 3, 4]
WEEKENDS = [5, 6]

# slug, name, description, registration, councils, districts, verified
PROVIDERS = [
    ("hilltop-hospice", "Hilltop Children's Hospice", "Hospice care, short breaks and family support for children with life-limiting conditions.",
     {"charity_number": "1101234", "cqc_location_id": "1-1010101010"}, ["Brightwater", "Eastshire"], ["BW1", "BW2", "BW3"], True),
    ("seaside-hospice", "Seaside Children's Hospice", "Residential short breaks by the sea, with hydrotherapy and a sensory garden.",
     {"charity_number": "1102345", "cqc_location_id": "1-2020202020"}, ["Eastshire", "Brightwater"], ["ES1", "ES4", "BW3"], True),
    ("meadow-house", "Meadow House Short Breaks", "A small Ofsted-registered home offering overnight breaks for disabled children.",
     {"company_number": "09876543", "ofsted_urn": "SC123456"}, ["Brightwater"], ["BW1", "BW4"], True),
    ("brightwater-outreach", "Brightwater Outreach Nursing", "Nurses who come to your home so you can rest.",
     {"company_number": "11223344", "cqc_location_id": "1-3030303030"}, ["Brightwater"], ["BW1", "BW2", "BW3", "BW4"], True),
    ("friends-together", "Friends Together Befriending", "Trained volunteers matched with young people for days out.",
     {"charity_number": "1103456"}, ["Brightwater", "Northvale"], ["BW2", "NV1"], True),
    ("splash-club", "Splash Saturday Club", "Inclusive swimming and play sessions with 1:1 support.",
     {"charity_number": "1104567"}, ["Brightwater"], ["BW1"], True),
    ("adventure-unlimited", "Adventure Unlimited", "Accessible outdoor adventure breaks: climbing, canoeing and camping.",
     {"company_number": "07654321"}, ["Eastshire", "Northvale"], ["ES1", "NV2"], True),
    ("sibling-space", "Sibling Space", "Groups and days out for brothers and sisters of disabled children.",
     {"charity_number": "1105678"}, ["Brightwater", "Eastshire"], ["BW1", "BW2", "ES1"], True),
    ("hands-on-therapy", "Hands On Therapy Centre", "Hydrotherapy, physiotherapy and music therapy.",
     {"company_number": "08765432", "cqc_location_id": "1-4040404040"}, ["Brightwater"], ["BW3"], True),
    ("home-from-home", "Home from Home Carers", "Approved short-break carers who welcome children into their homes.",
     {"ofsted_urn": "SC234567", "company_number": "06543210"}, ["Northvale", "Brightwater"], ["NV1", "BW4"], True),
    ("youth-connect", "Youth Connect Evenings", "Evening and weekend youth clubs for 11 to 25 year olds.",
     {"charity_number": "1106789"}, ["Brightwater"], ["BW1", "BW2"], True),
    ("family-first", "Family First Support", "Key workers, parent groups and family fun days.",
     {"charity_number": "1107890"}, ["Eastshire"], ["ES1", "ES2"], True),
    ("kit-and-kaboodle", "Kit and Kaboodle Equipment", "Hire of specialist equipment for breaks away from home.",
     {"company_number": "05432109"}, ["Brightwater", "Eastshire", "Northvale"], [], True),
    ("new-horizons", "New Horizons Outreach", "A new outreach service, waiting for its checks.",
     {}, ["Northvale"], ["NV1"], False),
]  # fmt: skip

# provider slug, title, offer fields, pattern (weekdays, start, end, capacity, days ahead) or None
OFFERS = [
    ("hilltop-hospice", "Overnight short break", dict(
        category="overnight_short_break", setting="hospice_residential", min_age=0, max_age=19,
        description="A night (or several) at Hilltop with nursing care around the clock, so the whole family can rest.",
        needs=["complex health", "life-limiting conditions", "end of life", "gastrostomy", "ventilation"],
        staffing_ratio="1:1", unit="night", price=29500, funding_streams=["social_care", "health", "education"],
        free_cancellation_hours=48, late_cancellation_bp=5000, no_show_bp=10000, min_units_per_booking=1,
        max_units_per_booking=7, yearly_cap_per_child=12, max_open_bookings_per_family=2, booking_window_days=180,
        emergency_reserve=0, instant_booking=False), (EVERY_DAY, time(17, 0), time(10, 0), 4, 120)),
    ("hilltop-hospice", "Family day at Hilltop", dict(
        category="day_session", setting="hospice_residential", min_age=0, max_age=19,
        description="A day of play, hydrotherapy and care for your child while you take time for yourselves.",
        needs=["complex health", "life-limiting conditions"], staffing_ratio="1:1", unit="day", price=18000,
        funding_streams=["social_care", "health"], free_cancellation_hours=48, late_cancellation_bp=5000),
        ([2, 5], time(10, 0), time(16, 0), 6, 90)),
    ("seaside-hospice", "Seaside residential break", dict(
        category="overnight_short_break", setting="hospice_residential", min_age=0, max_age=25,
        description="Stays by the sea with hydrotherapy, sensory room and 24-hour nursing.",
        needs=["complex health", "life-limiting conditions", "epilepsy"], staffing_ratio="1:1", unit="night",
        price=31000, funding_streams=["social_care", "health"], free_cancellation_hours=72, late_cancellation_bp=5000,
        min_units_per_booking=2, yearly_cap_per_child=14, emergency_reserve=1),
        (EVERY_DAY, time(16, 0), time(11, 0), 5, 120)),
    ("meadow-house", "Weekend stay at Meadow House", dict(
        category="overnight_short_break", setting="carers_home", min_age=8, max_age=18,
        description="Friday-to-Sunday stays in a homely setting with a garden and trampoline.",
        needs=["autism", "learning disability", "challenging behaviour"], staffing_ratio="2:1", unit="night",
        price=26500, funding_streams=["social_care"], free_cancellation_hours=48, late_cancellation_bp=10000,
        min_units_per_booking=2, max_units_per_booking=2), ([4], time(17, 0), time(17, 0), 3, 120)),
    ("brightwater-outreach", "Nursing sitter at home", dict(
        category="in_home_care", setting="family_home", min_age=0, max_age=18,
        description="A children's nurse sits with your child at home, evenings or overnight.",
        needs=["complex health", "ventilation", "tracheostomy"], staffing_ratio="1:1", unit="hour", price=3600,
        funding_streams=["health", "social_care"], free_cancellation_hours=24, late_cancellation_bp=10000,
        min_units_per_booking=3), (WEEKDAYS, time(18, 0), time(23, 0), 2, 60)),
    ("brightwater-outreach", "Hospice at home outreach", dict(
        category="outreach", setting="family_home", min_age=0, max_age=19,
        description="Specialist outreach visits supporting families caring for a child at end of life.",
        needs=["end of life", "life-limiting conditions"], staffing_ratio="1:1", unit="session", price=12000,
        funding_streams=["health"]), ([1, 3], time(9, 0), time(12, 0), 3, 60)),
    ("friends-together", "Befriending days out", dict(
        category="befriending", setting="community", min_age=8, max_age=25,
        description="A trained volunteer befriender for trips to the cinema, park or café.",
        needs=["learning disability", "autism", "social anxiety"], staffing_ratio="1:1", unit="session", price=4500,
        funding_streams=["social_care", "charity"], free_cancellation_hours=24, late_cancellation_bp=0),
        (WEEKENDS, time(10, 0), time(14, 0), 6, 90)),
    ("splash-club", "Splash Saturday swimming", dict(
        category="activity_group_break", setting="community", min_age=4, max_age=16,
        description="Inclusive swimming and pool play with 1:1 support in the water.",
        needs=["physical disability", "autism", "sensory needs"], staffing_ratio="1:1", unit="session", price=3500,
        funding_streams=["social_care", "education", "charity"]), ([5], time(9, 30), time(12, 0), 12, 90)),
    ("adventure-unlimited", "Adventure weekend", dict(
        category="activity_group_break", setting="community", min_age=11, max_age=25,
        description="Two days of climbing, canoeing and campfire cooking, fully accessible.",
        needs=["physical disability", "learning disability"], staffing_ratio="1:2", unit="fixed", price=39500,
        funding_streams=["social_care", "education"], free_cancellation_hours=336, late_cancellation_bp=5000),
        ([5], time(9, 0), time(17, 0), 10, 120)),
    ("sibling-space", "Sibling Saturday group", dict(
        category="sibling_support", setting="community", min_age=6, max_age=16,
        description="Fun days and a chance to talk for brothers and sisters of disabled children.",
        needs=["siblings"], staffing_ratio="1:4", unit="session", price=1500, funding_streams=["charity", "social_care"],
        free_cancellation_hours=24), ([5], time(10, 0), time(15, 0), 15, 90)),
    ("hands-on-therapy", "Hydrotherapy session", dict(
        category="therapy", setting="community", min_age=0, max_age=25,
        description="Warm-water hydrotherapy with a physiotherapist, 45 minutes.",
        needs=["physical disability", "cerebral palsy", "complex health"], staffing_ratio="1:1", unit="session",
        price=5500, funding_streams=["health", "education", "social_care"], vat_treatment="exempt"),
        (WEEKDAYS, time(15, 30), time(16, 15), 2, 60)),
    ("hands-on-therapy", "Music therapy", dict(
        category="therapy", setting="community", min_age=2, max_age=18,
        description="Individual music therapy sessions.", needs=["autism", "communication needs"],
        staffing_ratio="1:1", unit="session", price=4800, funding_streams=["education", "health"]),
        ([0, 2], time(16, 0), time(17, 0), 1, 60)),
    ("home-from-home", "Overnight with a short-break carer", dict(
        category="overnight_short_break", setting="carers_home", min_age=5, max_age=17,
        description="Regular overnight stays with the same approved carer family.",
        needs=["learning disability", "autism"], staffing_ratio="1:1", unit="night", price=17500,
        funding_streams=["social_care"], yearly_cap_per_child=24), ([4, 5], time(18, 0), time(10, 0), 2, 90)),
    ("youth-connect", "Friday youth club", dict(
        category="evening_weekend_session", setting="community", min_age=11, max_age=25,
        description="Games, music, cooking and friends, every Friday evening.",
        needs=["learning disability", "autism", "physical disability"], staffing_ratio="1:3", unit="session",
        price=2500, funding_streams=["social_care", "charity"], instant_booking=True),
        ([4], time(18, 0), time(21, 0), 20, 90)),
    ("family-first", "Family fun day", dict(
        category="family_support", setting="community", min_age=0, max_age=25,
        description="A day out for the whole family with support staff on hand.", needs=["families"],
        staffing_ratio="1:4", unit="fixed", price=2000, funding_streams=["charity"]),
        ([6], time(10, 0), time(16, 0), 30, 90)),
    ("kit-and-kaboodle", "Portable hoist hire", dict(
        category="equipment", setting="family_home", min_age=0, max_age=25,
        description="A portable hoist and sling delivered for a break away, per week.",
        needs=["physical disability"], unit="week", price=6500, funding_streams=["health", "social_care"],
        vat_treatment="zero_rated"), None),
]  # fmt: skip

EXTRA_USERS = [
    ("provider", "bookings@seaside-hospice.example", "Sam, Seaside bookings", "seaside-hospice"),
    ("provider", "hello@new-horizons.example", "Noor, New Horizons (not yet verified)", "new-horizons"),
]


def load(session, ctx: dict) -> None:
    admin = session.scalar(select(User).where(User.email == "admin@platform.example"))
    profiles = {}
    for slug, name, description, registration, councils, districts, verified in PROVIDERS:
        org = organisation(session, slug) or accounts.create_organisation(
            session, slug=slug, name=name, kind="provider"
        )
        profile = operations.provider_profile(session, org)
        if not profile.description:
            operations.update_profile(
                session,
                profile,
                dict(
                    description=description,
                    contact_email=f"hello@{slug}.example",
                    website=f"https://{slug}.example",
                    councils=councils,
                    postcode_districts=districts,
                    **registration,
                ),  # fmt: skip
                admin,
            )
        if verified and not profile.is_verified:
            operations.verify_provider(session, profile, admin, "Registration checked (demo data)")
        if not verified and profile.verification_note is None:
            profile.verification_note = "Please add your Ofsted URN or CQC location id."
        profiles[slug] = profile
    start = today() + timedelta(days=1)
    for slug, title, fields, pattern in OFFERS:
        profile = profiles[slug]
        offer = session.scalar(select(Offer).where(Offer.provider_id == profile.id, Offer.title == title))
        if offer is None:
            offer = operations.create_offer(session, profile, dict(title=title, **fields), admin)
            operations.publish_offer(session, offer, admin)
        if pattern and offer.status is not OfferStatus.ARCHIVED:
            weekdays, begins, ends, capacity, days = pattern
            operations.generate_weekly_slots(
                session, offer, first=start, last=start + timedelta(days=days), weekdays=weekdays,
                start=begins, end=ends, capacity=capacity, actor=admin,
            )  # fmt: skip
        if title == "Overnight short break" and slug == "hilltop-hospice":
            ctx["hilltop_overnight"] = offer
    for role, email, name, org_slug in EXTRA_USERS:
        if session.scalar(select(User).where(User.email == email)) is None:
            accounts.create_user(
                session, email=email, name=name, password=DEMO_PASSWORD, role=role,
                organisation=organisation(session, org_slug),
            )  # fmt: skip
        ctx["sign_ins"].append((role, email, name))
    ctx["catalog_providers"] = profiles
