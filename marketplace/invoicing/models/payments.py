"""Payments received (remittances), their allocations to invoices and their reversals. Never
edited or deleted (the flush guard below)."""

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, Session, backref, mapped_column, relationship

from marketplace.accounts.models import Family, Organisation, User
from marketplace.core.clock import utcnow
from marketplace.core.db import db
from marketplace.core.errors import Conflict
from marketplace.core.types import UTCDateTime
from marketplace.invoicing.models.invoices import ONE_PAYER, Invoice


class Payment(db.Model):
    """Money a provider received from one payer (an organisation or a family): the amount, the day
    it arrived and the payer's reference, allocated to that payer's invoices from the provider.

    Never edited or deleted: a mistake is corrected by a `PaymentReversal`. The reference is unique
    per (provider, payer) — `payer_key` is 'org:12' or 'family:7', as in `books.payer_key` — so the
    same remittance recorded twice is the same payment."""

    __tablename__ = "invoice_payment"
    __table_args__ = (
        UniqueConstraint("provider_id", "payer_key", "reference"),
        CheckConstraint(ONE_PAYER, name="one_payer"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("reference <> ''", name="reference_given"),
        Index("ix_invoice_payment_provider_received", "provider_id", "received_on"),
        Index("ix_invoice_payment_payer_org", "payer_org_id"),
        Index("ix_invoice_payment_payer_family", "payer_family_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    payer_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    payer_family_id: Mapped[int | None] = mapped_column(ForeignKey("family.id"))
    payer_key: Mapped[str] = mapped_column(String(30))
    amount: Mapped[int] = mapped_column(BigInteger)
    received_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(120))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    provider: Mapped[Organisation] = relationship(foreign_keys=[provider_id])
    payer_org: Mapped[Organisation | None] = relationship(foreign_keys=[payer_org_id])
    payer_family: Mapped[Family | None] = relationship()
    recorded_by: Mapped[User | None] = relationship()
    allocations: Mapped[list["PaymentAllocation"]] = relationship(
        back_populates="payment", order_by="PaymentAllocation.id"
    )
    reversal: Mapped["PaymentReversal | None"] = relationship(back_populates="payment", uselist=False)

    @property
    def is_reversed(self) -> bool:
        return self.reversal is not None

    # the payer named as its invoices name it (documents and schemas use either)
    payer_name = Invoice.payer_name
    payer_party = Invoice.payer_party

    @property
    def provider_party(self) -> dict:
        return {"id": self.provider.id, "kind": "organisation", "name": self.provider.name}


class PaymentAllocation(db.Model):
    """The part of a payment that pays one invoice, and the ledger transfer (receivable ->
    cash_received) that moved it. One allocation per invoice per payment."""

    __tablename__ = "invoice_payment_allocation"
    __table_args__ = (
        UniqueConstraint("payment_id", "invoice_id"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("invoice_payment.id"))
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    # set once, in the recording transaction, right after the row (the transfer names the row's id)
    transfer_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("ledger_transfer.id"), unique=True)

    payment: Mapped[Payment] = relationship(back_populates="allocations")
    invoice: Mapped[Invoice] = relationship(
        backref=backref("payment_allocations", order_by="PaymentAllocation.id", viewonly=True)
    )


class PaymentReversal(db.Model):
    """A payment undone (bounced, or recorded against the wrong payer): who, when, and why. A
    payment is reversed once (a unique constraint)."""

    __tablename__ = "invoice_payment_reversal"
    __table_args__ = (CheckConstraint("reason <> ''", name="reason_given"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("invoice_payment.id"), unique=True)
    reason: Mapped[str] = mapped_column(String(2000))
    reversed_on: Mapped[date] = mapped_column(Date)
    reversed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reversed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    payment: Mapped[Payment] = relationship(back_populates="reversal")
    reversed_by: Mapped[User | None] = relationship()


@event.listens_for(Session, "before_flush")
def _refuse_editing_payments(session, flush_context, instances):
    """Payments, their allocations and reversals are never edited or deleted (a reversal corrects a
    payment); the only change is an allocation's ledger transfer being set, once."""
    for obj in session.deleted:
        if isinstance(obj, Payment | PaymentAllocation | PaymentReversal):
            raise Conflict("A payment is never deleted; reverse it instead.", code="payment_recorded")
    for obj in session.dirty:
        if not isinstance(obj, Payment | PaymentAllocation | PaymentReversal):
            continue
        state = inspect(obj)
        changed = {a.key for a in state.mapper.column_attrs if state.attrs[a.key].history.has_changes()}
        if changed and not (isinstance(obj, PaymentAllocation) and _sets_transfer_once(state, changed)):
            raise Conflict(
                f"A recorded payment never changes (tried {sorted(changed)}); reverse it instead.",
                code="payment_recorded",
            )


def _sets_transfer_once(state, changed: set[str]) -> bool:
    before = state.attrs.transfer_id.history.deleted
    return changed == {"transfer_id"} and (not before or before[0] is None)
