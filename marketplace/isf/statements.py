"""ISF statements, balance history and the quarterly review pack (read-only).

Statement rules: balances at the period's ends come from the ledger (posted, end of the business
day before `start` and of `end`); the period's totals and lines come from the ISF's receipts,
drawdowns and spent releases dated inside it, so opening + receipts − contingency set aside −
drawn = closing available, and opening + set aside − released = closing contingency. A receipt
taken back out (its payment reversed) is a line of its own on the day it was reversed, and counts
against the receipts and contingency set aside of that period.
`shortfall` is what is still owed to the provider at the end of the period. Each funder's share
of what was drawn is apportioned by largest remainder over its net contributions to date (the
family's contribution counts first when the ISF spends it first).
"""

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace import ledger
from marketplace.core.allocation import allocate
from marketplace.core.clock import today, week_start
from marketplace.core.money import apply_bp, format_pence
from marketplace.isf import books, schedule
from marketplace.isf.models import (
    ContingencyRelease,
    Isf,
    IsfDrawdown,
    IsfReceipt,
    IsfReceiptReversal,
    ReleaseStatus,
)

QUARTER_WEEKS = 13


def _balances_as_of(session: Session, isf: Isf, day: date) -> dict[str, int]:
    available, contingency = books.find_isf_accounts(session, isf)
    return {
        "available": ledger.balance_as_of(session, available, day) if available else 0,
        "contingency": ledger.balance_as_of(session, contingency, day) if contingency else 0,
    }


def _payer(receipt: IsfReceipt) -> tuple[str, str]:
    if receipt.stream is None:
        return "family", "Family contribution"
    return (
        f"stream:{receipt.stream_id}",
        f"{receipt.funder.name} ({receipt.stream.kind.value.replace('_', ' ')})",
    )


def statement(session: Session, isf: Isf, start: date, end: date) -> dict:
    """Totals over [start, end] and balances at its ends, with one line per receipt, drawdown and
    spent release (see the module docstring for the rules)."""
    receipts = session.scalars(
        select(IsfReceipt)
        .where(IsfReceipt.isf_id == isf.id, IsfReceipt.received_on.between(start, end))
        .order_by(IsfReceipt.received_on, IsfReceipt.id)
    ).all()
    drawdowns = session.scalars(
        select(IsfDrawdown)
        .where(IsfDrawdown.isf_id == isf.id, IsfDrawdown.drawdown_date.between(start, end))
        .order_by(IsfDrawdown.week_start)
    ).all()
    releases = session.scalars(
        select(ContingencyRelease)
        .where(
            ContingencyRelease.isf_id == isf.id,
            ContingencyRelease.status == ReleaseStatus.APPROVED,
            ContingencyRelease.released_on.between(start, end),
        )
        .order_by(ContingencyRelease.released_on, ContingencyRelease.id)
    ).all()
    reversals = _reversals(session, isf, start, end)
    lines = sorted(
        [_receipt_line(r) for r in receipts]
        + [_reversal_line(r) for r in reversals]
        + [_drawdown_line(d) for d in drawdowns]
        + [_release_line(r) for r in releases],
        key=lambda line: line["date"],
    )
    drawn = sum(d.drawn for d in drawdowns)
    return {
        "isf_id": isf.id,
        "from": start,
        "to": end,
        "opening": _balances_as_of(session, isf, start - timedelta(days=1)),
        "receipts": sum(r.amount for r in receipts) - sum(r.receipt.amount for r in reversals),
        "contingency_set_aside": sum(r.contingency for r in receipts)
        - sum(r.receipt.contingency for r in reversals),
        "drawn": drawn,
        "top_slice": sum(d.top_slice for d in drawdowns),
        "delivery": sum(d.delivery for d in drawdowns),
        "contingency_released": sum(r.amount for r in releases),
        "shortfall": _outstanding_shortfall(session, isf, end),
        "closing": _balances_as_of(session, isf, end),
        "funders": _funder_shares(session, isf, receipts, reversals, drawn, end),
        "lines": lines,
    }


def _receipt_line(r: IsfReceipt) -> dict:
    _, payer = _payer(r)
    return _line(
        r.received_on,
        "receipt",
        f"Received from {payer}, reference {r.reference}",
        funder=payer,
        amount=r.amount,
        available_change=r.available,
        contingency_change=r.contingency,
    )


def _reversals(session: Session, isf: Isf, start: date | None, end: date) -> list[IsfReceiptReversal]:
    """Receipts taken back out of the ISF on a day in [start, end] (from the beginning if no start)."""
    query = select(IsfReceiptReversal).where(
        IsfReceiptReversal.isf_id == isf.id, IsfReceiptReversal.reversed_on <= end
    )
    if start is not None:
        query = query.where(IsfReceiptReversal.reversed_on >= start)
    return session.scalars(query.order_by(IsfReceiptReversal.reversed_on, IsfReceiptReversal.id)).all()


def _reversal_line(reversal: IsfReceiptReversal) -> dict:
    receipt = reversal.receipt
    _, payer = _payer(receipt)
    return _line(
        reversal.reversed_on,
        "receipt_reversal",
        f"Receipt from {payer}, reference {receipt.reference}, reversed: {reversal.reason}",
        funder=payer,
        amount=-receipt.amount,
        available_change=-receipt.available,
        contingency_change=-receipt.contingency,
    )


def _drawdown_line(d: IsfDrawdown) -> dict:
    text = f"Drawdown for the week of {d.week_start:%-d %B %Y}"
    if d.arrears:
        text += f" (including arrears of {format_pence(d.arrears)})"
    return _line(
        d.drawdown_date,
        "drawdown",
        text,
        amount=d.drawn,
        available_change=-d.drawn,
        top_slice=d.top_slice,
        delivery=d.delivery,
        shortfall=d.shortfall,
    )


def _release_line(r: ContingencyRelease) -> dict:
    return _line(
        r.released_on,
        "contingency_release",
        f"Contingency released: {r.reason}",
        amount=r.amount,
        contingency_change=-r.amount,
        delivery=r.amount,
    )


def _line(day, kind, description, *, funder=None, amount=0, available_change=0, contingency_change=0,
          top_slice=0, delivery=0, shortfall=0) -> dict:  # fmt: skip
    return {
        "date": day,
        "type": kind,
        "description": description,
        "funder": funder,
        "amount": amount,
        "available_change": available_change,
        "contingency_change": contingency_change,
        "top_slice": top_slice,
        "delivery": delivery,
        "shortfall": shortfall,
    }


def _outstanding_shortfall(session: Session, isf: Isf, end: date) -> int:
    last = session.scalar(
        select(IsfDrawdown.shortfall)
        .where(IsfDrawdown.isf_id == isf.id, IsfDrawdown.drawdown_date <= end)
        .order_by(IsfDrawdown.week_start.desc())
        .limit(1)
    )
    return last or 0


def _funder_shares(session, isf, period_receipts, period_reversals, drawn, end) -> list[dict]:
    """Per payer: receipts and contingency in the period (less receipts reversed in it), and its
    share of what was drawn (by what it put in and left in)."""
    to_date = session.scalars(
        select(IsfReceipt).where(IsfReceipt.isf_id == isf.id, IsfReceipt.received_on <= end)
    ).all()
    payers: dict[str, dict] = {}
    for stream in isf.streams:
        payers[f"stream:{stream.id}"] = _payer_row(stream.funder_id, stream.funder.name, stream.kind.value)
    for receipt in to_date:
        key, _ = _payer(receipt)
        if key == "family":
            payers.setdefault(key, _payer_row(None, "Family contribution", "family"))
        payers[key]["contributed"] += receipt.available
    for reversal in _reversals(session, isf, None, end):
        payers[_payer(reversal.receipt)[0]]["contributed"] -= reversal.receipt.available
    for receipt in period_receipts:
        key, _ = _payer(receipt)
        payers[key]["receipts"] += receipt.amount
        payers[key]["contingency_set_aside"] += receipt.contingency
    for reversal in period_reversals:
        key, _ = _payer(reversal.receipt)
        payers[key]["receipts"] -= reversal.receipt.amount
        payers[key]["contingency_set_aside"] -= reversal.receipt.contingency
    rows = list(payers.values())
    remaining = drawn
    family = payers.get("family")
    if family is not None and isf.family_contribution_first:
        family["share_of_drawn"] = min(remaining, family["contributed"])
        remaining -= family["share_of_drawn"]
    others = [r for r in rows if r is not family or not isf.family_contribution_first]
    weights = [r["contributed"] for r in others]
    if remaining and others and sum(weights):
        for row, part in zip(others, allocate(remaining, weights), strict=True):
            row["share_of_drawn"] += part
    return rows


def _payer_row(funder_id, name, kind) -> dict:
    return {
        "funder_id": funder_id,
        "funder": name,
        "stream": kind,
        "receipts": 0,
        "contingency_set_aside": 0,
        "contributed": 0,
        "share_of_drawn": 0,
    }


# ---- balance history (the chart) --------------------------------------------------------------


def balance_history(session: Session, isf: Isf, through: date | None = None, weeks: int = 26) -> list[dict]:
    """Available and contingency at the end of each of the last `weeks` weeks (one ledger read)."""
    through = through or today()
    available, contingency = books.find_isf_accounts(session, isf)
    points = []
    first = max(schedule.first_week(isf), week_start(through) - schedule.WEEK * (weeks - 1))
    moves = {
        "available": _signed_moves(session, available),
        "contingency": _signed_moves(session, contingency),
    }
    day = first + timedelta(days=6)
    while day - timedelta(days=6) <= through:
        points.append(
            {
                "date": day,
                "available": sum(a for d, a in moves["available"] if d <= day),
                "contingency": sum(a for d, a in moves["contingency"] if d <= day),
            }
        )
        day += schedule.WEEK
    return points


def _signed_moves(session: Session, account) -> list[tuple[date, int]]:
    if account is None:
        return []
    return [
        (t.effective_date, t.amount if t.credit_account_id == account.id else -t.amount)
        for t in ledger.transfers_for(session, account)
    ]


# ---- the quarterly review pack ----------------------------------------------------------------


def review_pack(session: Session, isf: Isf, start: date, end: date) -> dict:
    """Spend against plan, drawdowns, top-slice, contingency used and why, surplus in weeks of
    budget, and a warning when the projected surplus (receipts due minus planned drawdowns over
    the next 13 weeks) heads past the council's clawback threshold.

    Weeks that were due by `end` but that the weekly drawdown has not yet run for (the scheduler
    was down, or the fund is parked) are not a variance and not a surplus: the variance compares
    what was drawn with the plan for the weeks that ran, and the surplus and its projection count
    the money those weeks will draw as already spoken for."""
    stmt = statement(session, isf, start, end)
    weeks_due = len(schedule.due_weeks(isf, end)) - len(schedule.due_weeks(isf, start - timedelta(days=1)))
    planned = weeks_due * isf.weekly_amount
    not_run = _weeks_not_run(session, isf, end)
    not_run_in_period = [w for w in not_run if w >= week_start(start - timedelta(days=isf.drawdown_weekday))]
    releases = session.scalars(
        select(ContingencyRelease)
        .where(ContingencyRelease.isf_id == isf.id)
        .order_by(ContingencyRelease.requested_at, ContingencyRelease.id)
    ).all()
    available = stmt["closing"]["available"]
    # what the weeks not yet run will draw when they run (arrears first, as far as the money goes)
    owed = len(not_run) * isf.weekly_amount + stmt["shortfall"] if not_run else 0
    spoken_for = min(available, owed)
    free = available - spoken_for
    projection = _projection(isf, end, free, owed - spoken_for if not_run else stmt["shortfall"])
    return {
        "statement": stmt,
        "planned": planned,
        "drawn": stmt["drawn"],
        "variance": stmt["drawn"] - (weeks_due - len(not_run_in_period)) * isf.weekly_amount,
        "weeks_planned": weeks_due,
        "weeks_not_run": not_run,
        "not_run_in_period": len(not_run_in_period),
        "spoken_for": spoken_for,
        "releases": releases,
        "outcomes": list(isf.budget.outcomes),
        "surplus_tenths_of_weeks": free * 10 // isf.weekly_amount,
        "threshold_weeks": isf.surplus_threshold_weeks,
        **projection,
    }


def _weeks_not_run(session: Session, isf: Isf, end: date) -> list[date]:
    """Weeks due by `end` that have no drawdown row (the job has not run for them)."""
    posted = set(
        session.scalars(
            select(IsfDrawdown.week_start).where(IsfDrawdown.isf_id == isf.id, IsfDrawdown.week_start <= end)
        )
    )
    return [w for w in schedule.due_weeks(isf, end) if w not in posted]


def _projection(isf: Isf, end: date, available: int, shortfall: int) -> dict:
    horizon = end + timedelta(weeks=QUARTER_WEEKS)
    due = schedule.funding_due(isf, end + timedelta(days=1), horizon)
    net_in = sum(i.amount - apply_bp(i.amount, isf.contingency_bp) for i in due)
    weeks_out = len(schedule.due_weeks(isf, horizon)) - len(schedule.due_weeks(isf, end))
    out = min(weeks_out * isf.weekly_amount + shortfall, available + net_in)
    projected = available + net_in - out
    tenths = projected * 10 // isf.weekly_amount
    threshold = isf.surplus_threshold_weeks * 10
    return {
        "projected_receipts": net_in,
        "projected_drawdowns": out,
        "projected_available": projected,
        "projected_tenths_of_weeks": tenths,
        "clawback_warning": tenths > threshold or available * 10 // isf.weekly_amount > threshold,
    }
