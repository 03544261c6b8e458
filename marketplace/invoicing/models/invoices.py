"""Invoices: runs, each provider's number counter, billable items (one payer's share of one
thing, recorded once), invoices and their lines, and what each ISF funding line received.
An issued invoice never changes (the flush guard below)."""

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
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

from marketplace.accounts.models import Family, Organisation, User
from marketplace.core.clock import utcnow
from marketplace.core.db import db
from marketplace.core.errors import Conflict
from marketplace.core.templating import value_words
from marketplace.core.types import UTCDateTime, str_enum

ONE_PAYER = "(payer_org_id IS NULL) <> (payer_family_id IS NULL)"


class InvoiceStatus(enum.StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"
    PART_PAID = "part_paid"
    PAID = "paid"
    CREDITED = "credited"
    VOID = "void"

    @property
    def label(self) -> str:
        return value_words(self)  # "part_paid" -> "Part paid"


class BillableKind(enum.StrEnum):
    CARE_DELIVERED = "care_delivered"
    CANCELLATION_CHARGE = "cancellation_charge"
    NO_SHOW_CHARGE = "no_show_charge"
    ISF_FUNDING = "isf_funding"


class VatCategory(enum.StrEnum):
    EXEMPT = "E"
    STANDARD = "S"


EXEMPTION_REASON = "Exempt: welfare services (VAT Act 1994, Schedule 9, Group 7/7)"


class RunSource(enum.StrEnum):
    PAGE = "page"
    COMMAND = "command"
    SCHEDULE = "schedule"

    @property
    def label(self) -> str:
        return {"page": "Run invoices button", "command": "Command line", "schedule": "Daily run"}[self.value]


class InvoiceRun(db.Model):
    """One invoice run: what started it (a provider's button, the command, the daily job), who,
    through which date and for which provider (None: every provider). The invoices it issued
    point at it (`Invoice.run_id`); `finished_at` stays empty when a run was killed midway."""

    __tablename__ = "invoice_run"
    __table_args__ = (Index("ix_invoice_run_provider_started", "provider_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    through: Mapped[date] = mapped_column(Date)
    source: Mapped[RunSource] = mapped_column(str_enum(RunSource, "invoice_run_source"))
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    items_recorded: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)

    started_by: Mapped[User | None] = relationship()


class InvoiceCounter(db.Model):
    """A provider's invoice numbers: `last_number` is taken under this row's lock (SELECT ... FOR
    UPDATE) in the transaction that issues the invoice, so numbers are gap-free and never reused."""

    __tablename__ = "invoice_counter"
    __table_args__ = (
        CheckConstraint("last_number >= 0", name="last_number_not_negative"),
        CheckConstraint("last_credit_number >= 0", name="last_credit_number_not_negative"),
    )

    issuer_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(10))
    last_number: Mapped[int] = mapped_column(BigInteger, default=0)
    # Credit notes' own sequence (HIL-CN-000001), on the same row: one prefix per provider, and
    # the same lock and rollback make it gap-free (see credit_notes.issue_credit_note).
    last_credit_number: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class Invoice(db.Model):
    """One provider's bill to one payer (an organisation, or a family) under one PO number.

    A draft has no number, issue date or due date; issuing assigns all three, once."""

    __tablename__ = "invoice"
    __table_args__ = (
        UniqueConstraint("issuer_id", "number"),
        CheckConstraint(ONE_PAYER, name="one_payer"),
        CheckConstraint("total >= 0", name="total_not_negative"),
        CheckConstraint("amount_paid >= 0 AND amount_paid <= total", name="paid_within_total"),
        CheckConstraint(
            "amount_credited >= 0 AND amount_paid + amount_credited <= total", name="settled_within_total"
        ),
        CheckConstraint(
            "status = 'draft' OR (number IS NOT NULL AND issue_date IS NOT NULL AND due_date IS NOT NULL)",
            name="issued_has_number",
        ),
        Index("ix_invoice_issuer_status", "issuer_id", "status"),
        Index("ix_invoice_payer_org_status", "payer_org_id", "status"),
        Index("ix_invoice_payer_family_status", "payer_family_id", "status"),
        Index("ix_invoice_issuer_run", "issuer_id", "run_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    payer_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    payer_family_id: Mapped[int | None] = mapped_column(ForeignKey("family.id"))
    po_number: Mapped[str] = mapped_column(String(60), default="")
    payment_terms_days: Mapped[int] = mapped_column(Integer)
    status: Mapped[InvoiceStatus] = mapped_column(
        str_enum(InvoiceStatus, "invoice_status"), default=InvoiceStatus.DRAFT
    )
    number: Mapped[str | None] = mapped_column(String(30))
    issue_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    net_total: Mapped[int] = mapped_column(BigInteger, default=0)
    vat_total: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_paid: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_credited: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("invoice_run.id"))  # the run that made it

    issuer: Mapped[Organisation] = relationship(foreign_keys=[issuer_id])
    payer_org: Mapped[Organisation | None] = relationship(foreign_keys=[payer_org_id])
    payer_family: Mapped[Family | None] = relationship()
    lines: Mapped[list["InvoiceLine"]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.position"
    )

    @property
    def amount_due(self) -> int:
        return self.total - self.amount_paid - self.amount_credited

    @property
    def payer_name(self) -> str:
        return self.payer_org.name if self.payer_org is not None else self.payer_family.name

    @property
    def payer_party(self) -> dict:
        if self.payer_org is not None:
            return {"id": self.payer_org.id, "kind": "organisation", "name": self.payer_org.name}
        return {"id": self.payer_family.id, "kind": "family", "name": self.payer_family.name}

    @property
    def issuer_party(self) -> dict:
        return {"id": self.issuer.id, "kind": "organisation", "name": self.issuer.name}


class BillableItem(db.Model):
    """One payer's exact share of one thing, recorded once: the amount the ledger posted from one
    funding stream for one booking (delivered care, or a late-cancellation or no-show charge), or
    one ISF funding instalment (a stream's instalment for one period; `invoicing.isf_funding`).
    `invoice_id` is set, once, by the invoice that bills it."""

    __tablename__ = "billable_item"
    __table_args__ = (
        UniqueConstraint("kind", "booking_payment_id"),
        UniqueConstraint("isf_id", "stream_id", "period_start"),
        CheckConstraint(ONE_PAYER, name="one_payer"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            "(kind = 'isf_funding' AND isf_id IS NOT NULL AND period_start IS NOT NULL"
            " AND period_end IS NOT NULL AND booking_payment_id IS NULL)"
            " OR (kind <> 'isf_funding' AND booking_payment_id IS NOT NULL AND booking_id IS NOT NULL"
            " AND transfer_id IS NOT NULL AND isf_id IS NULL)",
            name="booking_or_instalment",
        ),
        Index("ix_billable_item_unbilled", "provider_id", "invoice_id", "service_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[BillableKind] = mapped_column(str_enum(BillableKind, "billable_kind"))
    booking_payment_id: Mapped[int | None] = mapped_column(ForeignKey("booking_payment.id"))
    transfer_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("ledger_transfer.id"), unique=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id"), index=True)
    isf_id: Mapped[int | None] = mapped_column(ForeignKey("isf.id"))
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    stream_id: Mapped[int] = mapped_column(ForeignKey("funding_stream.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    payer_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    payer_family_id: Mapped[int | None] = mapped_column(ForeignKey("family.id"))
    po_number: Mapped[str] = mapped_column(String(60), default="")
    payment_terms_days: Mapped[int] = mapped_column(Integer)
    service_date: Mapped[date] = mapped_column(Date)  # the care's date, or the day an instalment falls due
    amount: Mapped[int] = mapped_column(BigInteger)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InvoiceLine(db.Model):
    """A line of an invoice. `quantity` × `unit_price` is the whole booking's (or charge's) price;
    `amount` is this payer's share of it, which is what the line bills (its description says so)."""

    __tablename__ = "invoice_line"
    __table_args__ = (
        UniqueConstraint("invoice_id", "position"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("vat_rate_bp >= 0", name="vat_rate_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"))
    position: Mapped[int] = mapped_column(Integer)
    billable_item_id: Mapped[int | None] = mapped_column(ForeignKey("billable_item.id"), unique=True)
    description: Mapped[str] = mapped_column(String(300))
    service_start: Mapped[date] = mapped_column(Date)
    service_end: Mapped[date] = mapped_column(Date)
    child_reference: Mapped[str] = mapped_column(String(40))
    quantity: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(20))
    unit_price: Mapped[int] = mapped_column(BigInteger)
    vat_category: Mapped[VatCategory] = mapped_column(
        str_enum(VatCategory, "vat_category"), default=VatCategory.EXEMPT
    )
    vat_rate_bp: Mapped[int] = mapped_column(Integer, default=0)
    vat_exemption_reason: Mapped[str | None] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(BigInteger)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class IsfFundingReceipt(db.Model):
    """What one line of an ISF funding invoice received from one payment, and the ISF receipt it
    became (`isf_funding.receive_payment`): the funder's payment of the invoice IS the receipt."""

    __tablename__ = "isf_funding_receipt"
    __table_args__ = (
        UniqueConstraint("invoice_line_id", "payment_reference"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    invoice_line_id: Mapped[int] = mapped_column(ForeignKey("invoice_line.id"))
    isf_receipt_id: Mapped[int] = mapped_column(ForeignKey("isf_receipt.id"), index=True)
    payment_reference: Mapped[str] = mapped_column(String(120))
    received_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# ---- an issued invoice never changes --------------------------------------------------------

# What may still move on an issued invoice: its state and what has been paid (later slices).
ISSUED_MUTABLE = frozenset({"status", "amount_paid", "amount_credited"})


def _status_before(invoice: Invoice) -> InvoiceStatus | None:
    history = inspect(invoice).attrs.status.history
    before = history.deleted[0] if history.deleted else invoice.status
    return InvoiceStatus(before) if before is not None else None


def _was_issued(invoice: Invoice | None) -> bool:
    return invoice is not None and _status_before(invoice) not in (None, InvoiceStatus.DRAFT)


@event.listens_for(Session, "before_flush")
def _refuse_changing_issued_invoices(session, flush_context, instances):
    """Issued invoices and their lines are never edited or deleted (a credit note corrects one)."""
    for obj in session.deleted:
        if (
            isinstance(obj, Invoice)
            and _was_issued(obj)
            or isinstance(obj, InvoiceLine)
            and _was_issued(obj.invoice)
        ):
            raise Conflict(
                "An issued invoice is never deleted; a credit note corrects it.", code="invoice_issued"
            )
    for obj in session.dirty:
        if isinstance(obj, Invoice) and _was_issued(obj):
            state = inspect(obj)
            changed = {
                a.key for a in state.mapper.column_attrs if state.attrs[a.key].history.has_changes()
            } - ISSUED_MUTABLE
            if changed:
                raise Conflict(
                    f"Invoice {obj.number} is issued and never changes (tried {sorted(changed)}).",
                    code="invoice_issued",
                )
    for obj in (*session.dirty, *session.new):
        if isinstance(obj, InvoiceLine) and _was_issued(obj.invoice) and session.is_modified(obj):
            raise Conflict("The lines of an issued invoice never change.", code="invoice_issued")
