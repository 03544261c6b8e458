"""Invoices out (JSON): amounts in pence, ids as strings, dates ISO 8601."""

from datetime import date, datetime

from marshmallow import Schema, ValidationError, fields, validates_schema

from marketplace.core.schemas import Date as CoreDate
from marketplace.core.schemas import FormSchema, Id, Parsed


class PartyOut(Schema):
    id = Id(required=True)
    kind = fields.String(required=True, metadata={"description": "organisation or family"})
    name = fields.String(required=True)


class InvoiceLineOut(Schema):
    position = fields.Integer(required=True)
    description = fields.String(required=True)
    service_start = fields.Date(required=True)
    service_end = fields.Date(required=True)
    child_reference = fields.String(
        required=True, metadata={"description": "initials and a stable reference"}
    )
    quantity = fields.Integer(required=True)
    unit = fields.String(required=True)
    unit_price = fields.Integer(required=True, metadata={"description": "pence"})
    vat_category = fields.Function(lambda line: line.vat_category.value, required=True)
    vat_rate_bp = fields.Integer(required=True, metadata={"description": "basis points"})
    vat_exemption_reason = fields.String(allow_none=True)
    amount = fields.Integer(required=True, metadata={"description": "pence: what this line bills"})


class InvoiceOut(Schema):
    id = Id(required=True)
    number = fields.String(required=True, allow_none=True, metadata={"description": "null while a draft"})
    status = fields.Function(lambda i: i.status.value, required=True)
    status_label = fields.Function(lambda i: i.status.label, required=True)
    issuer = fields.Nested(PartyOut, attribute="issuer_party", required=True)
    payer = fields.Nested(PartyOut, attribute="payer_party", required=True)
    po_number = fields.String(required=True)
    issue_date = fields.Date(required=True, allow_none=True)
    due_date = fields.Date(required=True, allow_none=True)
    payment_terms_days = fields.Integer(required=True)
    currency = fields.Constant("GBP", required=True)
    net_total = fields.Integer(required=True)
    vat_total = fields.Integer(required=True)
    total = fields.Integer(required=True)
    amount_paid = fields.Integer(required=True)
    amount_credited = fields.Integer(required=True)
    amount_due = fields.Integer(required=True)


class InvoiceDetailOut(InvoiceOut):
    lines = fields.List(fields.Nested(InvoiceLineOut), required=True)


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
