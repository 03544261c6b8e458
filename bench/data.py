"""Set-based data generators for benchmarks: thousands of rows in a few INSERT statements.

Rows go in through SQLAlchemy's ORM bulk INSERT (one executemany per table), not through the
operations, so generating data never dominates a benchmark. Everything is deterministic for a
given scale, so two runs measure the same database.
"""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import insert
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from marketplace.accounts import operations as accounts_ops
from marketplace.accounts.models import Child, Family, Membership, Organisation, User

PASSWORD = "Bench-password-2026"
FAMILIES_PER_SCALE = 1000
PROVIDERS_PER_SCALE = 20
COMMISSIONERS_PER_SCALE = 5
STAFF_PER_ORGANISATION = 2


@dataclass
class People:
    """What make_people created: ids in creation order, and sign-ins that work with PASSWORD."""

    provider_ids: list[int] = field(default_factory=list)
    commissioner_ids: list[int] = field(default_factory=list)
    family_ids: list[int] = field(default_factory=list)
    child_ids: list[int] = field(default_factory=list)
    family_emails: list[str] = field(default_factory=list)
    staff_emails: list[str] = field(default_factory=list)
    password: str = PASSWORD


def _insert(session: Session, model, rows: list[dict]) -> list[int]:
    if not rows:
        return []
    stmt = insert(model).returning(model.id, sort_by_parameter_order=True)
    return list(session.scalars(stmt, rows))


def make_people(session: Session, scale: int = 1, prefix: str = "bench") -> People:
    """Organisations, families with a child each, and a user for every family and two staff per
    organisation: 1,000 families, 20 providers and 5 commissioners per unit of scale.

    Every user's password is PASSWORD, hashed once with the production method (so signing in
    costs what it costs in production). Flushes; the caller commits.
    """
    people = People()
    password_hash = generate_password_hash(PASSWORD, method=accounts_ops.PASSWORD_METHOD)
    orgs = [
        (f"{prefix}-provider-{n}", f"Provider {n}", "provider") for n in range(PROVIDERS_PER_SCALE * scale)
    ]
    orgs += [
        (f"{prefix}-commissioner-{n}", f"Commissioner {n}", "commissioner")
        for n in range(COMMISSIONERS_PER_SCALE * scale)
    ]
    org_ids = _insert(session, Organisation, [{"slug": s, "name": n, "kind": k} for s, n, k in orgs])
    people.provider_ids = org_ids[: PROVIDERS_PER_SCALE * scale]
    people.commissioner_ids = org_ids[PROVIDERS_PER_SCALE * scale :]

    families = range(FAMILIES_PER_SCALE * scale)
    people.family_ids = _insert(
        session,
        Family,
        [{"slug": f"{prefix}-family-{n}", "name": f"Family {n}", "area": f"Area {n % 40}"} for n in families],
    )
    people.child_ids = _insert(
        session,
        Child,
        [
            {
                "family_id": fid,
                "name": f"Child {n}",
                "date_of_birth": date(2008 + n % 17, 1 + n % 12, 1 + n % 28),
            }
            for n, fid in enumerate(people.family_ids)
        ],
    )

    users = []
    for n, fid in enumerate(people.family_ids):
        email = f"parent{n}@{prefix}-families.example"
        people.family_emails.append(email)
        users.append({"email": email, "name": f"Parent {n}", "role": "family", "family_id": fid})
    staff_orgs = []
    for (slug, _, kind), oid in zip(orgs, org_ids, strict=True):
        for s in range(STAFF_PER_ORGANISATION):
            email = f"staff{s}@{slug}.example"
            people.staff_emails.append(email)
            users.append({"email": email, "name": f"Staff {s} of {slug}", "role": kind, "family_id": None})
            staff_orgs.append(oid)
    for row in users:
        row.update(password_hash=password_hash, is_active_account=True, session_generation=0)
    user_ids = _insert(session, User, users)
    staff_ids = user_ids[len(people.family_ids) :]
    _insert(
        session,
        Membership,
        [
            {"user_id": uid, "organisation_id": oid, "is_admin": False}
            for uid, oid in zip(staff_ids, staff_orgs, strict=True)
        ],
    )
    session.flush()
    return people
