"""Personal budgets and their funding streams."""

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Child, Family, Organisation
from marketplace.core.clock import utcnow
from marketplace.core.db import db
from marketplace.core.types import UTCDateTime


class StreamKind(enum.StrEnum):
    SOCIAL_CARE = "social_care"
    EDUCATION = "education"
    HEALTH = "health"
    CHARITY = "charity"


class ManagementOption(enum.StrEnum):
    MANAGED = "managed"
    ISF = "isf"
    DIRECT_PAYMENT = "direct_payment"
    THIRD_PARTY = "third_party"


class BudgetStatus(enum.StrEnum):
    INDICATIVE = "indicative"
    AGREED = "agreed"
    ACTIVE = "active"
    CLOSED = "closed"


def str_enum(cls, name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class Budget(db.Model):
    """A child's personal budget for a period (usually the financial year)."""

    __tablename__ = "budget"
    __table_args__ = (CheckConstraint("period_end >= period_start", name="period_in_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id"), index=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("family.id"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    status: Mapped[BudgetStatus] = mapped_column(
        str_enum(BudgetStatus, "budget_status"), default=BudgetStatus.ACTIVE
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    child: Mapped[Child] = relationship()
    family: Mapped[Family] = relationship()
    streams: Mapped[list["FundingStream"]] = relationship(
        back_populates="budget", order_by="FundingStream.position"
    )

    @property
    def allocated(self) -> int:
        return sum(s.amount for s in self.streams)

    @property
    def funder_ids(self) -> set[int]:
        return {s.funder_id for s in self.streams}


class FundingStream(db.Model):
    """One funder's part of a budget. `position` is the listed order (ties in splits go to the first)."""

    __tablename__ = "funding_stream"
    __table_args__ = (
        UniqueConstraint("budget_id", "kind"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("payment_terms_days >= 0", name="terms_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("budget.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[StreamKind] = mapped_column(str_enum(StreamKind, "stream_kind"))
    funder_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    po_number: Mapped[str] = mapped_column(String(60), default="")
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=30)
    categories: Mapped[list] = mapped_column(JSON, default=list)
    management: Mapped[ManagementOption] = mapped_column(
        str_enum(ManagementOption, "management_option"), default=ManagementOption.MANAGED
    )

    budget: Mapped[Budget] = relationship(back_populates="streams")
    funder: Mapped[Organisation] = relationship()

    def accepts(self, category: str) -> bool:
        return category in (self.categories or [])
