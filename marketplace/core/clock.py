"""Time: timestamps in UTC, business dates in Europe/London, weeks starting on Monday (rule 7)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """Today's business date in Europe/London."""
    return utcnow().astimezone(LONDON).date()


def business_date(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


def week_start(day: date) -> date:
    """The Monday of the week containing `day`."""
    return day - timedelta(days=day.weekday())


def london_midnight(day: date) -> datetime:
    """The UTC instant at which `day` begins in London."""
    return datetime(day.year, day.month, day.day, tzinfo=LONDON).astimezone(UTC)


def financial_year(day: date) -> tuple[date, date]:
    """The UK financial year (1 April to 31 March) containing `day`."""
    start_year = day.year if day >= date(day.year, 4, 1) else day.year - 1
    return date(start_year, 4, 1), date(start_year + 1, 3, 31)
