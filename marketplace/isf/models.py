"""Individual Service Funds: the agreement, its funders' cycles, receipts, weekly drawdowns,
contingency releases, and the record of every agreement and amendment.

Rows here are facts; money itself lives in the ledger (see `isf.books` for the accounts).
"""

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

from marketplace.accounts.models import Organisation, User
from marketplace.budgets.models import Budget, FundingStream
from marketplace.core.clock import utcnow
from marketplace.core.db import db
from marketplace.core.templating import register_labels
from marketplace.core.types import UTCDateTime, str_enum


class PaymentCycle(enum.StrEnum):
    WEEKLY = "weekly"
    FOUR_WEEKLY = "four_weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


class PaymentTiming(enum.StrEnum):
    ADVANCE = "advance"
    ARREARS = "arrears"


register_labels(
    {  # the terms an ISF amendment names
        "contingency_bp": "Contingency",
        "top_slice_bp": "Top-slice",
        "drawdown_weekday": "Drawdown day",
        "surplus_threshold_weeks": "Surplus threshold (weeks)",
        "family_contribution_first": "Family contribution spent first",
    }
)


class ReleaseStatus(enum.StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REFUSED = "refused"


class AgreementParty(enum.StrEnum):
    PROVIDER = "provider"
    COMMISSIONER = "commissioner"


class Isf(db.Model):
    """An ISF agreement: a budget's `isf` streams held by a provider and drawn down weekly."""

    __tablename__ = "isf"
    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="period_in_order"),
        CheckConstraint("weekly_amount > 0", name="weekly_amount_positive"),
        CheckConstraint("drawdown_weekday BETWEEN 0 AND 6", name="weekday_valid"),
        CheckConstraint("contingency_bp BETWEEN 0 AND 10000", name="contingency_bp_valid"),
        CheckConstraint("top_slice_bp BETWEEN 0 AND 10000", name="top_slice_bp_valid"),
        CheckConstraint("surplus_threshold_weeks > 0", name="threshold_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("budget.id"), unique=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    weekly_amount: Mapped[int] = mapped_column(BigInteger)
    drawdown_weekday: Mapped[int] = mapped_column(Integer, default=0)  # 0 = Monday
    contingency_bp: Mapped[int] = mapped_column(Integer)
    top_slice_bp: Mapped[int] = mapped_column(Integer)
    surplus_threshold_weeks: Mapped[int] = mapped_column(Integer, default=8)
    family_contribution_first: Mapped[bool] = mapped_column(Boolean, default=True)
    parked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    parked_reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    budget: Mapped[Budget] = relationship()
    provider: Mapped[Organisation] = relationship()
    cycles: Mapped[list["IsfFundingCycle"]] = relationship(
        back_populates="isf", order_by="IsfFundingCycle.id", cascade="all, delete-orphan"
    )
    agreements: Mapped[list["IsfAgreement"]] = relationship(back_populates="isf", order_by="IsfAgreement.id")

    @property
    def streams(self) -> list[FundingStream]:
        return [c.stream for c in self.cycles]

    @property
    def funder_ids(self) -> set[int]:
        return {c.stream.funder_id for c in self.cycles}

    @property
    def annual_amount(self) -> int:
        return sum(c.stream.amount for c in self.cycles)

    @property
    def is_agreed(self) -> bool:
        parties = {a.party for a in self.agreements}
        return {AgreementParty.PROVIDER, AgreementParty.COMMISSIONER} <= parties

    @property
    def is_parked(self) -> bool:
        return self.parked_at is not None


class IsfFundingCycle(db.Model):
    """How one of the ISF's funding streams is paid: its cycle, in advance or in arrears."""

    __tablename__ = "isf_funding_cycle"
    __table_args__ = (UniqueConstraint("isf_id", "stream_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    isf_id: Mapped[int] = mapped_column(ForeignKey("isf.id"), index=True)
    stream_id: Mapped[int] = mapped_column(ForeignKey("funding_stream.id"))
    cycle: Mapped[PaymentCycle] = mapped_column(str_enum(PaymentCycle, "isf_payment_cycle"))
    timing: Mapped[PaymentTiming] = mapped_column(str_enum(PaymentTiming, "isf_payment_timing"))

    isf: Mapped[Isf] = relationship(back_populates="cycles")
    stream: Mapped[FundingStream] = relationship()


class IsfAgreement(db.Model):
    """One party's agreement to the ISF's terms (the provider, and a commissioner that funds it)."""

    __tablename__ = "isf_agreement"
    __table_args__ = (UniqueConstraint("isf_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    isf_id: Mapped[int] = mapped_column(ForeignKey("isf.id"), index=True)
    party: Mapped[AgreementParty] = mapped_column(str_enum(AgreementParty, "isf_agreement_party"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    agreed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    isf: Mapped[Isf] = relationship(back_populates="agreements")
    organisation: Mapped[Organisation] = relationship()
    user: Mapped[User | None] = relationship()


class IsfAmendment(db.Model):
    """A change to the ISF's terms: what changed from what to what, by whom and why (append-only)."""

    __tablename__ = "isf_amendment"

    id: Mapped[int] = mapped_column(primary_key=True)
    isf_id: Mapped[int] = mapped_column(ForeignKey("isf.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reason: Mapped[str] = mapped_column(Text)
    changes: Mapped[dict] = mapped_column(JSON)  # {field: [old, new]}
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IsfReceipt(db.Model):
    """Money a funder (or the family) paid into the ISF, split into contingency and available."""

    __tablename__ = "isf_receipt"
    __table_args__ = (
        UniqueConstraint("isf_id", "source_key", "reference"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("contingency >= 0 AND contingency <= amount", name="contingency_within_amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    isf_id: Mapped[int] = mapped_column(ForeignKey("isf.id"), index=True)
    stream_id: Mapped[int | None] = mapped_column(ForeignKey("funding_stream.id"))  # None: family
    funder_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    source_key: Mapped[str] = mapped_column(String(40))  # "stream:12" or "family"
    amount: Mapped[int] = mapped_column(BigInteger)
    contingency: Mapped[int] = mapped_column(BigInteger)
    received_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(120))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    stream: Mapped[FundingStream | None] = relationship()
    funder: Mapped[Organisation | None] = relationship()
    reversal: Mapped["IsfReceiptReversal | None"] = relationship(back_populates="receipt")

    @property
    def available(self) -> int:
        return self.amount - self.contingency

    @property
    def is_reversed(self) -> bool:
        return self.reversal is not None


class IsfReceiptReversal(db.Model):
    """A receipt taken back out of the ISF (its funder's payment was reversed): both its ledger
    transfers reversed, dated `reversed_on`. The receipt itself never changes; at most one each."""

    __tablename__ = "isf_receipt_reversal"
    __table_args__ = (CheckConstraint("reason <> ''", name="reason_given"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    isf_id: Mapped[int] = mapped_column(ForeignKey("isf.id"), index=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("isf_receipt.id"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    reversed_on: Mapped[date] = mapped_column(Date)
    reversed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    receipt: Mapped[IsfReceipt] = relationship(back_populates="reversal")


class IsfDrawdown(db.Model):
    """One ISF's drawdown for one week: exactly one row per (ISF, week), whatever runs it.

    `due` is the planned amount plus the arrears carried in; `drawn` is what the money allowed
    (arrears first); `shortfall` is what is still owed to the provider after this week.
    """

    __tablename__ = "isf_drawdown"
    __table_args__ = (
        UniqueConstraint("isf_id", "week_start"),
        CheckConstraint("drawn >= 0 AND drawn <= due", name="drawn_within_due"),
        CheckConstraint("top_slice + delivery = drawn", name="split_sums"),
        CheckConstraint("shortfall = due - drawn", name="shortfall_is_rest"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    isf_id: Mapped[int] = mapped_column(ForeignKey("isf.id"), index=True)
    week_start: Mapped[date] = mapped_column(Date)
    drawdown_date: Mapped[date] = mapped_column(Date)
    planned: Mapped[int] = mapped_column(BigInteger)
    arrears: Mapped[int] = mapped_column(BigInteger)
    due: Mapped[int] = mapped_column(BigInteger)
    drawn: Mapped[int] = mapped_column(BigInteger)
    top_slice: Mapped[int] = mapped_column(BigInteger)
    delivery: Mapped[int] = mapped_column(BigInteger)
    shortfall: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ContingencyRelease(db.Model):
    """A provider's reasoned request to spend contingency; a funding commissioner decides it once."""

    __tablename__ = "isf_contingency_release"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    isf_id: Mapped[int] = mapped_column(ForeignKey("isf.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[ReleaseStatus] = mapped_column(
        str_enum(ReleaseStatus, "isf_release_status"), default=ReleaseStatus.REQUESTED
    )
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_by_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)
    released_on: Mapped[date | None] = mapped_column(Date)

    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    decided_by_org: Mapped[Organisation | None] = relationship()


class IsfOverdueNotice(db.Model):
    """The notice that a funder's instalment is overdue, told to the holding provider and the
    funder once: one row per (ISF, stream, instalment number) under a unique constraint, inserted
    ON CONFLICT DO NOTHING before anyone is told (so a job run twice, or on two processes, tells
    each once)."""

    __tablename__ = "isf_overdue_notice"
    __table_args__ = (
        UniqueConstraint("isf_id", "stream_id", "number"),
        CheckConstraint("unpaid > 0", name="unpaid_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    isf_id: Mapped[int] = mapped_column(ForeignKey("isf.id"))
    stream_id: Mapped[int] = mapped_column(ForeignKey("funding_stream.id"))
    number: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date)
    unpaid: Mapped[int] = mapped_column(BigInteger)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
