"""What the admin console lists: read-only queries, paged. Nothing here changes state."""

from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select

from marketplace.accounts.models import Family, Invitation, Membership, Organisation, OrgKind, Role, User
from marketplace.catalog.models import ProviderProfile
from marketplace.core.audit import AuditEntry
from marketplace.core.db import db

PER_PAGE = 50


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.casefold()}%"


def users_query(q: str = "", role: str = "", status: str = "") -> Select:
    """Users by name or e-mail (a substring), role and whether they may sign in; by name."""
    query = select(User)
    if q:
        pattern = _like(q)
        query = query.where(
            or_(
                func.lower(User.name).like(pattern, escape="\\"),
                func.lower(User.email).like(pattern, escape="\\"),
            )
        )
    if role:
        query = query.where(User.role == Role(role))
    if status == "active":
        query = query.where(User.is_active_account.is_(True))
    elif status == "deactivated":
        query = query.where(User.is_active_account.is_(False))
    return query.order_by(func.lower(User.name), User.id)


def page(query: Select, number: int, per_page: int = PER_PAGE):
    return db.paginate(query, page=number, per_page=per_page, error_out=False, count=True)


def organisations() -> list[tuple[Organisation, int, ProviderProfile | None]]:
    """Every organisation with its number of staff and, for providers, its profile (verification)."""
    staff = (
        select(func.count())
        .select_from(Membership)
        .where(Membership.organisation_id == Organisation.id)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Organisation, staff, ProviderProfile)
        .outerjoin(ProviderProfile, ProviderProfile.organisation_id == Organisation.id)
        .order_by(Organisation.kind, func.lower(Organisation.name))
    ).all()
    return [(org, count, profile) for org, count, profile in rows]


def families_query(q: str = "") -> Select:
    query = select(Family)
    if q:
        query = query.where(func.lower(Family.name).like(_like(q), escape="\\"))
    return query.order_by(func.lower(Family.name), Family.id)


def open_invitations(family_ids: list[int]) -> dict[int, list[Invitation]]:
    if not family_ids:
        return {}
    rows = db.session.scalars(
        select(Invitation)
        .where(Invitation.family_id.in_(family_ids), Invitation.accepted_at.is_(None))
        .order_by(Invitation.created_at)
    )
    out: dict[int, list[Invitation]] = {}
    for invitation in rows:
        out.setdefault(invitation.family_id, []).append(invitation)
    return out


@dataclass
class AuditFilter:
    object_type: str = ""
    object_id: str = ""
    user: str = ""  # the actor's e-mail address
    action: str = ""


def audit_query(f: AuditFilter) -> Select:
    """The audit log, newest first, narrowed to an object (type, and id), a user (who acted) and an action."""
    query = select(AuditEntry, User).outerjoin(User, User.id == AuditEntry.actor_id)
    if f.object_type:
        query = query.where(AuditEntry.object_type == f.object_type)
    if f.object_id:
        query = query.where(AuditEntry.object_id == f.object_id)
    if f.user:
        query = query.where(func.lower(User.email) == f.user.strip().casefold())
    if f.action:
        query = query.where(AuditEntry.action == f.action)
    return query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def audit_page(f: AuditFilter, number: int, per_page: int = PER_PAGE):
    """One page of (entry, actor) rows and the total."""
    query = audit_query(f)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.execute(query.limit(per_page).offset((number - 1) * per_page)).all()
    return rows, total


def audit_choices() -> tuple[list[str], list[str]]:
    """The object types and actions the log holds, for the filter's lists."""
    types = db.session.scalars(select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type))
    actions = db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action))
    return list(types), list(actions)


def counts() -> dict[str, int]:
    waiting = select(func.count()).select_from(ProviderProfile).where(ProviderProfile.verified_at.is_(None))
    return {
        "users": db.session.scalar(select(func.count()).select_from(User)),
        "deactivated": db.session.scalar(
            select(func.count()).select_from(User).where(User.is_active_account.is_(False))
        ),
        "organisations": db.session.scalar(select(func.count()).select_from(Organisation)),
        "waiting": db.session.scalar(waiting),
        "families": db.session.scalar(select(func.count()).select_from(Family)),
    }


def invitable_organisations() -> list[Organisation]:
    kinds = (OrgKind.PROVIDER, OrgKind.COMMISSIONER)
    return list(
        db.session.scalars(
            select(Organisation).where(Organisation.kind.in_(kinds)).order_by(Organisation.name)
        )
    )


def all_families() -> list[Family]:
    return list(db.session.scalars(select(Family).order_by(func.lower(Family.name), Family.id)))
