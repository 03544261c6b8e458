"""Dates and instalments: which weeks are due for drawdown, and what each funder owes when.

Funding instalments (for the invoicing issue and the ISF page): a stream's annual amount is
split by largest remainder (core.allocation) into the cycle's instalments for one year from the
ISF's start — weekly 52 (7-day periods), four-weekly 13 (28-day periods), monthly 12 (calendar
months from the start day), quarterly 4 (three calendar months each). The instalments always
sum exactly to the annual amount and differ by at most a penny. In advance, an instalment falls
due on its period's first day; in arrears, on its last day.

Streams paid on the same cycle and timing fall due together: one instalment set per period. So
that each set comes to its even share of the streams' joint year (largest remainder, the earlier
sets taking the extra pennies), the streams take their extra pennies in turn, in listed order:
the first-listed stream's in the earliest periods, the next one's in the periods after those
(DESIGN.md example C: £7,000 / £4,000 / £1,000 a year, 18,200 : 10,400 : 2,600, paid monthly,
bills £1,000.00 a month, the first month £583.34 + £333.33 + £83.33).
"""

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta

from marketplace.core.allocation import allocate
from marketplace.core.clock import week_start
from marketplace.isf.models import Isf, IsfFundingCycle, PaymentCycle, PaymentTiming

WEEK = timedelta(days=7)
INSTALMENTS_PER_YEAR = {
    PaymentCycle.WEEKLY: 52,
    PaymentCycle.FOUR_WEEKLY: 13,
    PaymentCycle.MONTHLY: 12,
    PaymentCycle.QUARTERLY: 4,
}


# ---- drawdown weeks ---------------------------------------------------------------------------


def drawdown_date(isf: Isf, week: date) -> date:
    return week + timedelta(days=isf.drawdown_weekday)


def first_week(isf: Isf) -> date:
    return week_start(isf.start_date)


def last_due_week(isf: Isf, through: date) -> date | None:
    """The latest Monday whose drawdown day is on or before `through` (and within the ISF)."""
    last = min(week_start(through - timedelta(days=isf.drawdown_weekday)), week_start(isf.end_date))
    return last if last >= first_week(isf) else None


def due_weeks(isf: Isf, through: date, after: date | None = None) -> list[date]:
    """Mondays from the ISF's first week (or the week after `after`) whose drawdown day ≤ `through`."""
    start = first_week(isf) if after is None else after + WEEK
    last = last_due_week(isf, through)
    if last is None or last < start:
        return []
    return [start + WEEK * i for i in range((last - start).days // 7 + 1)]


# ---- funding instalments ----------------------------------------------------------------------


@dataclass(frozen=True)
class Instalment:
    stream_id: int
    funder_id: int
    funder: str
    kind: str
    po_number: str
    number: int
    period_start: date
    period_end: date
    due_on: date
    amount: int


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def _period(start: date, cycle: PaymentCycle, i: int) -> tuple[date, date]:
    if cycle is PaymentCycle.WEEKLY:
        return start + WEEK * i, start + WEEK * (i + 1) - timedelta(days=1)
    if cycle is PaymentCycle.FOUR_WEEKLY:
        return start + WEEK * 4 * i, start + WEEK * 4 * (i + 1) - timedelta(days=1)
    months = 1 if cycle is PaymentCycle.MONTHLY else 3
    return add_months(start, months * i), add_months(start, months * (i + 1)) - timedelta(days=1)


def stream_instalments(isf: Isf, cycle: IsfFundingCycle, first_extra: int = 0) -> list[Instalment]:
    """One funder's instalments for a year from the ISF's start; they sum to the annual amount.
    The extra pennies (when it does not divide evenly) go to the periods from `first_extra` on,
    wrapping round to the first."""
    stream = cycle.stream
    count = INSTALMENTS_PER_YEAR[cycle.cycle]
    amounts = allocate(stream.amount, [1] * count)  # the extra pennies first ...
    amounts = amounts[count - first_extra :] + amounts[: count - first_extra]  # ... moved along
    out = []
    for i, amount in enumerate(amounts):
        start, end = _period(isf.start_date, cycle.cycle, i)
        out.append(
            Instalment(
                stream_id=stream.id,
                funder_id=stream.funder_id,
                funder=stream.funder.name,
                kind=stream.kind.value,
                po_number=stream.po_number,
                number=i + 1,
                period_start=start,
                period_end=end,
                due_on=start if cycle.timing is PaymentTiming.ADVANCE else end,
                amount=amount,
            )
        )
    return out


def funding_schedule(isf: Isf) -> list[Instalment]:
    """Every funder's instalments, ordered by due date then by the streams' listed order. Streams
    on the same cycle and timing take their extra pennies in turn (see the module's docstring)."""
    rows, next_extra = [], {}
    for cycle in sorted(isf.cycles, key=lambda c: (c.stream.position, c.stream.id)):
        count, together = INSTALMENTS_PER_YEAR[cycle.cycle], (cycle.cycle, cycle.timing)
        first_extra = next_extra.get(together, 0)
        rows += stream_instalments(isf, cycle, first_extra)
        next_extra[together] = (first_extra + cycle.stream.amount % count) % count
    order = {s.id: (s.position, s.id) for s in isf.streams}
    return sorted(rows, key=lambda r: (r.due_on, order[r.stream_id]))


def funding_due(isf: Isf, start: date | None, end: date) -> list[Instalment]:
    """Instalments falling due in [start, end] (start None: from the beginning) — what to invoice."""
    return [i for i in funding_schedule(isf) if (start is None or i.due_on >= start) and i.due_on <= end]
