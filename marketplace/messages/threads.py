"""A thread is a booking's or an ISF's conversation. Who is party to it, and as whom each party
writes, is decided here once: the views, the API, the operation and the notices all ask this."""

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Membership, Role, User
from marketplace.bookings.models import Booking
from marketplace.core.clock import business_date
from marketplace.isf.models import Isf


@dataclass(frozen=True)
class Thread:
    """The booking or the ISF a conversation belongs to."""

    subject: Booking | Isf

    @property
    def is_booking(self) -> bool:
        return isinstance(self.subject, Booking)

    @property
    def family_id(self) -> int:
        return self.subject.family_id if self.is_booking else self.subject.budget.family_id

    @property
    def child_name(self) -> str:
        return self.subject.child.name if self.is_booking else self.subject.budget.child.name

    @property
    def organisation_ids(self) -> dict[Role, set[int]]:
        """The organisations party to the thread, by the role their staff must have."""
        orgs = {Role.PROVIDER: {self.subject.provider_id}}
        if not self.is_booking:
            orgs[Role.COMMISSIONER] = set(self.subject.funder_ids)
        return orgs

    @property
    def link(self) -> str:
        return (
            f"/bookings/{self.subject.id}/messages"
            if self.is_booking
            else f"/isfs/{self.subject.id}/messages"
        )

    @property
    def page_link(self) -> str:
        return f"/bookings/{self.subject.id}" if self.is_booking else f"/isfs/{self.subject.id}"

    @property
    def title(self) -> str:
        """What the thread is about, in words: "Overnight short break for Ben on 5 December 2026"."""
        if self.is_booking:
            day = business_date(self.subject.slot.starts_at)
            return f"{self.subject.offer.title} for {self.child_name} on {day:%-d %B %Y}"
        return f"{self.child_name}'s ISF held by {self.subject.provider.name}"


def speaks_for(user: User, thread: Thread) -> str | None:
    """Whom the user writes for in this thread (the family's or an organisation's name), or None
    when the user is not party to it. Admins are not parties: they may see, not join."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.role is Role.FAMILY:
        return user.family.name if user.family_id == thread.family_id and user.family else None
    for org in user.organisations:
        if org.id in thread.organisation_ids.get(user.role, set()):
            return org.name
    return None


def parties(session: Session, thread: Thread) -> list[User]:
    """Every active user party to the thread: the family's members and the parties' staff."""
    conditions = [(User.role == Role.FAMILY) & (User.family_id == thread.family_id)]
    for role, org_ids in thread.organisation_ids.items():
        members = select(Membership.user_id).where(Membership.organisation_id.in_(org_ids))
        conditions.append((User.role == role) & User.id.in_(members))
    users = session.scalars(select(User).where(or_(*conditions)).order_by(User.id))
    return [u for u in users if u.is_active]


def party_kind(user: User) -> str:
    """ "family", "provider" or "commissioner": how a notice is worded for this reader."""
    return user.role.value
