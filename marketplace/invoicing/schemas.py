"""Invoices out (JSON): amounts in pence, ids as strings, dates ISO 8601."""

from marshmallow import Schema, fields

from marketplace.core.db import db
from marketplace.core.schemas import Id
from marketplace.invoicing import late_payment


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
