"""Personal budgets and their funding streams."""

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Child, Family, Organisation, User
from marketplace.catalog.models import StreamKind
from marketplace.core.clock import utcnow
from marketplace.core.db import db
from marketplace.core.templating import register_labels
from marketplace.core.types import UTCDateTime, str_enum


class ManagementOption(enum.StrEnum):
    MANAGED = "managed"
    ISF = "isf"
    DIRECT_PAYMENT = "direct_payment"
    THIRD_PARTY = "third_party"


register_labels(
    {
        ManagementOption.MANAGED: "Managed by the commissioner",
        ManagementOption.ISF: "Individual Service Fund (held by a provider)",
        ManagementOption.DIRECT_PAYMENT: "Direct payment to the family",
        ManagementOption.THIRD_PARTY: "Third party (a broker)",
        # the fields of a stream an amendment names
        "po_number": "PO number",
        "payment_terms_days": "Payment terms (days)",
        "categories": "May pay for",
    }
)


class BudgetStatus(enum.StrEnum):
    INDICATIVE = "indicative"
    AGREED = "agreed"
    ACTIVE = "active"
    CLOSED = "closed"


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
    outcomes: Mapped[list["SupportOutcome"]] = relationship(
        back_populates="budget", order_by="SupportOutcome.id"
    )

    @property
    def allocated(self) -> int:
        return sum(s.amount for s in self.streams)

    @property
    def funder_ids(self) -> set[int]:
        return {s.funder_id for s in self.streams}

    @property
    def is_closed(self) -> bool:
        return self.status is BudgetStatus.CLOSED


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
    amendments: Mapped[list["BudgetAmendment"]] = relationship(
        back_populates="stream", order_by="BudgetAmendment.id"
    )

    def accepts(self, category: str) -> bool:
        return category in (self.categories or [])


class BudgetAmendment(db.Model):
    """One changed field of a funding stream: who, when, old and new value, and why (append-only)."""

    __tablename__ = "budget_amendment"

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("budget.id"), index=True)
    stream_id: Mapped[int] = mapped_column(ForeignKey("funding_stream.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    field: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[object] = mapped_column(JSON)
    new_value: Mapped[object] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)

    stream: Mapped[FundingStream] = relationship(back_populates="amendments")
    actor: Mapped[User | None] = relationship()


class TimeFrame(enum.StrEnum):
    SHORT = "short"
    MEDIUM = "medium"
    LONG = "long"


class OutcomeStatus(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    ACHIEVED = "achieved"
    PARTLY_ACHIEVED = "partly_achieved"
    NOT_ACHIEVED = "not_achieved"
    NO_LONGER_NEEDED = "no_longer_needed"


class SupportOutcome(db.Model):
    """An outcome in the budget's support plan; bookings name the outcome they serve."""

    __tablename__ = "support_outcome"

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("budget.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    time_frame: Mapped[TimeFrame] = mapped_column(str_enum(TimeFrame, "outcome_time_frame"))
    review_date: Mapped[date] = mapped_column(Date)
    status: Mapped[OutcomeStatus] = mapped_column(
        str_enum(OutcomeStatus, "outcome_status"), default=OutcomeStatus.NOT_STARTED
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    budget: Mapped[Budget] = relationship(back_populates="outcomes")


class ResourceAllocationSystem(db.Model):
    """A commissioner's published scoring of need: answers score points, points × pence per point.

    `live` is True for the one published RAS of a commissioner and NULL otherwise, so the unique
    constraint allows exactly one live RAS per commissioner (NULLs never collide).
    A published RAS never changes; a new version is a new RAS.
    """

    __tablename__ = "ras"
    __table_args__ = (
        UniqueConstraint("commissioner_id", "live"),
        CheckConstraint("pence_per_point > 0", name="pence_per_point_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commissioner_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    pence_per_point: Mapped[int] = mapped_column(BigInteger)
    live: Mapped[bool | None] = mapped_column(Boolean)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    commissioner: Mapped[Organisation] = relationship()
    questions: Mapped[list["RasQuestion"]] = relationship(
        back_populates="ras", order_by="RasQuestion.position"
    )

    @property
    def status(self) -> str:
        if self.live:
            return "published"
        return "retired" if self.published_at else "draft"


class RasQuestion(db.Model):
    __tablename__ = "ras_question"
    __table_args__ = (UniqueConstraint("ras_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ras_id: Mapped[int] = mapped_column(ForeignKey("ras.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)

    ras: Mapped[ResourceAllocationSystem] = relationship(back_populates="questions")
    answers: Mapped[list["RasAnswer"]] = relationship(
        back_populates="question", order_by="RasAnswer.position"
    )


class RasAnswer(db.Model):
    __tablename__ = "ras_answer"
    __table_args__ = (
        UniqueConstraint("question_id", "position"),
        CheckConstraint("points >= 0", name="points_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("ras_question.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(300))
    points: Mapped[int] = mapped_column(Integer)

    question: Mapped[RasQuestion] = relationship(back_populates="answers")


class RasAssessment(db.Model):
    """A completed RAS for a child: the answers chosen (a snapshot) and the indicative allocation."""

    __tablename__ = "ras_assessment"
    __table_args__ = (
        CheckConstraint("total_points >= 0", name="points_not_negative"),
        CheckConstraint(
            "indicative_amount = total_points * pence_per_point", name="amount_is_points_times_rate"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ras_id: Mapped[int] = mapped_column(ForeignKey("ras.id"), index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id"), index=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("family.id"), index=True)
    assessed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    total_points: Mapped[int] = mapped_column(Integer)
    pence_per_point: Mapped[int] = mapped_column(BigInteger)
    indicative_amount: Mapped[int] = mapped_column(BigInteger)
    # [{question_id, question, answer_id, answer, points}], in question order
    answers: Mapped[list] = mapped_column(JSON)

    ras: Mapped[ResourceAllocationSystem] = relationship()
    child: Mapped[Child] = relationship()
