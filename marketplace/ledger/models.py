"""Ledger tables. Transfers, holds and resolutions are append-only: no UPDATE or DELETE anywhere.

The only mutable columns are an account's cached `posted` and `pending_out`, which change in
the same transaction as the transfer or hold that moves them, under a row lock (rule 3).
"""

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from marketplace.core.base import Base
from marketplace.core.clock import utcnow
from marketplace.core.types import UTCDateTime
from marketplace.ledger.errors import AppendOnlyViolation

# 64-bit ids on PostgreSQL; SQLite only auto-increments a column declared INTEGER.
BIG_ID = BigInteger().with_variant(Integer, "sqlite")


class Account(Base):
    """A ledger account. Balance = credits − debits. Never deleted.

    `owner_type`/`owner_id` name what it belongs to (a budget stream, an ISF, a provider, a
    funder, the outside world); `kind` says which of the owner's balances it is.
    """

    __tablename__ = "ledger_account"
    __table_args__ = (
        UniqueConstraint("owner_type", "owner_id", "kind"),
        CheckConstraint("pending_out >= 0", name="pending_out_non_negative"),
        CheckConstraint("NOT non_negative OR posted - pending_out >= 0", name="protected_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_type: Mapped[str] = mapped_column(String(40))
    owner_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200), default="")
    non_negative: Mapped[bool] = mapped_column(Boolean, default=False)
    posted: Mapped[int] = mapped_column(BigInteger, default=0)
    pending_out: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def available(self) -> int:
        return self.posted - self.pending_out

    def __repr__(self) -> str:
        return f"<Account {self.id} {self.owner_type}:{self.owner_id}:{self.kind} posted={self.posted}>"


class Transfer(Base):
    """One balanced movement: `amount` leaves the debit account and enters the credit account."""

    __tablename__ = "ledger_transfer"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("debit_account_id <> credit_account_id", name="two_accounts"),
        Index("ix_ledger_transfer_debit", "debit_account_id", "effective_date"),
        Index("ix_ledger_transfer_credit", "credit_account_id", "effective_date"),
        Index("ix_ledger_transfer_reference", "reference_type", "reference_id"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    debit_account_id: Mapped[int] = mapped_column(ForeignKey("ledger_account.id"))
    credit_account_id: Mapped[int] = mapped_column(ForeignKey("ledger_account.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    code: Mapped[str] = mapped_column(String(30))
    reference_type: Mapped[str | None] = mapped_column(String(40))
    reference_id: Mapped[str | None] = mapped_column(String(60))
    hold_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("ledger_hold.id"), unique=True)
    reverses_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("ledger_transfer.id"), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    effective_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    debit_account: Mapped[Account] = relationship(foreign_keys=[debit_account_id])
    credit_account: Mapped[Account] = relationship(foreign_keys=[credit_account_id])


class Hold(Base):
    """A pending transfer (two-phase): reserved on the debit account until posted or voided."""

    __tablename__ = "ledger_hold"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("debit_account_id <> credit_account_id", name="two_accounts"),
        Index("ix_ledger_hold_reference", "reference_type", "reference_id"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    debit_account_id: Mapped[int] = mapped_column(ForeignKey("ledger_account.id"), index=True)
    credit_account_id: Mapped[int] = mapped_column(ForeignKey("ledger_account.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    code: Mapped[str] = mapped_column(String(30))
    reference_type: Mapped[str | None] = mapped_column(String(40))
    reference_id: Mapped[str | None] = mapped_column(String(60))
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    effective_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    debit_account: Mapped[Account] = relationship(foreign_keys=[debit_account_id])
    credit_account: Mapped[Account] = relationship(foreign_keys=[credit_account_id])
    resolution: Mapped["HoldResolution | None"] = relationship(back_populates="hold", uselist=False)

    @property
    def is_pending(self) -> bool:
        return self.resolution is None


class HoldResolution(Base):
    """How a hold ended: posted (all or part) or voided. One per hold, by a unique constraint."""

    __tablename__ = "ledger_hold_resolution"
    __table_args__ = (
        CheckConstraint("posted_amount >= 0", name="posted_not_negative"),
        CheckConstraint("outcome IN ('posted', 'voided')", name="outcome_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hold_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("ledger_hold.id"), unique=True)
    outcome: Mapped[str] = mapped_column(String(10))  # "posted" or "voided"
    posted_amount: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    hold: Mapped[Hold] = relationship(back_populates="resolution")


class IdempotencyRecord(Base):
    """A request made once: its key, a hash of its payload and what it produced."""

    __tablename__ = "ledger_idempotency"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    result_type: Mapped[str | None] = mapped_column(String(20))
    result_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# ---- the append-only guard ------------------------------------------------------------------

APPEND_ONLY = (Transfer, Hold, HoldResolution)
NEVER_DELETED = (*APPEND_ONLY, Account)
# An account's cached balance moves with its transfers and holds; its name may be corrected.
ACCOUNT_MUTABLE = frozenset({"posted", "pending_out", "name"})


def _changed_columns(obj) -> set[str]:
    state = inspect(obj)
    return {attr.key for attr in state.mapper.column_attrs if state.attrs[attr.key].history.has_changes()}


@event.listens_for(Session, "before_flush")
def _refuse_rewriting_history(session, flush_context, instances):
    """Transfers, holds and resolutions are never updated or deleted; accounts never deleted (rule 2).

    A cheap guarantee against a well-meant `transfer.amount = ...` anywhere in the code base.
    """
    for obj in session.deleted:
        if isinstance(obj, NEVER_DELETED):
            raise AppendOnlyViolation(f"{type(obj).__name__} rows are never deleted")
    for obj in session.dirty:
        if isinstance(obj, APPEND_ONLY):
            changed = _changed_columns(obj)
            if changed:
                raise AppendOnlyViolation(
                    f"{type(obj).__name__} rows are append-only; tried to change {sorted(changed)}"
                )
        elif isinstance(obj, Account):
            changed = _changed_columns(obj) - ACCOUNT_MUTABLE
            if changed:
                raise AppendOnlyViolation(f"an account's {sorted(changed)} never change")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_rewrites(orm_execute_state):
    """The same rule for ORM-enabled bulk `update(Transfer)` / `delete(Hold)` statements."""
    if not (orm_execute_state.is_update or orm_execute_state.is_delete):
        return
    for mapper in orm_execute_state.all_mappers:
        cls = mapper.class_
        if issubclass(cls, APPEND_ONLY) or (orm_execute_state.is_delete and issubclass(cls, Account)):
            verb = "updated" if orm_execute_state.is_update else "deleted"
            raise AppendOnlyViolation(f"{cls.__name__} rows are never {verb} in bulk")
