"""Demo organisations, families and sign-ins: the parties of DESIGN.md's worked examples."""

from datetime import date

from sqlalchemy import select

from marketplace.accounts import invoicing_details, operations
from marketplace.accounts.models import Child, Family, Organisation, User
from marketplace.core.demo import DEMO_PASSWORD

ORGANISATIONS = [
    ("hilltop-hospice", "Hilltop Children's Hospice", "provider"),
    ("brightwater-council", "Brightwater Council", "commissioner"),
    ("nhs-brightwater-icb", "NHS Brightwater ICB", "commissioner"),
    ("short-breaks-platform", "Short Breaks Platform", "platform"),
]
# Made-up invoicing details (issue #14): what a seller's and a buyer's invoice header needs.
INVOICING_DETAILS = {
    "hilltop-hospice": dict(
        legal_name="Hilltop Children's Hospice Trust",
        address="Hilltop House\n12 Beacon Lane\nBrightwater",
        postcode="BW1 4HT",
        finance_email="finance@hilltop.example",
        bank_account_name="Hilltop Children's Hospice Trust",
        bank_sort_code="30-94-57",
        bank_account_number="00733445",
        peppol_id="0088:5012345000015",
    ),
    "brightwater-council": dict(
        legal_name="Brightwater Borough Council",
        address="Accounts Payable\nCivic Centre, Market Street\nBrightwater",
        postcode="BW1 1CC",
        vat_number="GB123456782",
        finance_email="accounts.payable@brightwater.example",
        peppol_id="0088:5012345000022",
    ),
    "nhs-brightwater-icb": dict(
        legal_name="NHS Brightwater Integrated Care Board",
        address="Payables Team\nRiverside House, 2 Quay Road\nBrightwater",
        postcode="BW2 7QR",
        vat_number="GB654321987",
        finance_email="payables@brightwater-icb.example",
        peppol_id="9932:GB654321987",
    ),
    "short-breaks-platform": dict(
        legal_name="Short Breaks Platform CIC",
        address="Unit 4, The Sidings\nBrightwater",
        postcode="BW3 9SP",
        finance_email="finance@platform.example",
        peppol_id="0088:5012345000039",  # delivers e-invoices to parties with no Peppol id of their own
    ),
}


def add_invoicing_details(session) -> None:
    """Give every demo organisation without them plausible invoicing details; the providers the
    catalog's demo adds get made-up ones of their own (idempotent)."""
    orgs = session.scalars(select(Organisation).order_by(Organisation.id)).all()
    for n, org in enumerate(orgs, start=1):
        if org.finance_email:
            continue
        details = INVOICING_DETAILS.get(org.slug)
        if details is None and org.kind.value == "provider":
            details = dict(
                address=f"{10 + n} High Street\nBrightwater",
                postcode=f"BW{1 + n % 3} {n % 10}AB",
                finance_email=f"accounts@{org.slug}.example",
                bank_account_name=org.name,
                bank_sort_code=f"40-11-{n:02d}",
                bank_account_number=f"{41000000 + n * 137:08d}",
            )
        if details is not None:
            invoicing_details.update_invoicing_details(session, org, details, None)


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
    add_invoicing_details(session)
