from marshmallow import Schema, fields, validate

from marketplace.core.schemas import FormSchema, Id, Pence


class BookingIn(Schema):
    slot_id = Id(required=True)
    budget_id = Id(required=True)
    units = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=366))
    outcome_id = Id(load_default=None, allow_none=True)
    emergency = fields.Boolean(load_default=False)
    # Emergency bookings only: the user (the budget's family, or a commissioner funding it) who
    # asked the provider for this emergency place; recorded in the booking's history.
    asked_by = Id(load_default=None, allow_none=True)
    # Optional: the cost the caller was quoted, in pence; a different cost now is refused (409).
    expected_cost = Pence(allow_zero=True, load_default=None, allow_none=True)


class ReasonIn(Schema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class PaymentOut(Schema):
    stream = fields.Function(lambda p: p.stream.kind.value)
    funder = fields.Function(lambda p: p.stream.funder.name)
    amount = fields.Integer()


class EventOut(Schema):
    from_status = fields.String(allow_none=True)  # null for the booking's first event
    to_status = fields.String()
    at = fields.DateTime()
    note = fields.String(allow_none=True)
    charge = fields.Integer()


class BookingOut(Schema):
    id = Id()
    status = fields.Function(lambda b: b.status.value)
    cost = fields.Integer()
    charge = fields.Integer()
    units = fields.Integer()
    unit_price = fields.Function(lambda b: b.terms["price"])
    unit = fields.Function(lambda b: b.terms["unit"])
    slot_id = Id()
    offer_id = Id()
    offer = fields.Function(lambda b: b.offer.title)
    budget_id = Id()
    child = fields.Function(lambda b: b.child.name)
    provider = fields.Function(lambda b: b.provider.name)
    starts_at = fields.Function(lambda b: b.slot.starts_at.isoformat())
    ends_at = fields.Function(lambda b: b.slot.ends_at.isoformat())
    cancelled_by = fields.Function(lambda b: b.cancelled_by.value if b.cancelled_by else None)
    emergency = fields.Boolean()
    outcome_id = Id(allow_none=True)
    payments = fields.List(fields.Nested(PaymentOut))
    events = fields.List(fields.Nested(EventOut))
    created_at = fields.DateTime()


class UnitsForm(FormSchema):
    outcome_id = Id(load_default=None, allow_none=True)
    units = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=366),
        error_messages={"required": "Enter how many you want to book", "invalid": "Enter a whole number"},
    )


class BudgetChoiceForm(FormSchema):
    budget_id = Id(required=True, error_messages={"required": "Choose which budget pays"})


class ReasonForm(FormSchema):
    reason = fields.String(load_default="", validate=validate.Length(max=2000))


class QuotedForm(FormSchema):
    """What the check page showed, posted back with "Confirm booking"."""

    expected_cost = fields.Integer(
        required=True,
        validate=validate.Range(min=0),
        error_messages={
            "required": "Check the cost and confirm again",
            "invalid": "Check the cost and confirm again",
        },
    )
    expected_terms = fields.String(
        required=True,
        validate=validate.Length(min=1, max=64),
        error_messages={"required": "Check the terms and confirm again"},
    )
