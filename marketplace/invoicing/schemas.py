"""Invoicing schemas (JSON in/out, forms): amounts in pence, ids as strings, dates ISO 8601.

This module is the public face (`from marketplace.invoicing.schemas import InvoiceOut`): invoices,
their parties, aged debt and the list filters live in `invoice_schemas`; credit notes and
statements of account here; payments in `payment_schemas`."""

from datetime import date, datetime

from flask import url_for
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from marketplace.core.schemas import Date as CoreDate
from marketplace.core.schemas import FormSchema, Id, Parsed, Pence
from marketplace.invoicing.invoice_schemas import (
    AgedAmountsOut,
    AgedDebtIn,
    AgedDebtOut,
    AgedRowOut,
    BankOut,
    BudgetArg,
    Computed,
    InvoiceDetailOut,
    InvoiceFilters,
    InvoiceLineOut,
    InvoiceOut,
    IssuerOut,
    LatePaymentOut,
    LineOut,
    PartyDetailsOut,
    PartyOut,
    PayerArg,
)

__all__ = [
    "EARLIEST",
    "LATEST",
    "AgedAmountsOut",
    "AgedDebtIn",
    "AgedDebtOut",
    "AgedRowOut",
    "BankOut",
    "BudgetArg",
    "Computed",
    "CreditNoteDetailOut",
    "CreditNoteForm",
    "CreditNoteIn",
    "CreditNoteLineIn",
    "CreditNoteLineOut",
    "CreditNoteOut",
    "InvoiceDetailOut",
    "InvoiceFilters",
    "InvoiceLineOut",
    "InvoiceOut",
    "InvoiceRefOut",
    "IssuerOut",
    "LatePaymentOut",
    "LineOut",
    "PartyDetailsOut",
    "PartyOut",
    "PayerArg",
    "StatementLineOut",
    "StatementOut",
    "StatementPeriodForm",
    "StatementPeriodIn",
    "UkDate",
    "parse_uk_date",
]


# ---- credit notes -------------------------------------------------------------------------


class CreditNoteLineOut(LineOut):
    invoice_line = fields.Function(
        lambda line: line.invoice_line.position,
        required=True,
        metadata={"type": "integer", "description": "the position of the invoice line it credits"},
    )
    amount = fields.Integer(required=True, metadata={"description": "pence: what this line credits (net)"})


class InvoiceRefOut(Schema):
    id = Id(required=True)
    number = fields.String(required=True)
    issue_date = fields.Date(required=True)


_LINKS = {
    "type": "object",
    "properties": {"pdf": {"type": "string"}, "csv": {"type": "string"}, "xml": {"type": "string"}},
}


class CreditNoteOut(Schema):
    id = Id(required=True)
    number = fields.String(required=True, metadata={"description": "e.g. HIL-CN-000001"})
    invoice = fields.Nested(InvoiceRefOut, required=True, metadata={"description": "the invoice it credits"})
    issuer = fields.Nested(PartyOut, attribute="issuer_party", required=True)
    payer = fields.Nested(PartyOut, attribute="payer_party", required=True)
    issue_date = fields.Date(required=True)
    reason = fields.String(required=True)
    currency = fields.Constant("GBP", required=True)
    net_total = fields.Integer(required=True)
    vat_total = fields.Integer(required=True)
    total = fields.Integer(required=True, metadata={"description": "pence credited"})
    links = fields.Method("_links", required=True, metadata=_LINKS)

    def _links(self, note) -> dict:
        return {
            "pdf": url_for("api.invoicing_api.get_credit_note_pdf", credit_note_id=note.id),
            "csv": url_for("api.invoicing_api.get_credit_note_csv", credit_note_id=note.id),
            "xml": url_for("api.invoicing_api.get_credit_note_xml", credit_note_id=note.id),
        }


class CreditNoteDetailOut(CreditNoteOut):
    lines = fields.List(fields.Nested(CreditNoteLineOut), required=True)


class CreditNoteLineIn(Schema):
    line = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1),
        metadata={"description": "the invoice line's position"},
    )
    amount = Pence(
        allow_none=True, metadata={"description": "pence to credit on it; omitted: all that is left"}
    )


class CreditNoteIn(Schema):
    """Either `lines` (whole lines, or chosen amounts on them) or `amount` (spread over the lines in order)."""

    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    amount = Pence(metadata={"description": "pence to credit, spread over the lines in order"})
    lines = fields.List(fields.Nested(CreditNoteLineIn), validate=validate.Length(min=1, max=1000))

    @validates_schema
    def _lines_or_amount(self, data, **kwargs):
        if "amount" in data and "lines" in data:
            raise ValidationError("Give either lines or an amount, not both", field_name="amount")
        if "amount" not in data and "lines" not in data:
            raise ValidationError("Give the lines to credit, or an amount", field_name="lines")


class CreditNoteForm(FormSchema):
    """The credit-note form's reason (its lines, one tick box and amount per invoice line, are read
    by the view, as their names depend on the invoice)."""

    reason = fields.String(
        required=True,
        validate=[
            validate.Regexp(r"\S", error="Say why the invoice is being credited"),
            validate.Length(max=500, error="The reason must be 500 characters or fewer"),
        ],
        error_messages={"required": "Say why the invoice is being credited"},
    )


# ---- statements of account (issue #15) ------------------------------------------------------

EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)  # a statement's period lies in this window


def parse_uk_date(text: str) -> date:
    """A date as people write it (31/01/2027), or as the page's own links send it (2027-01-31)."""
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime((text or "").strip(), pattern).date()
        except ValueError:
            continue
    raise ValueError("Enter a date like 31/01/2027")


class UkDate(Parsed):
    parse = staticmethod(parse_uk_date)


class StatementPeriodForm(FormSchema):
    """?from=&to=: the statement's first and last days, both inclusive."""

    from_ = UkDate(data_key="from", required=True, error_messages={"required": "Enter the first day"})
    to = UkDate(required=True, error_messages={"required": "Enter the last day"})

    @validates_schema
    def _in_order(self, data, **kwargs):
        errors = {
            key: [f"Enter a date between {EARLIEST:%-d %B %Y} and {LATEST:%-d %B %Y}"]
            for name, key in (("from_", "from"), ("to", "to"))
            if name in data and not EARLIEST <= data[name] <= LATEST
        }
        if errors:
            raise ValidationError(errors)
        if "from_" in data and "to" in data and data["to"] < data["from_"]:
            raise ValidationError("The last day must be on or after the first", field_name="to")


class StatementLineOut(Schema):
    date = fields.Date(attribute="day", required=True)
    kind = fields.String(
        required=True, metadata={"description": "invoice, credit_note, payment, payment_reversal, …"}
    )
    reference = fields.String(
        required=True, metadata={"description": "the invoice's or credit note's number …"}
    )
    amount = fields.Integer(required=True, metadata={"description": "pence: positive raises what is owed"})
    balance = fields.Integer(required=True, metadata={"description": "pence owed after this line"})
    invoice_id = Id(allow_none=True)


class StatementOut(Schema):
    provider = fields.Nested(PartyOut, attribute="provider_party", required=True)
    payer = fields.Nested(PartyOut, attribute="payer_party", required=True)
    from_ = fields.Date(attribute="start", data_key="from", required=True)
    to = fields.Date(attribute="end", required=True)
    currency = fields.Constant("GBP", required=True)
    opening = fields.Integer(required=True, metadata={"description": "pence owed at the start of the period"})
    charges = fields.Integer(
        required=True,
        metadata={"description": "pence: what raised the balance (invoices, reversed payments)"},
    )
    reductions = fields.Integer(
        required=True, metadata={"description": "pence: what lowered it (credit notes, payments)"}
    )
    closing = fields.Integer(
        required=True, metadata={"description": "pence owed at the end: opening + charges - reductions"}
    )
    lines = fields.List(fields.Nested(StatementLineOut), required=True)


class StatementPeriodIn(Schema):
    """?from=&to= for the API: ISO dates, both or neither (the financial year so far)."""

    from_ = CoreDate(data_key="from", load_default=None, metadata={"description": "first day, YYYY-MM-DD"})
    to = CoreDate(load_default=None, metadata={"description": "last day, YYYY-MM-DD"})

    @validates_schema
    def _both_in_order(self, data, **kwargs):
        start, end = data.get("from_"), data.get("to")
        if (start is None) != (end is None):
            raise ValidationError(
                "Give both from and to, or neither", field_name="from" if start is None else "to"
            )
        if start is not None and end < start:
            raise ValidationError("The last day must be on or after the first", field_name="to")
