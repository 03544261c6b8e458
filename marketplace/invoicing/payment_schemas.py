"""Payments received, in JSON (pence, ids as strings, ISO dates) and as the "Record a payment" form
(pounds and UK dates as people type them)."""

from datetime import date, datetime

from marshmallow import Schema, ValidationError, fields, validate

from marketplace.core.schemas import Date, FormSchema, Id, Parsed, Pence, Pounds, example_date
from marketplace.invoicing.payments import MAX_REASON, MAX_REFERENCE
from marketplace.invoicing.schemas import PartyOut

REFERENCE = validate.Length(min=1, max=MAX_REFERENCE, error=f"Between 1 and {MAX_REFERENCE} characters")
REASON = validate.Length(min=1, max=MAX_REASON, error=f"Between 1 and {MAX_REASON} characters")

# ---- in (JSON) ---------------------------------------------------------------------------------


class PaymentIn(Schema):
    """A payment against one invoice."""

    amount = Pence(required=True, metadata={"description": "pence received"})
    reference = fields.String(
        required=True, validate=REFERENCE, metadata={"description": "the payer's reference, unique per payer"}
    )
    received_on = Date(
        required=True, metadata={"description": "the day the money arrived; not in the future"}
    )


class PartyIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["organisation", "family"]))
    id = Id(required=True)


class AllocationIn(Schema):
    invoice = Id(required=True, metadata={"description": "the invoice's id"})
    amount = Pence(required=True)


class RemittanceIn(PaymentIn):
    """A payment covering one or several of the payer's invoices."""

    payer = fields.Nested(
        PartyIn, required=True, metadata={"description": "as an invoice's `payer` names it"}
    )
    provider = Id(
        metadata={
            "description": "the provider paid (an invoice's `issuer` id): required when a paying "
            "organisation's staff record a payment they made; a provider's own id, or left out, "
            "when a provider records money it received"
        }
    )
    allocations = fields.List(
        fields.Nested(AllocationIn),
        validate=validate.Length(min=1, max=500),
        metadata={
            "description": "how to split the payment (adding up to `amount`); oldest invoices first if left out"
        },
    )


class ReversalIn(Schema):
    reason = fields.String(required=True, validate=REASON)


# ---- out (JSON) --------------------------------------------------------------------------------


class AllocationOut(Schema):
    invoice = Id(attribute="invoice_id", required=True)
    invoice_number = fields.Function(lambda a: a.invoice.number, required=True)
    amount = fields.Integer(required=True, metadata={"description": "pence"})


class ReversalOut(Schema):
    reason = fields.String(required=True)
    reversed_on = fields.Date(required=True)
    reversed_at = fields.DateTime(required=True)
    reversed_by = fields.Function(lambda r: r.reversed_by.name if r.reversed_by else None, allow_none=True)


class PaymentOut(Schema):
    id = Id(required=True)
    status = fields.Function(lambda p: "reversed" if p.is_reversed else "recorded", required=True)
    provider = fields.Nested(PartyOut, attribute="provider_party", required=True)
    payer = fields.Nested(PartyOut, attribute="payer_party", required=True)
    amount = fields.Integer(required=True, metadata={"description": "pence"})
    currency = fields.Constant("GBP", required=True)
    received_on = fields.Date(required=True)
    reference = fields.String(required=True)
    recorded_at = fields.DateTime(attribute="created_at", required=True)
    allocations = fields.List(fields.Nested(AllocationOut), required=True)
    reversal = fields.Nested(ReversalOut, allow_none=True, required=True)


# ---- the "Record a payment" form -------------------------------------------------------------

_UK_DATES = ("%d/%m/%Y", "%d %B %Y", "%d %b %Y", "%Y-%m-%d")


def parse_uk_date(text: str) -> date:
    """'3/2/2027', '03/02/2027' or '3 February 2027' (and ISO from links) as a date."""
    cleaned = " ".join((text or "").split())
    if not cleaned:
        raise ValueError("Enter the date the money was received")
    for pattern in _UK_DATES:
        try:
            day = datetime.strptime(cleaned, pattern).date()
        except ValueError:
            continue
        if day.year >= 1900:
            return day
    raise ValueError(f"Enter the date the money was received as a real date, for example {example_date(0)}")


class UkDate(Parsed):
    parse = staticmethod(parse_uk_date)


def _reference(value: str) -> None:
    if not value.strip():
        raise ValidationError("Enter the payment's reference")
    if len(value.strip()) > MAX_REFERENCE:
        raise ValidationError(f"The reference must be {MAX_REFERENCE} characters or fewer")


class PaymentForm(FormSchema):
    amount = Pounds(required=True, error_messages={"required": "Enter the amount received"})
    received_on = UkDate(required=True, error_messages={"required": "Enter the date the money was received"})
    reference = fields.String(
        required=True, validate=_reference, error_messages={"required": "Enter the payment's reference"}
    )
    allocate = fields.String(
        load_default="oldest",
        validate=validate.OneOf(["oldest", "choose"], error="Choose how to allocate the payment"),
    )


class ReversalForm(FormSchema):
    reason = fields.String(
        required=True,
        validate=validate.Length(max=MAX_REASON, error="The reason is too long"),
        error_messages={"required": "Enter why the payment is being reversed"},
    )
