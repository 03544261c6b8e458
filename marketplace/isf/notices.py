"""Who is told of an ISF's events, in words for each reader (issue #17 item 6): the funders'
commissioners are told of contingency requests (they must decide them); the family is told of
what changes its fund (agreed, parked, un-parked, a release decided, a receipt reversed); the
holding provider of a decision on its request. Operations call these after they change state."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Membership, Role, User
from marketplace.core.money import format_bp, format_pence
from marketplace.core.notifications import notify
from marketplace.isf.models import ContingencyRelease, Isf, IsfReceipt, ReleaseStatus


def family_members(session: Session, isf: Isf) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .where(User.family_id == isf.budget.family_id, User.role == Role.FAMILY, User.is_active_account)
            .order_by(User.id)
        )
    )


def _staff(session: Session, org_ids: set[int], role: Role) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .where(User.role == role, User.is_active_account)
            .where(User.id.in_(select(Membership.user_id).where(Membership.organisation_id.in_(org_ids))))
            .order_by(User.id)
        )
    )


def provider_staff(session: Session, isf: Isf) -> list[User]:
    return _staff(session, {isf.provider_id}, Role.PROVIDER)


def funder_staff(session: Session, isf: Isf) -> list[User]:
    return _staff(session, set(isf.funder_ids), Role.COMMISSIONER)


def _link(isf: Isf) -> str:
    return f"/isfs/{isf.id}"


def _theirs(isf: Isf) -> str:
    return f"{isf.budget.child.name}'s ISF"


def release_requested(session: Session, isf: Isf, release: ContingencyRelease) -> None:
    """The funders decide contingency releases: each funder's commissioners are asked."""
    notify(
        session,
        funder_staff(session, isf),
        f"Decision needed: {isf.provider.name} asks to release {format_pence(release.amount)} "
        f"of {_theirs(isf)} contingency",
        f"What it is for: {release.reason}. Approve or refuse it on the ISF's page.",
        link=_link(isf),
    )


def release_decided(session: Session, isf: Isf, release: ContingencyRelease) -> None:
    """The family and the holding provider learn what a funder decided, and why if refused."""
    amount = format_pence(release.amount)
    approved = release.status is ReleaseStatus.APPROVED
    decided = "approved" if approved else "refused"
    by = release.decided_by_org.name if release.decided_by_org else "The funder"
    why = f" Reason: {release.decision_note}" if release.decision_note else ""
    what = f"For: {release.reason}.{why}"
    notify(
        session,
        family_members(session, isf),
        f"{by} {decided} {amount} from your ISF's contingency",
        what
        + (" It has been paid to the provider from the contingency." if approved else " Nothing was spent."),
        link=_link(isf),
    )
    notify(
        session,
        provider_staff(session, isf),
        f"{by} {decided} your request for {amount} of {_theirs(isf)} contingency",
        what,
        link=_link(isf),
    )


def agreed(session: Session, isf: Isf) -> None:
    """Once both sides have agreed the terms, the family is told its ISF is in place."""
    notify(
        session,
        family_members(session, isf),
        f"Your ISF with {isf.provider.name} is agreed",
        f"{format_pence(isf.weekly_amount)} a week will be drawn for {isf.budget.child.name}'s care, "
        f"of which {format_bp(isf.top_slice_bp)} is {isf.provider.name}'s management share.",
        link=_link(isf),
    )


def parked(session: Session, isf: Isf, reason: str) -> None:
    notify(
        session,
        family_members(session, isf),
        f"Your ISF with {isf.provider.name} is paused",
        f"The weekly drawdown has stopped until {isf.provider.name} checks it: {reason}",
        link=_link(isf),
    )
    notify(
        session,
        provider_staff(session, isf),
        f"{_theirs(isf)} is parked: check it and un-park it",
        reason,
        link=_link(isf),
    )


def unparked(session: Session, isf: Isf, weeks: int, drawn: int) -> None:
    caught_up = (
        f"{weeks} week{'s' if weeks != 1 else ''} drawn, {format_pence(drawn)} in all"
        if weeks
        else "Nothing was due."
    )
    notify(
        session,
        family_members(session, isf),
        f"Your ISF with {isf.provider.name} is running again",
        f"The weekly drawdown has restarted. {caught_up}.",
        link=_link(isf),
    )


def receipt_reversed(session: Session, isf: Isf, receipt: IsfReceipt, reason: str) -> None:
    source = receipt.funder.name if receipt.funder else "your own contribution"
    notify(
        session,
        family_members(session, isf),
        f"A payment into your ISF was reversed: {format_pence(receipt.amount)} from {source}",
        f"It has been taken back out of the fund. Reason: {reason}",
        link=_link(isf),
    )
