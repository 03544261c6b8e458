"""Invoices out (JSON) and the invoice-list filters: amounts in pence, ids as strings, dates ISO
8601; the parties as invoices name them, and aged debt. `schemas` is the public face."""

from marshmallow import Schema, ValidationError, fields, pre_load, validate

from marketplace.core.db import db
from marketplace.core.ids import db_id
from marketplace.core.schemas import FormSchema, Id
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


class LineOut(Schema):
    """What an invoice line and a credit-note line both say (a credit note repeats what was
    supplied); each adds its `amount`."""

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


class InvoiceLineOut(LineOut):
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
