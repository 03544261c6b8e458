"""A remittance advice imported from a CSV file: who imported it, for which payer, and every line
of the file with what became of it (recorded as part of a payment, or not recorded and why).

Written once, in the same transaction as the payments the file recorded, and never changed: the
summary page and the "lines not recorded" download read these rows. Imported by
`invoicing/models.py`, so the tables exist wherever the invoicing models do."""

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.core.clock import utcnow
from marketplace.core.db import db
from marketplace.core.types import UTCDateTime, str_enum


class LineOutcome(enum.StrEnum):
    RECORDED = "recorded"
    NOT_RECORDED = "not_recorded"


class RemittanceImport(db.Model):
    """One confirmed remittance file: the provider that received the money, the payer (an
    organisation or a family) whose advice it is, and the file's name."""

    __tablename__ = "remittance_import"
    __table_args__ = (
        CheckConstraint("(payer_org_id IS NULL) <> (payer_family_id IS NULL)", name="one_payer"),
        Index("ix_remittance_import_provider", "provider_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    payer_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    payer_family_id: Mapped[int | None] = mapped_column(ForeignKey("family.id"))
    filename: Mapped[str] = mapped_column(String(255))
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    provider = relationship("Organisation", foreign_keys=[provider_id])
    payer_org = relationship("Organisation", foreign_keys=[payer_org_id])
    payer_family = relationship("Family")
    imported_by = relationship("User")
    lines: Mapped[list["RemittanceImportLine"]] = relationship(
        back_populates="remittance_import", order_by="RemittanceImportLine.row"
    )

    @property
    def payer_name(self) -> str:
        return self.payer_org.name if self.payer_org is not None else self.payer_family.name

    @property
    def recorded(self) -> list["RemittanceImportLine"]:
        return [line for line in self.lines if line.outcome is LineOutcome.RECORDED]

    @property
    def not_recorded(self) -> list["RemittanceImportLine"]:
        return [line for line in self.lines if line.outcome is LineOutcome.NOT_RECORDED]

    @property
    def recorded_total(self) -> int:
        return sum(line.amount for line in self.recorded)

    @property
    def not_recorded_total(self) -> int:
        return sum(line.amount or 0 for line in self.not_recorded)


class RemittanceImportLine(db.Model):
    """One line of an imported file, as written in it (`invoice_number`, `amount_text`,
    `reference`, `date_text`), what was read from it (`amount` in pence, `paid_on`) and its
    outcome: recorded (the payment and invoice it paid) or not recorded, with the reason in words."""

    __tablename__ = "remittance_import_line"
    __table_args__ = (
        CheckConstraint("file_row > 0", name="file_row_positive"),
        CheckConstraint("outcome <> 'recorded' OR payment_id IS NOT NULL", name="recorded_has_payment"),
        Index("ix_remittance_import_line_import", "import_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("remittance_import.id"))
    row: Mapped[int] = mapped_column("file_row", Integer)  # the row in the file (header: row 1)
    invoice_number: Mapped[str] = mapped_column(String(200))
    amount_text: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str] = mapped_column(String(200))
    date_text: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int | None] = mapped_column(BigInteger)
    paid_on: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[LineOutcome] = mapped_column(str_enum(LineOutcome, "remittance_line_outcome"))
    reason: Mapped[str | None] = mapped_column(Text)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("invoice_payment.id"))

    remittance_import: Mapped[RemittanceImport] = relationship(back_populates="lines")
    invoice = relationship("Invoice")
    payment = relationship("Payment")
