"""Invoices out (JSON): amounts in pence, ids as strings, dates ISO 8601."""

from datetime import date, datetime

from flask import url_for
from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from marketplace.core.db import db
from marketplace.core.ids import db_id
from marketplace.core.schemas import Date as CoreDate
from marketplace.core.schemas import FormSchema, Id, Parsed, Pence
from marketplace.invoicing import late_payment, parties
from marketplace.invoicing.models import InvoiceStatus


class PartyOut(Schema):
    id = Id(required=True)
    kind = fields.String(required=True, metadata={"description": "organisation or family"})
    name = fields.String(required=True)


class PartyDetailsOut(PartyOut):
    """A party as an invoice names it: what a finance system needs to book and pay it."""

    legal_name = fields.String(required=True)
    address = fields.List(
        fields.String(), required=True, metadata={"description": "postal address lines, without the postcode"}
    )
    postcode = fields.String(required=True, allow_none=True)
    charity_number = fields.String(required=True, allow_none=True)
    company_number = fields.String(required=True, allow_none=True)
    vat_number = fields.String(required=True, allow_none=True, metadata={"description": "GB123456789"})
    finance_email = fields.String(required=True, allow_none=True)
    peppol_id = fields.String(
        required=True, allow_none=True, metadata={"description": "0088:<GLN> or 9932:<UK VAT number>"}
    )


class BankOut(Schema):
    account_name = fields.String(required=True)
    sort_code = fields.String(required=True, metadata={"description": "12-34-56"})
    account_number = fields.String(required=True, metadata={"description": "8 digits"})


class IssuerOut(PartyDetailsOut):
    bank = fields.Nested(
        BankOut, required=True, allow_none=True, metadata={"description": "where to remit; null if not given"}
    )


class _Party(fields.Nested):
    """A party of the invoice, read by `getter(session, invoice)` (invoicing/parties.py)."""

    def __init__(self, schema, getter, **kwargs):
        super().__init__(schema, **kwargs)
        self.getter = getter

    def get_value(self, obj, attr, accessor=None, default=None):
        return self.getter(db.session, obj)


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
    issuer = _Party(IssuerOut, parties.issuer, required=True)
    payer = _Party(PartyDetailsOut, parties.payer, required=True)
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


class LatePaymentOut(Schema):
    """What the issuer may claim on an overdue invoice (Late Payment of Commercial Debts (Interest)
    Act 1998), worked out on `on`: statutory interest and fixed compensation; zero for a family."""

    on = fields.Date(required=True)
    days_overdue = fields.Integer(required=True)
    outstanding = fields.Integer(required=True, metadata={"description": "pence still owed on `on`"})
    reference_rate_bp = fields.Function(
        lambda claim: claim.rate.reference_bp if claim.rate else None,
        required=True,
        allow_none=True,
        metadata={"type": "integer", "description": "basis points in force on `on` (null: none configured)"},
    )
    statutory_rate_bp = fields.Function(
        lambda claim: claim.rate.statutory_bp if claim.rate else None,
        required=True,
        allow_none=True,
        metadata={"type": "integer", "description": "basis points: 800 over the reference rate"},
    )
    interest = fields.Integer(required=True, metadata={"description": "pence, rounded half up once"})
    compensation = fields.Integer(required=True, metadata={"description": "pence: £40, £70 or £100"})
    claimable = fields.Integer(required=True, metadata={"description": "pence: interest + compensation"})
    not_claimable = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "why nothing may be claimed (a family payer)"},
    )


class Computed(fields.Nested):
    """A nested object worked out from the whole object being dumped by `compute(obj)`."""

    def __init__(self, nested, compute, **kwargs):
        super().__init__(nested, **kwargs)
        self.compute = compute

    def get_value(self, obj, attr, accessor=None, default=None):
        return self.compute(obj)


def _late_payment_today(invoice):
    return late_payment.for_invoice(db.session, invoice)


class InvoiceDetailOut(InvoiceOut):
    lines = fields.List(fields.Nested(InvoiceLineOut), required=True)
    late_payment = Computed(
        LatePaymentOut,
        _late_payment_today,
        required=True,
        allow_none=True,
        metadata={"description": "today's late-payment interest and compensation; null for a draft"},
    )


# ---- aged debt (issue #15) ---------------------------------------------------------------------


class AgedAmountsOut(Schema):
    """Pence owed in each bucket of days past the due date."""

    not_due = fields.Integer(required=True)
    days_1_30 = fields.Integer(required=True)
    days_31_60 = fields.Integer(required=True)
    days_61_90 = fields.Integer(required=True)
    days_over_90 = fields.Integer(required=True)
    total = fields.Integer(required=True)
    invoices = fields.Integer(required=True, metadata={"description": "how many invoices"})


class AgedRowOut(AgedAmountsOut):
    party = fields.Nested(PartyOut, required=True)


class AgedDebtOut(Schema):
    on = fields.Date(required=True)
    side = fields.String(
        required=True,
        metadata={
            "description": "debtors (a provider: rows are its payers) or creditors (a payer: rows are providers)"
        },
    )
    rows = fields.List(fields.Nested(AgedRowOut), required=True)
    totals = fields.Nested(AgedAmountsOut, required=True)


class AgedDebtIn(Schema):
    on = fields.Date(load_default=None, metadata={"description": "the day to age on (default today)"})


# ---- credit notes -------------------------------------------------------------------------


class CreditNoteLineOut(Schema):
    position = fields.Integer(required=True)
    invoice_line = fields.Function(
        lambda line: line.invoice_line.position,
        required=True,
        metadata={"type": "integer", "description": "the position of the invoice line it credits"},
    )
    description = fields.String(required=True)
    service_start = fields.Date(required=True)
    service_end = fields.Date(required=True)
    child_reference = fields.String(required=True)
    quantity = fields.Integer(required=True)
    unit = fields.String(required=True)
    unit_price = fields.Integer(required=True, metadata={"description": "pence"})
    vat_category = fields.Function(lambda line: line.vat_category.value, required=True)
    vat_rate_bp = fields.Integer(required=True, metadata={"description": "basis points"})
    vat_exemption_reason = fields.String(allow_none=True)
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


# ---- filtering the list of invoices (GET /invoices, /invoices.csv, /api/v1/invoices) ---------


class PayerArg(fields.String):
    """Who pays: an organisation's id ('12'), or a family's ('family:7'); loaded as (kind, id)."""

    def _deserialize(self, value, attr, data, **kwargs):
        kind, _, ident = super()._deserialize(value, attr, data, **kwargs).strip().rpartition(":")
        kind = {"": "organisation", "organisation": "organisation", "family": "family"}.get(kind)
        try:
            if kind is not None:
                return kind, db_id(ident)
        except ValueError:
            pass
        raise ValidationError("The paying organisation's id, or family: and the paying family's id")


class BudgetArg(Id):
    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except ValidationError:
            raise ValidationError("Choose a budget from the list (the id of a budget)") from None


class InvoiceFilters(FormSchema):
    """Which invoices a list shows; blank parameters mean 'any' (forms send every field)."""

    status = fields.Enum(
        InvoiceStatus,
        by_value=True,
        error_messages={"unknown": f"One of {', '.join(s.value for s in InvoiceStatus)}"},
        metadata={"description": "one status"},
    )
    payer = PayerArg(metadata={"description": "the paying organisation's id, or family:<id>"})
    po = fields.String(
        validate=validate.Length(max=60, error="Must be 60 characters or fewer"),
        metadata={"description": "the purchase-order number (exact, ignoring case)"},
    )
    budget = BudgetArg(metadata={"description": "a budget's id: invoices billing care paid from it"})
    outstanding = fields.Boolean(
        truthy={"yes", "true", "1"},
        falsy={"no", "false", "0"},
        error_messages={"invalid": "yes or no"},
        metadata={"description": "yes: only issued invoices with money still due"},
    )
    page = fields.Integer(
        validate=validate.Range(1, 10**6, error="Must be a whole number from 1 to 1000000"),
        error_messages={"invalid": "Must be a whole number from 1 to 1000000"},
        load_default=1,
    )
    per_page = fields.Integer(
        validate=validate.Range(1, 100, error="Must be a whole number from 1 to 100"),
        error_messages={"invalid": "Must be a whole number from 1 to 100"},
        load_default=None,
    )

    @pre_load
    def _blank_is_any(self, data, **kwargs):
        return {k: v.strip() for k, v in data.items() if isinstance(v, str) and v.strip()}


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
