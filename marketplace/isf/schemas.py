"""ISF JSON in and out (amounts in pence, dates ISO, ids strings) and the HTML forms."""

from datetime import date

from marshmallow import Schema, ValidationError, fields, post_load, pre_load, validate, validates_schema

from marketplace.budgets.models import StreamKind
from marketplace.core.schemas import FormSchema, Id, Pence, Percent, Pounds, TypedDate
from marketplace.isf.operations.agreements import (
    DEFAULT_CONTINGENCY_BP,
    DEFAULT_SURPLUS_WEEKS,
    DEFAULT_TOP_SLICE_BP,
)


class OrgRef(Schema):
    id = Id()
    slug = fields.String()
    name = fields.String()


class ChildRef(Schema):
    id = Id()
    name = fields.String()


class BalancesOut(Schema):
    available = fields.Integer()
    contingency = fields.Integer()


class FunderOut(Schema):
    stream_id = Id(attribute="stream.id")
    kind = fields.Function(lambda c: c.stream.kind.value)
    funder = fields.Function(lambda c: OrgRef().dump(c.stream.funder))
    annual_amount = fields.Integer(attribute="stream.amount")
    po_number = fields.String(attribute="stream.po_number")
    cycle = fields.Function(lambda c: c.cycle.value)
    timing = fields.Function(lambda c: c.timing.value)


class AgreementOut(Schema):
    party = fields.Function(lambda a: a.party.value)
    organisation = fields.Function(lambda a: OrgRef().dump(a.organisation))
    agreed_at = fields.DateTime()


class InstalmentOut(Schema):
    stream_id = Id()
    funder = fields.String()
    kind = fields.String()
    po_number = fields.String()
    number = fields.Integer()
    period_start = fields.Date()
    period_end = fields.Date()
    due_on = fields.Date()
    amount = fields.Integer()


class ReleaseOut(Schema):
    id = Id()
    amount = fields.Integer()
    reason = fields.String()
    status = fields.Function(lambda r: r.status.value)
    requested_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    decided_by = fields.Function(lambda r: r.decided_by_org.name if r.decided_by_org else None)
    decision_note = fields.String(allow_none=True)
    released_on = fields.Date(allow_none=True)


class DrawdownOut(Schema):
    week_start = fields.Date()
    drawdown_date = fields.Date()
    planned = fields.Integer()
    arrears = fields.Integer()
    due = fields.Integer()
    drawn = fields.Integer()
    top_slice = fields.Integer()
    delivery = fields.Integer()
    shortfall = fields.Integer()


class ReceiptOut(Schema):
    id = Id()
    stream_id = Id(allow_none=True)
    funder = fields.Function(lambda r: r.funder.name if r.funder else "Family contribution")
    amount = fields.Integer()
    contingency = fields.Integer()
    available = fields.Integer()
    received_on = fields.Date()
    reference = fields.String()
    reversed_on = fields.Function(lambda r: r.reversal.reversed_on.isoformat() if r.reversal else None)


class IsfOut(Schema):
    id = Id()
    budget_id = Id()
    provider = fields.Function(lambda i: OrgRef().dump(i.provider))
    child = fields.Function(lambda i: ChildRef().dump(i.budget.child))
    start_date = fields.Date()
    end_date = fields.Date()
    weekly_amount = fields.Integer()
    drawdown_weekday = fields.Integer()
    contingency_bp = fields.Integer()
    top_slice_bp = fields.Integer()
    surplus_threshold_weeks = fields.Integer()
    family_contribution_first = fields.Boolean()
    annual_amount = fields.Integer()
    agreed = fields.Boolean(attribute="is_agreed")
    parked = fields.Boolean(attribute="is_parked")
    parked_reason = fields.String(allow_none=True)
    balances = fields.Nested(BalancesOut)
    funders = fields.Nested(FunderOut, many=True, attribute="cycles")
    agreements = fields.Nested(AgreementOut, many=True)


class IsfDetailOut(IsfOut):
    funding_schedule = fields.Nested(InstalmentOut, many=True)
    receipts = fields.Nested(ReceiptOut, many=True)
    drawdowns = fields.Nested(DrawdownOut, many=True)
    releases = fields.Nested(ReleaseOut, many=True)


class StatementLineOut(Schema):
    date = fields.Date()
    type = fields.String()
    description = fields.String()
    funder = fields.String(allow_none=True)
    amount = fields.Integer()
    available_change = fields.Integer()
    contingency_change = fields.Integer()
    top_slice = fields.Integer()
    delivery = fields.Integer()
    shortfall = fields.Integer()


class FunderShareOut(Schema):
    funder_id = Id(allow_none=True)
    funder = fields.String()
    stream = fields.String()
    receipts = fields.Integer()
    contingency_set_aside = fields.Integer()
    contributed = fields.Integer()
    share_of_drawn = fields.Integer()


class StatementOut(Schema):
    isf_id = Id()
    from_ = fields.Date(data_key="from", attribute="from")
    to = fields.Date()
    opening = fields.Nested(BalancesOut)
    receipts = fields.Integer()
    contingency_set_aside = fields.Integer()
    drawn = fields.Integer()
    top_slice = fields.Integer()
    delivery = fields.Integer()
    contingency_released = fields.Integer()
    shortfall = fields.Integer()
    closing = fields.Nested(BalancesOut)
    funders = fields.Nested(FunderShareOut, many=True)
    lines = fields.Nested(StatementLineOut, many=True)


EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)  # a statement's period lies in this window


class PeriodIn(FormSchema):
    """?from=&to= (both ISO dates from 2000 to 2099, to on or after from)."""

    from_ = TypedDate(
        bounded=False, data_key="from", required=True, error_messages={"required": "Enter the start date"}
    )
    to = TypedDate(bounded=False, required=True, error_messages={"required": "Enter the end date"})

    @validates_schema
    def _in_order(self, data, **kwargs):
        errors = {
            key: [f"Enter a date between {EARLIEST:%-d %B %Y} and {LATEST:%-d %B %Y}"]
            for name, key in (("from_", "from"), ("to", "to"))
            if name in data and not EARLIEST <= data[name] <= LATEST
        }
        if errors:  # the calendar's edges (year 1, 9999) have no day before or after to read
            raise ValidationError(errors)
        if "from_" in data and "to" in data and data["to"] < data["from_"]:
            raise ValidationError("The period must end on or after it starts", field_name="to")


class ReceiptIn(Schema):
    stream_id = fields.String(required=True, metadata={"description": "a funding stream id, or 'family'"})
    amount = Pence(required=True)
    received_on = fields.Date(required=True)
    reference = fields.String(required=True, validate=validate.Length(min=1, max=120))


class ReleaseIn(Schema):
    amount = Pence(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class DecisionIn(Schema):
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class UnparkIn(Schema):
    """Optionally, the number of weeks the caller was shown would be posted: a catch-up that
    would now post another number posts nothing (409)."""

    weeks = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0, max=100_000))


class TermsForm(FormSchema):
    """The terms a commissioner sets up, or either party amends."""

    weekly_amount = Pounds(required=True, error_messages={"required": "Enter the planned weekly drawdown"})
    contingency_bp = Percent(required=True, error_messages={"required": "Enter the contingency percentage"})
    top_slice_bp = Percent(required=True, error_messages={"required": "Enter the top-slice percentage"})
    surplus_threshold_weeks = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=52, error="Enter a number of weeks from 1 to 52"),
        error_messages={
            "required": "Enter the clawback threshold in weeks",
            "invalid": "Enter a whole number of weeks",
        },
    )
    end_date = TypedDate(
        bounded=False,
        required=True,
        error_messages={"required": "Enter the end date"},
    )


class SetupForm(TermsForm):
    """The set-up page: the terms, the provider's slug, and `cycle_<kind>` / `timing_<kind>` for
    each stream, loaded as `cycles` {kind: (cycle, timing)} (None where not sent) for
    `operations.set_up_isf` to check. A blank box counts as not answered."""

    provider = fields.String(
        required=True, error_messages={"required": "Choose the provider that will hold the ISF"}
    )
    start_date = TypedDate(
        bounded=False,
        required=True,
        error_messages={"required": "Enter the start date"},
    )
    drawdown_weekday = fields.Integer(
        load_default=0, validate=validate.Range(min=0, max=6, error="Choose a day of the week")
    )
    family_contribution_first = fields.Boolean(load_default=False)

    @pre_load
    def _blank_is_missing(self, data, **kwargs):
        return {k: v for k, v in data.items() if v != ""}

    @post_load(pass_original=True)
    def _cycles(self, data, original, **kwargs):
        # from the form as sent: a cycle or timing sent blank is refused by the operation, by name
        data["cycles"] = {
            kind.value: (original.get(f"cycle_{kind.value}"), original.get(f"timing_{kind.value}"))
            for kind in StreamKind
        }
        return data

    @staticmethod
    def initial(budget) -> dict[str, str]:
        """What the set-up page shows first: the budget's period and the usual terms."""
        return {
            "start_date": str(budget.period_start),
            "end_date": str(budget.period_end),
            "contingency_bp": _percent_text(DEFAULT_CONTINGENCY_BP),
            "top_slice_bp": _percent_text(DEFAULT_TOP_SLICE_BP),
            "surplus_threshold_weeks": str(DEFAULT_SURPLUS_WEEKS),
            "drawdown_weekday": "0",
        }


def _percent_text(bp: int) -> str:
    """Basis points as a person types a percentage: 500 -> '5', 850 -> '8.5'."""
    whole, rem = divmod(bp, 100)
    return f"{whole}.{rem:02d}".rstrip("0").rstrip(".")


class AmendForm(TermsForm):
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000, error="Say why the terms are changing"),
        error_messages={"required": "Say why the terms are changing"},
    )


class ReleaseForm(FormSchema):
    amount = Pounds(required=True, error_messages={"required": "Enter an amount"})
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000, error="Say what the contingency is needed for"),
        error_messages={"required": "Say what the contingency is needed for"},
    )


class ReceiptForm(FormSchema):
    stream_id = fields.String(required=True, error_messages={"required": "Choose who paid"})
    amount = Pounds(required=True, error_messages={"required": "Enter an amount"})
    received_on = TypedDate(bounded=False, required=True)
    reference = fields.String(
        required=True,
        validate=validate.Length(min=1, max=120, error="Enter the payment's reference"),
        error_messages={"required": "Enter the payment's reference"},
    )


class DecisionForm(FormSchema):
    note = fields.String(load_default="", validate=validate.Length(max=2000))
