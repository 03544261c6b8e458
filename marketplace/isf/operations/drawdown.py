"""The weekly drawdown: each fund's due weeks posted, arrears first, split into top-slice and
delivery; funds too far behind parked until the provider un-parks them.

The job that batches funds into transactions under an advisory lock is
`isf.jobs.run_weekly_drawdowns`; this module posts one batch (`post_due_drawdowns`)."""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace import ledger
from marketplace.core import audit
from marketplace.core.clock import today, utcnow
from marketplace.core.errors import Conflict
from marketplace.core.money import apply_bp
from marketplace.core.sql import bulk_insert
from marketplace.isf import books, notices, schedule
from marketplace.isf.models import Isf, IsfDrawdown
from marketplace.ledger import Movement, transfer_many


@dataclass
class FundOutcome:
    isf_id: int
    rows: list[IsfDrawdown] = field(default_factory=list)
    parked: bool = False


def post_due_drawdowns(
    session: Session, isfs: list[Isf], through: date, *, catch_up_limit: int | None = None
) -> list[FundOutcome]:
    """Post every due week with no drawdown row yet, for each fund, oldest week first.

    Each week draws the planned amount plus outstanding arrears (arrears first) as far as the
    available money goes; the rest is recorded as shortfall. Each drawing splits into top-slice
    (`top_slice_bp`, to the provider's overhead) and delivery (the rest). A fund with more than
    `catch_up_limit` weeks to catch up is parked instead, untouched. Available never goes below
    zero. One row per (ISF, week) under a unique constraint; ledger keys "isf:{id}:week:{date}:…".

    Set-based: the funds' accounts are opened and locked together, and every transfer of the
    batch is posted by one `ledger.transfer_many` (all or nothing, so each fund's week is too).
    """
    if not isfs:
        return []
    accounts = books.drawdown_accounts(session, isfs)
    ledger.lock_accounts(session, *{a.id: a for trio in accounts.values() for a in trio}.values())
    last = _last_drawdowns(session, [i.id for i in isfs])  # read under the locks
    movements: list[Movement] = []
    outcomes = [
        _post_fund(session, i, through, last.get(i.id), accounts[i.id], catch_up_limit, movements)
        for i in isfs
    ]
    transfer_many(session, movements, locked=True)
    rows = [row for outcome in outcomes for row in outcome.rows]
    bulk_insert(session, IsfDrawdown.__table__, [_columns(row) for row in rows])  # one statement
    session.flush()
    return outcomes


def _columns(row: IsfDrawdown) -> dict:
    return {c.key: getattr(row, c.key) for c in IsfDrawdown.__table__.columns if c.key != "id"} | {
        "created_at": utcnow()
    }


def _last_drawdowns(session: Session, isf_ids: list[int]) -> dict[int, tuple[date, int]]:
    latest = (
        select(IsfDrawdown.isf_id, func.max(IsfDrawdown.week_start).label("week"))
        .where(IsfDrawdown.isf_id.in_(isf_ids))
        .group_by(IsfDrawdown.isf_id)
        .subquery()
    )
    rows = session.execute(
        select(IsfDrawdown.isf_id, IsfDrawdown.week_start, IsfDrawdown.shortfall).join(
            latest, (latest.c.isf_id == IsfDrawdown.isf_id) & (latest.c.week == IsfDrawdown.week_start)
        )
    )
    return {isf_id: (week, shortfall) for isf_id, week, shortfall in rows}


def _post_fund(session, isf, through, last, accounts, catch_up_limit, movements) -> FundOutcome:
    outcome = FundOutcome(isf.id)
    weeks = schedule.due_weeks(isf, through, after=last[0] if last else None)
    if not weeks:
        return outcome
    if catch_up_limit is not None and len(weeks) > catch_up_limit:
        park_isf(
            session, isf, f"{len(weeks)} weeks to catch up, more than the safe limit of {catch_up_limit}"
        )
        outcome.parked = True
        return outcome
    available, overhead, delivery = accounts
    arrears = last[1] if last else 0
    money = ledger.balance(available).available
    for week in weeks:
        row = _draw_week(session, isf, week, arrears, money, available, overhead, delivery, movements)
        outcome.rows.append(row)
        money -= row.drawn
        arrears = row.shortfall
    return outcome


def _draw_week(session, isf, week, arrears, money, available, overhead, delivery, movements) -> IsfDrawdown:
    """The week's drawdown row, and its two transfers added to `movements` (posted by the caller)."""
    due = isf.weekly_amount + arrears
    drawn = min(due, money)
    top_slice = apply_bp(drawn, isf.top_slice_bp)
    on_day = schedule.drawdown_date(isf, week)
    row = IsfDrawdown(  # written with its batch by post_due_drawdowns (bulk_insert)
        isf_id=isf.id,
        week_start=week,
        drawdown_date=on_day,
        planned=isf.weekly_amount,
        arrears=arrears,
        due=due,
        drawn=drawn,
        top_slice=top_slice,
        delivery=drawn - top_slice,
        shortfall=due - drawn,
    )
    key = f"isf:{isf.id}:week:{week.isoformat()}"
    for account, amount, code in (
        (overhead, top_slice, "isf_top_slice"),
        (delivery, drawn - top_slice, "isf_delivery"),
    ):
        if amount:
            movements.append(
                Movement(
                    available,
                    account,
                    amount,
                    code,
                    reference=("isf_week", f"{isf.id}:{week.isoformat()}"),
                    idempotency_key=f"{key}:{code}",
                    effective_date=on_day,
                )
            )
    return row


def park_isf(session: Session, isf: Isf, reason: str) -> None:
    """Flag a fund the drawdown job will not touch until the provider un-parks it."""
    isf.parked_at = utcnow()
    isf.parked_reason = reason[:300]
    audit.record(session, None, "isf.parked", isf, reason=reason)
    notices.parked(session, isf, reason)


@dataclass(frozen=True)
class CatchUp:
    """What catching a fund up through `through` would post, worked out without writing: each
    due week's drawing (unsaved rows), the money there is, and what stays short."""

    through: date
    available: int
    weeks: list[IsfDrawdown]

    @property
    def drawn(self) -> int:
        return sum(w.drawn for w in self.weeks)

    @property
    def planned(self) -> int:
        return sum(w.planned for w in self.weeks)

    @property
    def top_slice(self) -> int:
        return sum(w.top_slice for w in self.weeks)

    @property
    def delivery(self) -> int:
        return sum(w.delivery for w in self.weeks)

    @property
    def shortfall(self) -> int:
        """Outstanding after the catch-up: carried as arrears into the next week's drawdown."""
        return self.weeks[-1].shortfall if self.weeks else 0

    @property
    def available_after(self) -> int:
        return self.available - self.drawn


def preview_catch_up(session: Session, isf: Isf, through: date | None = None) -> CatchUp:
    """The weeks un-parking would post now, with the same arithmetic as the drawdown (read only:
    the un-park itself works them out again under the accounts' locks)."""
    through = through or today()
    last = _last_drawdowns(session, [isf.id]).get(isf.id)
    weeks = schedule.due_weeks(isf, through, after=last[0] if last else None)
    money = available = books.balances(session, isf)["available"]
    arrears, rows, ignored = (last[1] if last else 0), [], []
    for week in weeks:
        row = _draw_week(session, isf, week, arrears, money, None, None, None, ignored)
        rows.append(row)
        money -= row.drawn
        arrears = row.shortfall
    return CatchUp(through=through, available=available, weeks=rows)


def unpark_isf(
    session: Session,
    isf: Isf,
    *,
    through: date | None = None,
    actor=None,
    expected_weeks: int | None = None,
) -> FundOutcome:
    """The provider has checked a parked fund: clear the flag and catch up every due week now.

    `expected_weeks`, when given, is the number of weeks the provider was shown and confirmed
    (`preview_catch_up`); if the catch-up would now post a different number, nothing is done."""
    if not isf.is_parked:
        raise Conflict("This ISF is not parked", code="not_parked")
    isf.parked_at = None
    isf.parked_reason = None
    audit.record(session, actor, "isf.unparked", isf)
    (outcome,) = post_due_drawdowns(session, [isf], through or today(), catch_up_limit=None)
    if expected_weeks is not None and len(outcome.rows) != expected_weeks:
        raise Conflict(
            f"Un-parking would now post {len(outcome.rows)} weeks, not the {expected_weeks} you were "
            "shown. Nothing was posted: check what it will post, then confirm again.",
            code="catch_up_changed",
        )
    notices.unparked(session, isf, len(outcome.rows), sum(row.drawn for row in outcome.rows))
    return outcome
