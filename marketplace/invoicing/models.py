"""Invoicing tables: billable items (one payer's share of one thing, recorded once), invoices and
their lines, and each provider's number counter.

Rule 9: every invoice has exactly one payer and one issuer; each billable item is billed on
exactly one invoice (a unique constraint on the line that bills it); an issued invoice never
changes (a credit note corrects it: its own number, lines that each credit part or all of an
invoice line).
"""

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
from sqlalchemy.orm import Mapped, Session, backref, mapped_column, relationship

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


# ---- credit notes ---------------------------------------------------------------------------


class CreditNote(db.Model):
    """A correction of one issued invoice (never an edit of it): its own gap-free number per
    provider (`HIL-CN-000001`), the invoice's issuer and payer, a reason, and lines that each
    credit part or all of one invoice line. Issued once; it never changes."""

    __tablename__ = "credit_note"
    __table_args__ = (
        UniqueConstraint("issuer_id", "number"),
        CheckConstraint(ONE_PAYER, name="one_payer"),
        CheckConstraint("total > 0", name="total_positive"),
        CheckConstraint("net_total >= 0 AND vat_total >= 0", name="parts_not_negative"),
        CheckConstraint("net_total + vat_total = total", name="total_adds_up"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    payer_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    payer_family_id: Mapped[int | None] = mapped_column(ForeignKey("family.id"), index=True)
    number: Mapped[str] = mapped_column(String(30))
    issue_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(500))
    net_total: Mapped[int] = mapped_column(BigInteger)
    vat_total: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[int] = mapped_column(BigInteger)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # a backref, so the Invoice class above stays as it is: `invoice.credit_notes`, oldest first
    invoice: Mapped[Invoice] = relationship(backref=backref("credit_notes", order_by="CreditNote.id"))
    issuer: Mapped[Organisation] = relationship(foreign_keys=[issuer_id])
    payer_org: Mapped[Organisation | None] = relationship(foreign_keys=[payer_org_id])
    payer_family: Mapped[Family | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    lines: Mapped[list["CreditNoteLine"]] = relationship(
        back_populates="credit_note", order_by="CreditNoteLine.position"
    )

    # the same parties as its invoice's, said the same way (documents and schemas use either)
    payer_name = Invoice.payer_name
    payer_party = Invoice.payer_party
    issuer_party = Invoice.issuer_party


class CreditNoteLine(db.Model):
    """What a credit note gives back on one invoice line: `amount` (net) of that line's amount.
    Quantity, unit and unit price are the invoice line's (what was supplied); `amount` is what
    this line credits. The service dates and child reference are the invoice line's."""

    __tablename__ = "credit_note_line"
    __table_args__ = (
        UniqueConstraint("credit_note_id", "position"),
        UniqueConstraint("credit_note_id", "invoice_line_id"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("vat_rate_bp >= 0", name="vat_rate_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_note_id: Mapped[int] = mapped_column(ForeignKey("credit_note.id"))
    position: Mapped[int] = mapped_column(Integer)
    invoice_line_id: Mapped[int] = mapped_column(ForeignKey("invoice_line.id"), index=True)
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(20))
    unit_price: Mapped[int] = mapped_column(BigInteger)
    vat_category: Mapped[VatCategory] = mapped_column(
        str_enum(VatCategory, "vat_category"), default=VatCategory.EXEMPT
    )
    vat_rate_bp: Mapped[int] = mapped_column(Integer, default=0)
    vat_exemption_reason: Mapped[str | None] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(BigInteger)

    credit_note: Mapped[CreditNote] = relationship(back_populates="lines")
    invoice_line: Mapped[InvoiceLine] = relationship()

    @property
    def service_start(self) -> date:
        return self.invoice_line.service_start

    @property
    def service_end(self) -> date:
        return self.invoice_line.service_end

    @property
    def child_reference(self) -> str:
        return self.invoice_line.child_reference


@event.listens_for(Session, "before_flush")
def _refuse_changing_credit_notes(session, flush_context, instances):
    """A credit note, once written, is never edited or deleted (a further credit note, or a new
    invoice, corrects it)."""
    for obj in session.deleted:
        if isinstance(obj, CreditNote | CreditNoteLine):
            raise Conflict("A credit note is never deleted.", code="credit_note_issued")
    for obj in session.dirty:
        if isinstance(obj, CreditNote | CreditNoteLine) and session.is_modified(
            obj, include_collections=False
        ):
            raise Conflict(f"Credit note {_number_of(obj)} never changes.", code="credit_note_issued")


def _number_of(obj) -> str:
    return obj.number if isinstance(obj, CreditNote) else obj.credit_note.number


# ---- payments received (remittances) ---------------------------------------------------------


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

    @property
    def payer_name(self) -> str:
        return self.payer_org.name if self.payer_org is not None else self.payer_family.name

    @property
    def payer_party(self) -> dict:
        if self.payer_org is not None:
            return {"id": self.payer_org.id, "kind": "organisation", "name": self.payer_org.name}
        return {"id": self.payer_family.id, "kind": "family", "name": self.payer_family.name}

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


# ---- reminders (issue #15) ------------------------------------------------------------------


class ReminderEvent(enum.StrEnum):
    DUE_SOON = "due_soon"  # 7 days before the due date
    OVERDUE = "overdue"  # the day after the due date
    MANUAL = "manual"  # a provider's "Send a reminder" (at most once a day per invoice)

    @property
    def label(self) -> str:
        return REMINDER_LABELS[self]


REMINDER_LABELS = {
    ReminderEvent.DUE_SOON: "Due-date reminder",
    ReminderEvent.OVERDUE: "Overdue notice",
    ReminderEvent.MANUAL: "Reminder sent by the provider",
}


class InvoiceReminder(db.Model):
    """A notice sent to an invoice's payer, recorded once per (invoice, event, occasion) by a
    unique constraint and inserted ON CONFLICT DO NOTHING before anyone is told: a job run twice,
    or on two processes at once, sends each notice once. The occasion is the due date for the
    automatic events (so once per invoice) and the day sent for a provider's reminder."""

    __tablename__ = "invoice_reminder"
    __table_args__ = (
        UniqueConstraint("invoice_id", "event", "occasion"),
        CheckConstraint("recipients >= 0", name="recipients_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"))
    event: Mapped[ReminderEvent] = mapped_column(str_enum(ReminderEvent, "reminder_event"))
    occasion: Mapped[date] = mapped_column(Date)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OverdueDigest(db.Model):
    """A provider's weekly list of its overdue invoices, sent once per (provider, week) by a
    unique constraint (inserted ON CONFLICT DO NOTHING before its staff are told)."""

    __tablename__ = "overdue_digest"
    __table_args__ = (UniqueConstraint("provider_id", "week_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    week_start: Mapped[date] = mapped_column(Date)
    invoices: Mapped[int] = mapped_column(Integer, default=0)
    amount_due: Mapped[int] = mapped_column(BigInteger, default=0)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def _name_credit_note(session, ref) -> str:
    note = session.get(CreditNote, int(ref)) if str(ref).isdigit() else None
    return f"Credit note {note.number}" if note is not None and note.number else "Credit note"


def _name_invoice(session, ref) -> str:
    invoice = session.get(Invoice, int(ref)) if str(ref).isdigit() else None
    return f"Invoice {invoice.number}" if invoice is not None and invoice.number else "Invoice"


from marketplace.budgets.balances import REFERENCE_NAMERS  # noqa: E402

REFERENCE_NAMERS.update(credit_note=_name_credit_note, invoice=_name_invoice)
