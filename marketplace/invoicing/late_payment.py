"""Statutory late-payment interest and fixed compensation on overdue invoices (Late Payment of
Commercial Debts (Interest) Act 1998): claimable from organisations, never from families.

Interest is simple, at 8% a year over the reference rate (the Bank of England base rate in force
on 31 December for the following January–June, on 30 June for July–December: a dated table in
configuration, `LATE_PAYMENT_REFERENCE_RATES`). It accrues daily from the day after the due date
on the amount outstanding that day, over a 365-day year, computed exactly (fractions of a penny
kept) and rounded half up once per invoice.

A reduction (a payment received or a credit note) dated D lowers what is outstanding from the day
after D: the day money arrives is still a day late, so an invoice due on 4 January and paid on
3 February is 30 days late, exactly as one still unpaid on 3 February is 30 days overdue.

Fixed compensation is per invoice, by the debt (what was outstanding when it fell overdue): £40
under £1,000, £70 under £10,000, £100 otherwise; nothing if it was settled by its due date.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.core.clock import today
from marketplace.invoicing.models import (
    CreditNote,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentReversal,
)

ACT = "Late Payment of Commercial Debts (Interest) Act 1998"
STATUTORY_MARGIN_BP = 800  # the Act's 8% over the reference rate
DAYS_IN_YEAR = 365
INTEREST_DENOMINATOR = 10_000 * DAYS_IN_YEAR  # basis points over a 365-day year
# (debt below this many pence, compensation in pence); at or above the last limit: TOP_COMPENSATION
COMPENSATION_TIERS = ((100_000, 4_000), (1_000_000, 7_000))
TOP_COMPENSATION = 10_000
FAMILY_REASON = (
    f"Not claimable: the {ACT} covers debts between businesses and public bodies, "
    "so a family is never charged interest or compensation."
)

Reduction = tuple[date, int]  # (the day it was received or credited, pence)


# ---- the reference rate ------------------------------------------------------------------------


@dataclass(frozen=True)
class RatePeriod:
    """A half-year's reference rate, from `start` (1 January or 1 July) until the next one listed."""

    start: date
    reference_bp: int

    @property
    def statutory_bp(self) -> int:
        return STATUTORY_MARGIN_BP + self.reference_bp

    @property
    def half_year(self) -> str:
        """'January–June 2027' (or 'July–December 2027')."""
        months = "January–June" if self.start.month == 1 else "July–December"
        return f"{months} {self.start.year}"


def rate_table(rows: Iterable[tuple[str | date, int]] | None = None) -> list[RatePeriod]:
    """The configured table (`LATE_PAYMENT_REFERENCE_RATES`) as rate periods, in date order."""
    if rows is None:
        rows = current_app.config["LATE_PAYMENT_REFERENCE_RATES"]
    periods = [RatePeriod(d if isinstance(d, date) else date.fromisoformat(d), int(bp)) for d, bp in rows]
    return sorted(periods, key=lambda p: p.start)


def rate_on(day: date, table: Sequence[RatePeriod]) -> RatePeriod:
    """The period whose rate applies on `day`: the last listed to start on or before it (a
    half-year not yet listed keeps the last rate). Before the table starts there is no rate."""
    applicable = [p for p in table if p.start <= day]
    if not applicable:
        raise LookupError(
            f"No late-payment reference rate is configured for {day:%-d %B %Y}: "
            "LATE_PAYMENT_REFERENCE_RATES must start on or before it."
        )
    return applicable[-1]


def rate_in_force(day: date, table: Sequence[RatePeriod]) -> RatePeriod | None:
    """The period whose rate applies on `day`, or None before the table starts (to show; interest
    over such days is refused by `rate_on`)."""
    try:
        return rate_on(day, table)
    except LookupError:
        return None


def half_year_start(day: date) -> date:
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def is_listed(day: date, table: Sequence[RatePeriod]) -> bool:
    """Whether `day`'s own half-year is in the table (else the last rate is carried forward)."""
    return any(p.start == half_year_start(day) for p in table)


# ---- interest and compensation -----------------------------------------------------------------


@dataclass(frozen=True)
class InterestPeriod:
    """Days in a row on which the same amount was outstanding at the same rate."""

    first_day: date
    last_day: date
    outstanding: int
    reference_bp: int

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def statutory_bp(self) -> int:
        return STATUTORY_MARGIN_BP + self.reference_bp

    @property
    def numerator(self) -> int:
        """The period's interest in units of 1/(10,000 × 365) of a penny: outstanding × rate × days."""
        return self.outstanding * self.statutory_bp * self.days

    @property
    def interest(self) -> Fraction:
        """Exact pence: outstanding × rate × days / 365."""
        return Fraction(self.numerator, INTEREST_DENOMINATOR)


def total_interest(periods: Iterable[InterestPeriod]) -> int:
    """The periods' exact interest added up (one denominator, so in integers), then rounded half
    up once to the penny."""
    return round_half_up(Fraction(sum(p.numerator for p in periods), INTEREST_DENOMINATOR))


def round_half_up(amount: Fraction) -> int:
    """A non-negative amount of pence to the nearest penny, a half penny up."""
    return (2 * amount.numerator + amount.denominator) // (2 * amount.denominator)


def outstanding_on(principal: int, reductions: Iterable[Reduction], day: date) -> int:
    """What is still owed at the end of `day`: the principal less every reduction dated on or before it."""
    return max(0, principal - sum(pence for on, pence in reductions if on <= day))


def interest_periods(
    principal: int, due_date: date, on: date, reductions: Sequence[Reduction], table: Sequence[RatePeriod]
) -> list[InterestPeriod]:
    """The days from the day after `due_date` to `on` (inclusive), split where the amount
    outstanding or the rate changes; days with nothing outstanding are left out."""
    first, end = due_date + timedelta(days=1), on + timedelta(days=1)
    if end <= first:
        return []
    breaks = {first, end}
    breaks |= {day + timedelta(days=1) for day, _ in reductions if first < day + timedelta(days=1) < end}
    breaks |= {p.start for p in table if first < p.start < end}
    edges = sorted(breaks)
    periods = []
    for start, stop in zip(edges, edges[1:], strict=False):
        owed = outstanding_on(principal, reductions, start - timedelta(days=1))
        if owed > 0:
            rate = rate_on(start, table)
            periods.append(InterestPeriod(start, stop - timedelta(days=1), owed, rate.reference_bp))
    return periods


def statutory_interest(
    principal: int,
    due_date: date,
    on: date,
    reductions: Sequence[Reduction] = (),
    table: Sequence[RatePeriod] | None = None,
) -> int:
    """Interest in pence on `principal` due on `due_date`, accrued by the end of `on`: simple,
    daily, on what was outstanding each day, at 8% over that day's reference rate, over a
    365-day year; exact until rounded half up once. `reductions` are [(date, pence)]."""
    table = rate_table() if table is None else table
    return total_interest(interest_periods(principal, due_date, on, reductions, table))


def fixed_compensation(debt: int) -> int:
    """The Act's fixed sum for one invoice's debt (pence): £40 under £1,000, £70 under £10,000,
    £100 otherwise; nothing for no debt."""
    if debt <= 0:
        return 0
    for limit, pence in COMPENSATION_TIERS:
        if debt < limit:
            return pence
    return TOP_COMPENSATION


@dataclass(frozen=True)
class LatePayment:
    """What a provider may claim on one invoice on `on`, beyond the invoice itself."""

    on: date
    due_date: date
    outstanding: int  # still owed at the end of `on`
    debt: int  # owed when it fell overdue (the day after the due date): sets the compensation
    days_overdue: int  # days past the due date while anything is owed, else 0
    interest: int
    compensation: int
    rate: RatePeriod | None  # the reference rate in force on `on` (None: none configured yet)
    periods: tuple[InterestPeriod, ...] = ()
    not_claimable: str | None = None  # why nothing may be claimed from this payer

    @property
    def claimable(self) -> int:
        return self.interest + self.compensation

    @property
    def is_overdue(self) -> bool:
        return self.days_overdue > 0


def late_payment(
    principal: int,
    due_date: date,
    on: date,
    reductions: Sequence[Reduction] = (),
    table: Sequence[RatePeriod] | None = None,
    payer_is_family: bool = False,
) -> LatePayment:
    """Interest and compensation claimable on `on` for a debt of `principal` due on `due_date`
    (reductions: payments and credit notes as [(date, pence)]). A family is never charged either."""
    table = rate_table() if table is None else table
    reductions = [(day, pence) for day, pence in reductions if day <= on]
    outstanding = outstanding_on(principal, reductions, on)
    debt = outstanding_on(principal, reductions, due_date) if on > due_date else 0
    days = (on - due_date).days if outstanding > 0 and on > due_date else 0
    rate = rate_in_force(on, table)
    if payer_is_family:
        return LatePayment(on, due_date, outstanding, debt, days, 0, 0, rate, (), FAMILY_REASON)
    try:
        periods = tuple(interest_periods(principal, due_date, on, reductions, table))
    except LookupError as missing:  # overdue since before the configured rates start
        return LatePayment(
            on, due_date, outstanding, debt, days, 0, 0, rate, (), f"Not claimable yet: {missing}"
        )
    interest = total_interest(periods)
    return LatePayment(
        on, due_date, outstanding, debt, days, interest, fixed_compensation(debt), rate, periods
    )


# ---- invoices: where dated reductions come from ------------------------------------------------

# Each source gives, for invoice ids, the dated reductions it knows: [(date, pence)] per invoice.
# Payments received (their allocations' received_on) and credit notes (their dates) register one
# each; a reversed payment is fed as a negative amount on the reversal's date, or left out.
ReductionSource = Callable[[Session, Sequence[int]], Mapping[int, Iterable[Reduction]]]
_SOURCES: list[ReductionSource] = []


def register_reductions(source: ReductionSource) -> None:
    """Add a source of dated reductions (payments, credit notes)."""
    if source not in _SOURCES:
        _SOURCES.append(source)


def dated_reductions(session: Session, invoices: Sequence[Invoice]) -> dict[int, list[Reduction]]:
    """Every invoice's dated reductions from every registered source. What an invoice says it has
    been paid or credited beyond those (a source not registered) counts as settled by its due
    date: no interest is ever claimed on money that may have arrived on time."""
    ids = [i.id for i in invoices]
    found: dict[int, list[Reduction]] = {i: [] for i in ids}
    for source in _SOURCES:
        for invoice_id, items in source(session, ids).items():
            found.setdefault(invoice_id, []).extend(items)
    for invoice in invoices:
        undated = invoice.amount_paid + invoice.amount_credited - sum(p for _, p in found[invoice.id])
        if undated > 0 and invoice.due_date is not None:
            found[invoice.id].append((invoice.due_date, undated))
    return found


def is_claimable_invoice(invoice: Invoice) -> bool:
    return invoice.due_date is not None and invoice.status not in (InvoiceStatus.DRAFT, InvoiceStatus.VOID)


def for_invoice(
    session: Session,
    invoice: Invoice,
    on: date | None = None,
    reductions: Sequence[Reduction] | None = None,
    table: Sequence[RatePeriod] | None = None,
) -> LatePayment | None:
    """What may be claimed on an issued invoice on `on` (today by default); None for a draft or
    void one. `reductions` default to the registered sources' (see `dated_reductions`)."""
    if not is_claimable_invoice(invoice):
        return None
    if reductions is None:
        reductions = dated_reductions(session, [invoice])[invoice.id]
    return late_payment(
        invoice.total,
        invoice.due_date,
        on or today(),
        reductions,
        table,
        payer_is_family=invoice.payer_family_id is not None,
    )


def for_invoices(
    session: Session, invoices: Sequence[Invoice], on: date | None = None, table=None
) -> dict[int, LatePayment]:
    """`for_invoice` for many invoices at once (one query per reduction source)."""
    invoices = [i for i in invoices if is_claimable_invoice(i)]
    table = rate_table() if table is None else table
    reductions = dated_reductions(session, invoices)
    on = on or today()
    return {i.id: for_invoice(session, i, on, reductions[i.id], table) for i in invoices}


def payment_reductions(session: Session, ids: Sequence[int]) -> dict[int, list[Reduction]]:
    """Money received against the invoices, on the day it was received. A reversed payment is left
    out: the money was never the provider's to keep, so the debt ran on as if unpaid."""
    found: dict[int, list[Reduction]] = {}
    rows = session.execute(
        select(PaymentAllocation.invoice_id, Payment.received_on, PaymentAllocation.amount)
        .join(Payment, Payment.id == PaymentAllocation.payment_id)
        .outerjoin(PaymentReversal, PaymentReversal.payment_id == Payment.id)
        .where(PaymentAllocation.invoice_id.in_(list(ids)), PaymentReversal.id.is_(None))
    )
    for invoice_id, day, amount in rows:
        found.setdefault(invoice_id, []).append((day, amount))
    return found


def credit_note_reductions(session: Session, ids: Sequence[int]) -> dict[int, list[Reduction]]:
    """What credit notes took off the invoices, on their dates."""
    found: dict[int, list[Reduction]] = {}
    rows = session.execute(
        select(CreditNote.invoice_id, CreditNote.issue_date, CreditNote.total).where(
            CreditNote.invoice_id.in_(list(ids))
        )
    )
    for invoice_id, day, total in rows:
        found.setdefault(invoice_id, []).append((day, total))
    return found


register_reductions(payment_reductions)
register_reductions(credit_note_reductions)
