"""The test factories: one set for every domain, behind the shared `make` fixture (tests/conftest.py).

They build what DESIGN.md's worked examples name the way the demo data does (marketplace/*/demo.py):
Hilltop and its overnight short break, Ben's managed budget (example B), Amy's ISF budget
(example A), and slots. Each domain's conftest composes its world from these, so there is one
Hilltop overnight offer and one Ben's budget. Objects are flushed, not committed: a test that sends
a request which fails (the app then rolls back) calls `session.commit()` first so its set-up
survives (a savepoint, undone at the end).
"""

from datetime import date, timedelta

from marketplace.accounts import operations as accounts_ops
from marketplace.budgets import operations as budgets
from marketplace.catalog import operations as catalog
from marketplace.core.clock import utcnow

PASSWORD = "Correct-horse-42"

# Hilltop's overnight short break (DESIGN.md example B; marketplace/catalog/demo.py)
HILLTOP_OVERNIGHT = dict(
    title="Overnight short break",
    description="Nursing care around the clock",
    category="overnight_short_break",
    setting="hospice_residential",
    min_age=0,
    max_age=19,
    needs=["complex health"],
    unit="night",
    price=29500,
    funding_streams=["social_care", "health"],
    free_cancellation_hours=48,
    late_cancellation_bp=5000,
    no_show_bp=10000,
    min_units_per_booking=1,
)

# Ben's managed budget (DESIGN.md example B; marketplace/budgets/demo.py)
PERIOD = (date(2026, 4, 1), date(2027, 3, 31))
BEN_CATEGORIES = ["overnight_short_break", "day_session", "activity_group_break", "sibling_support"]
BEN_PO = {"social_care": "BC-SB-2026-0142", "health": "ICB-PHB-88213"}
BEN_TERMS = {"social_care": 30, "health": 45}

# Amy's ISF budget (DESIGN.md example A; marketplace/isf/demo.py): kind, amount, purchase order
AMY_STREAMS = [
    ("social_care", 1_820_000, "BWC-SC-4471"),
    ("health", 1_040_000, "ICB-PHB-0192"),
    ("education", 260_000, "BWC-SEN-2208"),
]


class Factory:
    """`make`: people and organisations, providers, offers and slots, budgets."""

    def __init__(self, session):
        self.session = session
        self.n = 0
        self.slugs_taken = set()

    def _next(self) -> int:
        self.n += 1
        return self.n

    # ---- accounts ------------------------------------------------------------------------------

    def org(self, kind="provider", slug=None, name=None):
        n = self._next()
        return accounts_ops.create_organisation(
            self.session, slug=slug or f"{kind}-{n}", name=name or f"{kind.title()} {n}", kind=kind
        )

    def family(self, slug=None, children=("Child",)):
        n = self._next()
        fam = accounts_ops.create_family(self.session, slug=slug or f"family-{n}", name=f"Family {n}")
        for child in children:
            accounts_ops.add_child(self.session, fam, name=child, date_of_birth=date(2015, 1, 1))
        return fam

    def user(self, role="family", org=None, family=None, email=None):
        n = self._next()
        if role in ("provider", "commissioner") and org is None:
            org = self.org(role)
        if role == "admin" and org is None:
            org = self.org("platform")
        if role == "family" and family is None:
            family = self.family()
        return accounts_ops.create_user(
            self.session,
            email=email or f"{role}{n}@example.org",
            name=f"{role} {n}",
            password=PASSWORD,
            role=role,
            organisation=org,
            family=family,
        )

    # the worked examples' parties: the first of each has the demo's slug (marketplace/accounts/demo.py);
    # each call makes a new organisation (a test may need several funds, each with its own provider)

    def hilltop(self):
        return self._named("provider", "hilltop-hospice", "Hilltop Children's Hospice")

    def council(self):
        return self._named("commissioner", "brightwater-council", "Brightwater Council")

    def icb(self):
        return self._named("commissioner", "nhs-brightwater-icb", "NHS Brightwater ICB")

    def _named(self, kind, slug, name):
        if slug in self.slugs_taken:
            return self.org(kind, name=name)
        self.slugs_taken.add(slug)
        return self.org(kind, slug=slug, name=name)

    # ---- catalogue -----------------------------------------------------------------------------

    def provider(
        self, name=None, verified=True, councils=("Brightwater",), districts=("BW1",), org=None, **details
    ):
        """A provider's profile (its organisation made unless given), serving Brightwater, verified."""
        org = org or self.org("provider", name=name)
        profile = catalog.provider_profile(self.session, org)
        catalog.update_profile(
            self.session,
            profile,
            dict(
                description=f"{org.name} cares",
                councils=list(councils),
                postcode_districts=list(districts),
                **details,
            ),
            None,
        )
        if verified:
            catalog.verify_provider(self.session, profile, None)
        self.session.flush()
        return profile

    def staff(self, profile, role="provider"):
        return self.user(role, org=profile.organisation)

    def offer(self, provider=None, publish=True, **fields):
        """Hilltop's overnight short break, changed by `fields`, from `provider` (a new one unless given)."""
        provider = provider or self.provider()
        offer = catalog.create_offer(self.session, provider, {**HILLTOP_OVERNIGHT, **fields}, None)
        if publish:
            catalog.publish_offer(self.session, offer, None)
        return offer

    def slot(self, offer, starts_at=None, hours=17, capacity=4, booked=0, closed=False, days_ahead=7):
        """A slot of `offer` starting `days_ahead` from this hour (or at `starts_at`)."""
        starts_at = starts_at or (
            utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=days_ahead)
        )
        slot = catalog.add_slot(
            self.session, offer, starts_at, starts_at + timedelta(hours=hours), capacity, None
        )
        if booked or closed:
            slot.booked = booked
            slot.closed = closed
            self.session.flush()
        return slot

    # ---- budgets -------------------------------------------------------------------------------

    def budget(
        self, child, *streams, period=PERIOD, status="active", categories=BEN_CATEGORIES, po_numbers=None
    ):
        """A budget for `child` from `streams`: (kind, funder, amount, payment terms in days)."""
        return budgets.create_budget(
            self.session,
            child=child,
            period_start=period[0],
            period_end=period[1],
            status=status,
            streams=[
                {
                    "kind": kind,
                    "funder": funder,
                    "amount": amount,
                    "po_number": (po_numbers or {}).get(kind, f"PO-{kind}"),
                    "payment_terms_days": terms,
                    "categories": list(categories),
                }
                for kind, funder, amount, terms in streams
            ],
        )

    def bens_budget(
        self, child, council, icb, *, social_care=300000, health=150000, period=PERIOD, **options
    ):
        """Example B: social care from the council and health from the ICB, both managed and paying
        for Ben's categories, with the funders' purchase orders and payment terms."""
        return self.budget(
            child,
            ("social_care", council, social_care, BEN_TERMS["social_care"]),
            ("health", icb, health, BEN_TERMS["health"]),
            period=period,
            po_numbers=BEN_PO,
            **options,
        )

    def amys_budget(self, child, council, icb):
        """Example A's budget: three streams (£18,200 / £10,400 / £2,600), all held as an ISF."""
        funders = {"social_care": council, "health": icb, "education": council}
        return budgets.create_budget(
            self.session,
            child=child,
            period_start=PERIOD[0],
            period_end=PERIOD[1],
            streams=[
                {
                    "kind": kind,
                    "funder": funders[kind],
                    "amount": amount,
                    "management": "isf",
                    "po_number": po,
                }
                for kind, amount, po in AMY_STREAMS
            ],
        )
