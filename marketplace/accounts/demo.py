"""Demo organisations, families and sign-ins: the parties of DESIGN.md's worked examples."""

from datetime import date

from sqlalchemy import select

from marketplace.accounts import operations
from marketplace.accounts.models import Child, Family, Organisation, User
from marketplace.core.demo import DEMO_PASSWORD

ORGANISATIONS = [
    ("hilltop-hospice", "Hilltop Children's Hospice", "provider"),
    ("brightwater-council", "Brightwater Council", "commissioner"),
    ("nhs-brightwater-icb", "NHS Brightwater ICB", "commissioner"),
    ("short-breaks-platform", "Short Breaks Platform", "platform"),
]
FAMILIES = [
    ("amys-family", "Amy's family", "Brightwater", [("Amy", date(2015, 6, 14))]),
    ("bens-family", "Ben's family", "Brightwater", [("Ben", date(2012, 2, 3))]),
]
USERS = [
    ("family", "sarah@amys-family.example", "Sarah (Amy's mum)", None, "amys-family"),
    ("family", "tom@bens-family.example", "Tom (Ben's dad)", None, "bens-family"),
    ("provider", "finance@hilltop.example", "Priya, Hilltop finance", "hilltop-hospice", None),
    (
        "commissioner",
        "sen-team@brightwater.example",
        "Brightwater short-breaks team",
        "brightwater-council",
        None,
    ),
    (
        "commissioner",
        "chc@brightwater-icb.example",
        "ICB personal health budgets",
        "nhs-brightwater-icb",
        None,
    ),
    ("admin", "admin@platform.example", "Platform admin", "short-breaks-platform", None),
]


def organisation(session, slug):
    return session.scalar(select(Organisation).where(Organisation.slug == slug))


def family(session, slug):
    return session.scalar(select(Family).where(Family.slug == slug))


def load(session, ctx: dict) -> None:
    for slug, name, kind in ORGANISATIONS:
        if organisation(session, slug) is None:
            operations.create_organisation(session, slug=slug, name=name, kind=kind)
    for slug, name, area, children in FAMILIES:
        fam = family(session, slug) or operations.create_family(session, slug=slug, name=name, area=area)
        for child_name, dob in children:
            exists = session.scalar(select(Child).where(Child.family_id == fam.id, Child.name == child_name))
            if exists is None:
                operations.add_child(session, fam, name=child_name, date_of_birth=dob)
    for role, email, name, org_slug, family_slug in USERS:
        if session.scalar(select(User).where(User.email == email)) is None:
            operations.create_user(
                session,
                email=email,
                name=name,
                password=DEMO_PASSWORD,
                role=role,
                organisation=organisation(session, org_slug) if org_slug else None,
                family=family(session, family_slug) if family_slug else None,
            )
        ctx["sign_ins"].append((role, email, name))
