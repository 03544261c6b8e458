"""Demo budgets: Ben's managed budget (DESIGN.md example B), his support plan, and Brightwater
Council's published RAS. Amy's budget belongs to the ISF demo."""

from datetime import date

from sqlalchemy import select

from marketplace.accounts.models import Child, Family, Organisation
from marketplace.budgets import operations
from marketplace.budgets.models import Budget, ResourceAllocationSystem

PERIOD = (date(2026, 4, 1), date(2027, 3, 31))
BEN_CATEGORIES = ["overnight_short_break", "day_session", "activity_group_break", "sibling_support"]
BEN_OUTCOMES = [
    (
        "Ben enjoys regular overnight stays with friends, and his parents get a full night's sleep",
        "short",
        date(2026, 7, 1),
    ),
    ("Ben takes part in a weekly after-school activity of his choosing", "medium", date(2026, 10, 1)),
]
RAS_QUESTIONS = [
    (
        "How much help does your child need with personal care?",
        [("Little or none", 0), ("Some help every day", 4), ("Help with everything, day and night", 8)],
    ),
    (
        "How often are you woken at night to care for your child?",
        [("Rarely", 0), ("Most nights", 3), ("Several times every night", 6)],
    ),
    (
        "Does your child need health procedures (suction, feeding tube, oxygen)?",
        [("No", 0), ("Some, planned", 3), ("Frequent or unpredictable", 6)],
    ),
    ("How much support do you have from family and friends?", [("A lot", 0), ("Some", 2), ("None", 4)]),
]


def _org(session, slug):
    return session.scalar(select(Organisation).where(Organisation.slug == slug))


def load(session, ctx: dict) -> None:
    council, icb = _org(session, "brightwater-council"), _org(session, "nhs-brightwater-icb")
    ben = session.scalar(select(Child).join(Family).where(Family.slug == "bens-family", Child.name == "Ben"))
    budget = session.scalar(select(Budget).where(Budget.child_id == ben.id, Budget.period_start == PERIOD[0]))
    if budget is None:
        budget = operations.create_budget(
            session,
            child=ben,
            period_start=PERIOD[0],
            period_end=PERIOD[1],
            status="active",
            streams=[
                {
                    "kind": "social_care",
                    "funder": council,
                    "amount": 300000,
                    "po_number": "BC-SB-2026-0142",
                    "payment_terms_days": 30,
                    "categories": BEN_CATEGORIES,
                    "management": "managed",
                },
                {
                    "kind": "health",
                    "funder": icb,
                    "amount": 150000,
                    "po_number": "ICB-PHB-88213",
                    "payment_terms_days": 45,
                    "categories": BEN_CATEGORIES,
                    "management": "managed",
                },
            ],
        )
    if not budget.outcomes:
        for description, time_frame, review in BEN_OUTCOMES:
            operations.add_outcome(
                session,
                budget,
                actor=None,
                description=description,
                time_frame=time_frame,
                review_date=review,
            )
    ctx["bens_budget"] = budget
    ras = session.scalar(
        select(ResourceAllocationSystem).where(ResourceAllocationSystem.commissioner_id == council.id)
    )
    if ras is None:
        ras = operations.create_ras(
            session,
            commissioner=council,
            actor=None,
            name="Brightwater short breaks RAS 2026/27",
            pence_per_point=25000,
            questions=[
                {"text": text, "answers": [{"label": label, "points": points} for label, points in answers]}
                for text, answers in RAS_QUESTIONS
            ],
        )
        operations.publish_ras(session, ras, actor=None)
    ctx["brightwater_ras"] = ras
