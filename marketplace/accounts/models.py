"""People and organisations, and who belongs to what."""

import enum
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.core.clock import utcnow
from marketplace.core.db import db
from marketplace.core.types import UTCDateTime, str_enum


class Role(enum.StrEnum):
    FAMILY = "family"
    PROVIDER = "provider"
    COMMISSIONER = "commissioner"
    ADMIN = "admin"


class OrgKind(enum.StrEnum):
    PROVIDER = "provider"
    COMMISSIONER = "commissioner"
    PLATFORM = "platform"


class Organisation(db.Model):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OrgKind] = mapped_column(str_enum(OrgKind, "org_kind"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What invoices need (issue #14). A provider's charity and company numbers stay on its
    # catalog profile, where an admin verifies them; invoices read them from there.
    legal_name: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(Text)  # postal address, one line per line
    postcode: Mapped[str | None] = mapped_column(String(10))
    vat_number: Mapped[str | None] = mapped_column(String(20))
    finance_email: Mapped[str | None] = mapped_column(String(254))
    bank_account_name: Mapped[str | None] = mapped_column(String(120))
    bank_sort_code: Mapped[str | None] = mapped_column(String(8))  # 12-34-56
    bank_account_number: Mapped[str | None] = mapped_column(String(8))
    peppol_id: Mapped[str | None] = mapped_column(String(60))  # 0088:<GLN> or 9932:<UK VAT no.>
    invoice_prefix: Mapped[str | None] = mapped_column(String(6))  # a provider's choice; else from its slug

    memberships: Mapped[list["Membership"]] = relationship(back_populates="organisation")

    def __repr__(self) -> str:
        return f"<Organisation {self.slug}>"


class Family(db.Model):
    """A household: parents/carers (users) and the children the budgets are for."""

    __tablename__ = "family"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    area: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    children: Mapped[list["Child"]] = relationship(back_populates="family", order_by="Child.id")
    members: Mapped[list["User"]] = relationship(back_populates="family")


class Child(db.Model):
    """A child or young person (0–25) for whom budgets are held and short breaks booked."""

    __tablename__ = "child"

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("family.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date] = mapped_column(Date)
    needs: Mapped[str | None] = mapped_column(Text)

    family: Mapped[Family] = relationship(back_populates="children")

    def age_on(self, day: date) -> int:
        years = day.year - self.date_of_birth.year
        if (day.month, day.day) < (self.date_of_birth.month, self.date_of_birth.day):
            years -= 1
        return years


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role, "user_role"))
    family_id: Mapped[int | None] = mapped_column(ForeignKey("family.id"), index=True)
    is_active_account: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of every session's id (get_id): raising it ends every session the user has, on every
    # device (sign-out, a new password).
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # when the person proved the address is theirs (an invitation link, a confirmation e-mail)
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    family: Mapped[Family | None] = relationship(back_populates="members")
    memberships: Mapped[list["Membership"]] = relationship(back_populates="user")

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.is_active_account

    def get_id(self) -> str:  # Flask-Login: what the session cookie names, "id.generation"
        return f"{self.id}.{self.session_generation}"

    @property
    def organisation_ids(self) -> set[int]:
        return {m.organisation_id for m in self.memberships}

    @property
    def organisations(self) -> list[Organisation]:
        return [m.organisation for m in self.memberships]

    @property
    def organisation(self) -> Organisation | None:
        """The user's organisation, for provider and commissioner staff (the first membership)."""
        return self.memberships[0].organisation if self.memberships else None

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class Membership(db.Model):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")


class ApiToken(db.Model):
    """A bearer token for the JSON API; only a SHA-256 hash of the secret is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # when the token stops working; tokens made before expiry existed last DEFAULT_LIFETIME
    # from their creation (operations.token_expiry)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class SignInThrottle(db.Model):
    """Failed sign-ins counted per key: a client address ("ip:…") and an account from an address
    ("account:…|ip:…"). Past a few failures each further one makes the key wait longer before the
    next attempt is even checked. Rows are locked while a sign-in is checked, so parallel guesses
    are counted one after another, in every worker process."""

    __tablename__ = "sign_in_throttle"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(400), unique=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Invitation(db.Model):
    """An invitation to create an account: for a family (linking the new user to it) or for an
    organisation's staff. The link carries a signed token naming this row and a secret whose hash
    is stored; it works once (accepted_at) and only until expires_at. `inviter_org_id` is the
    commissioner that sent it: that commissioner knows the family from then on (budget pickers)."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(str_enum(Role, "user_role"))
    family_id: Mapped[int | None] = mapped_column(ForeignKey("family.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    inviter_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    family: Mapped[Family | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship(foreign_keys=[organisation_id])
    inviter_org: Mapped[Organisation | None] = relationship(foreign_keys=[inviter_org_id])
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])
