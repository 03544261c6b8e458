"""marshmallow helpers: parse input or raise ValidationFailed naming each field."""

from datetime import date, datetime
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields

from marketplace.core.errors import ValidationFailed
from marketplace.core.ids import db_id
from marketplace.core.money import MAX_PENCE, parse_percent_bp, parse_pounds


def _flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, dict):
                out.update(_flatten(value, name))
            else:
                out[name] = [str(v) for v in (value if isinstance(value, list) else [value])]
    else:
        out[prefix or "_schema"] = [str(m) for m in messages]
    return out


def parse(schema: Schema, data: Any, message: str = "Check the highlighted fields") -> dict:
    """Load `data` with `schema`; bad input becomes a 422 naming the fields."""
    if data is None:
        raise ValidationFailed("Send a JSON object", fields={"_schema": ["Expected a JSON object"]})
    try:
        return schema.load(data)
    except ValidationError as err:
        raise ValidationFailed(message, fields=_flatten(err.messages)) from None


class Pence(fields.Integer):
    """An amount of money in integer pence (JSON), refusing floats, booleans and absurd sizes."""

    def __init__(self, *, allow_zero: bool = False, **kwargs):
        super().__init__(strict=True, **kwargs)
        self.allow_zero = allow_zero

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise ValidationError("Must be a whole number of pence")
        pence = super()._deserialize(value, attr, data, **kwargs)
        if pence < 0 or (pence == 0 and not self.allow_zero):
            raise ValidationError(
                "Must be more than zero pence" if not self.allow_zero else "Must not be negative"
            )
        if pence >= MAX_PENCE:
            raise ValidationError("Amount is too large")
        return pence


class Id(fields.String):
    """An id: a string in JSON, an int inside."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else str(value)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ValidationError("Not a valid id")
        try:
            return db_id(value)
        except ValueError:
            raise ValidationError("Not a valid id") from None


class FormSchema(Schema):
    """A schema for an HTML form: extra fields (csrf_token, buttons) are ignored."""

    class Meta:
        unknown = EXCLUDE


class Parsed(fields.String):
    """Text a person typed, loaded by `parse` (a function of the text that raises ValueError with
    a message for the person); subclasses set `parse`."""

    parse = staticmethod(str)

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return self.parse(super()._deserialize(value, attr, data, **kwargs))
        except ValueError as err:
            raise ValidationError(str(err)) from None


class Pounds(Parsed):
    """An amount a person typed in pounds ('1,234.50', '£295'), loaded as integer pence."""

    parse = staticmethod(parse_pounds)


class Percent(Parsed):
    """A percentage a person typed ('5', '8.5'), loaded as integer basis points."""

    parse = staticmethod(parse_percent_bp)


EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)
_DATE_RANGE = f"Must be a date from {EARLIEST_DATE.year} to {LATEST_DATE.year}"


UK_DATE_FORMATS = (
    "%d/%m/%Y",
    "%Y-%m-%d",
)  # 31/12/2026 as people type it; 2026-12-31 as links and programs send it


def example_date(days_ahead: int = 30) -> str:
    """A date in the weeks ahead, as people type one ("31/12/2026"): hints and messages give
    examples in the future, so they never read as stale."""
    from datetime import timedelta

    from marketplace.core.clock import today

    return (today() + timedelta(days=days_ahead)).strftime("%d/%m/%Y")


def parse_date(text, formats: tuple[str, ...] = UK_DATE_FORMATS) -> date | None:
    """31/12/2026, 1/2/2027 or 2026-12-31 -> a date; None if it is not one of `formats`."""
    if isinstance(text, datetime):
        return None
    if isinstance(text, date):
        return text
    cleaned = str(text or "").strip()
    for pattern in formats:
        try:
            day = datetime.strptime(cleaned, pattern).date()
        except ValueError:
            continue
        if pattern == "%Y-%m-%d" and len(cleaned) != 10:
            continue  # strict ISO: 2026-1-5 is not a date a program sends
        return day
    return None


class Date(fields.Date):
    """An ISO 8601 calendar date (2026-12-31), as JSON bodies carry them (CONTRACT.md), within
    years 1900-2199: dates at the calendar's edges (0001-01-01, 9999-12-31) would overflow the
    day arithmetic and time zones applied to them. `bounded=False` leaves the window to an
    operation that checks a narrower one and names it (an ISF's period). For what people type,
    use TypedDate."""

    formats: tuple[str, ...] = ("%Y-%m-%d",)

    def __init__(self, *args, bounded: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.bounded = bounded

    def _invalid(self) -> str:
        return self.error_messages["invalid"]

    def _deserialize(self, value, attr, data, **kwargs):
        day = parse_date(value, self.formats)
        if day is None:
            raise ValidationError(self._invalid())
        if self.bounded and not EARLIEST_DATE <= day <= LATEST_DATE:
            raise ValidationError(_DATE_RANGE)
        return day


class TypedDate(Date):
    """A date as people type it (31/12/2026, 1/2/2027) or as the pages' own links send it
    (2026-12-31): every form field and query string a person fills in."""

    formats = UK_DATE_FORMATS

    def _invalid(self) -> str:
        message = self.error_messages.get("invalid")
        if not message or message == fields.Date.default_error_messages["invalid"]:
            return f"Enter a date like {example_date()}"
        return message


class AwareDateTime(fields.AwareDateTime):
    """An instant with an offset, within years 1900-2199 (see Date)."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            moment: datetime = super()._deserialize(value, attr, data, **kwargs)
        except OverflowError:
            raise ValidationError(_DATE_RANGE) from None
        if not EARLIEST_DATE <= moment.date() <= LATEST_DATE:
            raise ValidationError(_DATE_RANGE)
        return moment
