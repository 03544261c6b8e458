"""Invoices out (JSON): amounts in pence, ids as strings, dates ISO 8601."""

from marshmallow import Schema, fields

from marketplace.core.schemas import Id


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
