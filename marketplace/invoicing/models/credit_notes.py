"""Credit notes: a correction of one issued invoice, with lines that each credit part or all of
one invoice line. Never edited or deleted (the flush guard below)."""

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, Session, backref, mapped_column, relationship

from marketplace.accounts.models import Family, Organisation, User
from marketplace.core.clock import utcnow
from marketplace.core.db import db
from marketplace.core.errors import Conflict
from marketplace.core.types import UTCDateTime, str_enum
from marketplace.invoicing.models.invoices import ONE_PAYER, Invoice, InvoiceLine, VatCategory


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
