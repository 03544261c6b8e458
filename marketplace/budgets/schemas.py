"""marshmallow schemas for budgets: HTML forms in, JSON out. Money in JSON is integer pence."""

import re

from marshmallow import Schema, ValidationError, fields, validate

from marketplace.budgets.models import BudgetStatus, ManagementOption, OutcomeStatus, StreamKind, TimeFrame
from marketplace.catalog.models import Category
from marketplace.core.ids import db_id
from marketplace.core.schemas import FormSchema, Id, Pence, Pounds, TypedDate

KNOWN_CATEGORIES = [c.value for c in Category]


def _values(enum_cls) -> list[str]:
    return [m.value for m in enum_cls]


def _one_of(enum_cls, message: str) -> validate.OneOf:
    return validate.OneOf(_values(enum_cls), error=message)


def id_or_none(text: str | None) -> int | None:
    """An id from a URL segment or query parameter, or None if it is not one."""
    try:
        return db_id(text or "")
    except ValueError:
        return None


def form_dict(form, lists: tuple[str, ...] = ()) -> dict:
    """A submitted form as a dict, without blank values (so load_default applies); `lists` are
    multi-valued fields (checkboxes)."""
    data = {}
    for key in form:
        if key in lists or key.endswith(tuple("." + name for name in lists)):
            data[key] = [v for v in form.getlist(key) if v.strip()]
        else:
            value = form.get(key, "").strip()
            if value:
                data[key] = value
    return data


# ---- forms ----------------------------------------------------------------------------------


class StreamForm(FormSchema):
    kind = fields.String(
        required=True,
        validate=_one_of(StreamKind, "Choose social care, education, health or charity"),
        error_messages={"required": "Choose the kind of funding"},
    )
    funder = fields.String(required=True, error_messages={"required": "Choose the funder"})
    amount = Pounds(required=True, error_messages={"required": "Enter the amount"})
    po_number = fields.String(load_default="", validate=validate.Length(max=60))
    payment_terms_days = fields.Integer(
        load_default=30, validate=validate.Range(0, 365, error="Enter a number of days from 0 to 365")
    )
    categories = fields.List(fields.String(), load_default=list)
    management = fields.String(
        load_default="managed", validate=_one_of(ManagementOption, "Choose how the money is managed")
    )


class NewBudgetForm(FormSchema):
    child_id = fields.String(load_default="")  # the picker: one of the children the user knows
    family = fields.String(load_default="")  # or, for a family not in the list, its reference
    child = fields.String(load_default="")
    period_start = TypedDate(bounded=False, load_default=None)
    period_end = TypedDate(bounded=False, load_default=None)
    status = fields.String(
        load_default="indicative",
        validate=validate.OneOf(
            ["indicative", "agreed", "active"], error="Choose indicative, agreed or active"
        ),
    )
    streams = fields.List(
        fields.Nested(StreamForm), required=True, error_messages={"required": "Add a funding stream"}
    )


def stream_rows(data: dict, rows: int) -> list[dict]:
    """Turn flat `streams.N.field` form keys into a list of stream dicts (blank rows dropped)."""
    out = []
    for i in range(rows):
        prefix = f"streams.{i}."
        row = {k[len(prefix) :]: v for k, v in data.items() if k.startswith(prefix)}
        if any(row.get(k) for k in ("kind", "amount", "po_number")):
            out.append(row)
    return out


class AmendStreamForm(FormSchema):
    amount = Pounds(required=True, error_messages={"required": "Enter the amount"})
    po_number = fields.String(load_default="", validate=validate.Length(max=60))
    payment_terms_days = fields.Integer(
        required=True,
        validate=validate.Range(0, 365, error="Enter a number of days from 0 to 365"),
        error_messages={"required": "Enter the payment terms in days"},
    )
    categories = fields.List(fields.String(), load_default=list)
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000),
        error_messages={"required": "Say why the stream is being changed"},
    )


class StatusForm(FormSchema):
    status = fields.String(
        required=True,
        validate=_one_of(BudgetStatus, "Choose indicative, agreed, active or closed"),
        error_messages={"required": "Choose a status"},
    )


class OutcomeForm(FormSchema):
    description = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000),
        error_messages={"required": "Describe the outcome"},
    )
    time_frame = fields.String(
        required=True,
        validate=_one_of(TimeFrame, "Choose short, medium or long"),
        error_messages={"required": "Choose a time frame"},
    )
    review_date = TypedDate(bounded=False, required=True, error_messages={"required": "Enter a review date"})


class OutcomeUpdateForm(FormSchema):
    status = fields.String(
        load_default=None, validate=_one_of(OutcomeStatus, "Choose a status from the list")
    )
    review_date = TypedDate(bounded=False, load_default=None)


class QuestionsText(fields.String):
    """RAS questions typed as blocks separated by blank lines: the question on the first line,
    then one answer per line as `label = points`."""

    ANSWER = re.compile(r"^[-*]?\s*(?P<label>.+?)\s*=\s*(?P<points>\d{1,6})\s*$")

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        questions = []
        for block in re.split(r"\n\s*\n", text.strip().replace("\r\n", "\n")):
            lines = [line.strip() for line in block.split("\n") if line.strip()]
            if not lines:
                continue
            answers = []
            for line in lines[1:]:
                match = self.ANSWER.match(line)
                if not match:
                    raise ValidationError(f"Write each answer as 'label = points', not '{line}'")
                answers.append({"label": match["label"], "points": int(match["points"])})
            questions.append({"text": lines[0], "answers": answers})
        if not questions:
            raise ValidationError("Add at least one question")
        return questions


class RasForm(FormSchema):
    name = fields.String(
        required=True, validate=validate.Length(min=1, max=200), error_messages={"required": "Enter a name"}
    )
    pence_per_point = Pounds(  # typed in pounds ("25.00"), kept in pence like every amount
        required=True,
        validate=validate.Range(1, 10**9, error="Enter an amount more than £0.00"),
        error_messages={"required": "Enter what each point is worth"},
    )
    questions = QuestionsText(required=True, error_messages={"required": "Add at least one question"})


class AssessForm(FormSchema):
    child = Id(required=True, error_messages={"required": "Choose the child"})


def answers_from_form(data: dict) -> dict[int, int]:
    """`q<question id>` = `<answer id>` pairs from the RAS form (anything else is ignored)."""
    answers = {}
    for key, value in data.items():
        if (
            re.fullmatch(r"q\d{1,18}", key)
            and isinstance(value, str)
            and value.isdigit()
            and len(value) <= 18
        ):
            answers[int(key[1:])] = int(value)
    return answers


# ---- JSON out -------------------------------------------------------------------------------


class StreamOut(Schema):
    id = Id()
    stream = fields.String(metadata={"description": "social_care, education, health or charity"})
    funder = fields.String(metadata={"description": "the funder organisation's slug"})
    funder_name = fields.String()
    allocated = Pence()
    held = Pence()
    spent = Pence()
    available = Pence()
    po_number = fields.String()
    payment_terms_days = fields.Integer()
    categories = fields.List(fields.String())
    management = fields.String()


class TotalsOut(Schema):
    allocated = Pence()
    held = Pence()
    spent = Pence()
    available = Pence()


class OutcomeOut(Schema):
    id = Id()
    description = fields.String()
    time_frame = fields.Function(lambda o: o.time_frame.value)
    review_date = fields.Date()
    status = fields.Function(lambda o: o.status.value)


class BudgetOut(Schema):
    id = Id()
    child_id = Id()
    child = fields.String()
    family = fields.String(metadata={"description": "the family's slug"})
    period_start = fields.Date()
    period_end = fields.Date()
    status = fields.String()
    streams = fields.Nested(StreamOut, many=True)
    totals = fields.Nested(TotalsOut)
    outcomes = fields.Nested(OutcomeOut, many=True)


class BudgetListOut(Schema):
    items = fields.Nested(BudgetOut, many=True)
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


def budget_json(budget, balances, totals) -> dict:
    """One budget with its live balances, shaped for BudgetOut."""
    return BudgetOut().dump(
        {
            "id": budget.id,
            "child_id": budget.child_id,
            "child": budget.child.name,
            "family": budget.family.slug,
            "period_start": budget.period_start,
            "period_end": budget.period_end,
            "status": budget.status.value,
            "streams": [
                {
                    "id": b.stream.id,
                    "stream": b.stream.kind.value,
                    "funder": b.stream.funder.slug,
                    "funder_name": b.stream.funder.name,
                    "allocated": b.allocated,
                    "held": b.held,
                    "spent": b.spent,
                    "available": b.available,
                    "po_number": b.stream.po_number,
                    "payment_terms_days": b.stream.payment_terms_days,
                    "categories": list(b.stream.categories or []),
                    "management": b.stream.management.value,
                }
                for b in balances
            ],
            "totals": vars(totals),
            "outcomes": list(budget.outcomes),
        }
    )
