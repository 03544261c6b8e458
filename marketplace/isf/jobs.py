"""The weekly drawdown job: every due week of every agreed, unparked ISF, posted once; then each
funder instalment newly overdue is flagged to the provider and the funder, once.

The database decides what has run: one IsfDrawdown row per (ISF, week) under a unique
constraint. Funds are posted in batches, one transaction per batch; a failed batch is retried
fund by fund, each in its own transaction, so one bad fund never blocks the rest and each
fund's weeks are all-or-nothing. On PostgreSQL the whole run holds an advisory lock, so a second
run started meanwhile waits, then finds nothing left to do; on SQLite every batch transaction
begins IMMEDIATE, which serialises writers the same way.

`weekly_drawdown_job` is the scheduler's entry point (registered in `jobs`, which
marketplace/scheduler.py collects); `marketplace isf drawdown` calls the same
`run_weekly_drawdowns`.
"""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import exists, func, select, text
from sqlalchemy.orm import Session

from marketplace.core.clock import LONDON, today, week_start
from marketplace.isf import operations
from marketplace.isf.models import AgreementParty, Isf, IsfAgreement, IsfDrawdown
from marketplace.scheduler import JobSpec

JOB_ID = "isf-weekly-drawdown"

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 500
DEFAULT_CATCH_UP_LIMIT = 8
ADVISORY_LOCK_KEY = 0x15F_D4A1  # "ISF drawdown": one key for the whole run, every process


@dataclass
class DrawdownSummary:
    through: date
    funds: int = 0
    batches: int = 0
    weeks_posted: int = 0
    total_drawn: int = 0
    top_slice: int = 0
    delivery: int = 0
    shortfall_weeks: int = 0
    parked: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)

    def add(self, outcome: "FundFigures") -> None:
        if outcome.parked:
            self.parked.append(outcome.isf_id)
        for drawn, top_slice, delivery, shortfall in outcome.weeks:
            self.weeks_posted += 1
            self.total_drawn += drawn
            self.top_slice += top_slice
            self.delivery += delivery
            self.shortfall_weeks += 1 if shortfall else 0


@dataclass(frozen=True)
class FundFigures:
    """What one fund's posting did, read before the commit (so nothing is reloaded after it)."""

    isf_id: int
    parked: bool
    weeks: tuple[tuple[int, int, int, int], ...]

    @classmethod
    def of(cls, outcome: operations.FundOutcome) -> "FundFigures":
        return cls(
            outcome.isf_id,
            outcome.parked,
            tuple((r.drawn, r.top_slice, r.delivery, r.shortfall) for r in outcome.rows),
        )


@contextmanager
def drawdown_lock(session: Session) -> Iterator[None]:
    """Hold PostgreSQL's advisory lock for the run on a connection of its own (waiting if another
    run holds it). SQLite needs nothing: BEGIN IMMEDIATE serialises each batch."""
    engine = session.get_bind().engine
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
            conn.commit()


def _agreed_by(party: AgreementParty):
    return exists().where(IsfAgreement.isf_id == Isf.id, IsfAgreement.party == party)


def candidate_ids(session: Session, through: date) -> list[int]:
    """Agreed, unparked ISFs that may have a week due: started, and not already drawn to the
    week of `through` (no week after that Monday can be due)."""
    latest = select(func.max(IsfDrawdown.week_start)).where(IsfDrawdown.isf_id == Isf.id).scalar_subquery()
    query = (
        select(Isf.id)
        .where(
            Isf.parked_at.is_(None),
            Isf.start_date <= through,
            _agreed_by(AgreementParty.PROVIDER),
            _agreed_by(AgreementParty.COMMISSIONER),
            (latest.is_(None)) | (latest < week_start(through)),
        )
        .order_by(Isf.id)
    )
    return list(session.scalars(query))


def _post(session: Session, ids: list[int], through: date, limit: int | None) -> list[FundFigures]:
    isfs = list(session.scalars(select(Isf).where(Isf.id.in_(ids)).order_by(Isf.id)))
    outcomes = operations.post_due_drawdowns(session, isfs, through, catch_up_limit=limit)
    figures = [FundFigures.of(o) for o in outcomes]
    session.commit()
    return figures


def run_weekly_drawdowns(
    session: Session,
    through: date,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    catch_up_limit: int | None = DEFAULT_CATCH_UP_LIMIT,
    progress: Callable[[int, int, DrawdownSummary], None] | None = None,
) -> DrawdownSummary:
    """Post every drawdown due up to `through`; safe to run again, twice at once, or after downtime.

    Commits once per batch of funds (and once per fund when a batch is retried).
    """
    summary = DrawdownSummary(through=through)
    with drawdown_lock(session):
        ids = candidate_ids(session, through)
        session.commit()
        summary.funds = len(ids)
        batches = [ids[i : i + batch_size] for i in range(0, len(ids), batch_size)]
        for number, batch in enumerate(batches, start=1):
            _run_batch(session, batch, through, catch_up_limit, summary)
            summary.batches = number
            if progress:
                progress(number, len(batches), summary)
    return summary


def _run_batch(session, batch, through, limit, summary) -> None:
    try:
        try:
            outcomes = _post(session, batch, through, limit)
        except Exception:
            session.rollback()
            log.warning("drawdown batch of %d funds failed; retrying fund by fund", len(batch), exc_info=True)
            outcomes = _retry_one_by_one(session, batch, through, limit, summary)
    except BaseException:  # interrupted: this batch is rolled back, earlier batches stay committed
        session.rollback()
        raise
    for outcome in outcomes:
        summary.add(outcome)


def _retry_one_by_one(session, batch, through, limit, summary) -> list:
    outcomes = []
    for isf_id in batch:
        try:
            outcomes += _post(session, [isf_id], through, limit)
        except Exception as err:
            session.rollback()
            log.exception("drawdown for ISF %s failed", isf_id)
            summary.failed[isf_id] = f"{type(err).__name__}: {err}"
    return outcomes


def flag_overdue_funding(session: Session, on: date) -> int:
    """Flag every agreed ISF's newly overdue funder instalments (each once), a transaction per
    fund so one bad fund never blocks the rest. Returns how many instalments were flagged."""
    ids = list(
        session.scalars(
            select(Isf.id)
            .where(
                Isf.start_date <= on,
                _agreed_by(AgreementParty.PROVIDER),
                _agreed_by(AgreementParty.COMMISSIONER),
            )
            .order_by(Isf.id)
        )
    )
    session.commit()
    flagged = 0
    for isf_id in ids:
        try:
            flagged += operations.flag_overdue_instalments(session, session.get(Isf, isf_id), on)
            session.commit()
        except Exception:
            session.rollback()
            log.exception("flagging overdue funding for ISF %s failed", isf_id)
    return flagged


def weekly_drawdown_job() -> DrawdownSummary:
    """The scheduler's job: run the drawdown through today's London date.

    Uses the current app if there is one (tests, CLI), else builds one (the scheduler's thread).
    """
    from marketplace.core.jobs import in_app

    return in_app(_run_configured)


def _run_configured(session: Session) -> DrawdownSummary:
    from flask import current_app

    summary = run_weekly_drawdowns(
        session,
        today(),
        batch_size=current_app.config.get("ISF_DRAWDOWN_BATCH_SIZE", DEFAULT_BATCH_SIZE),
        catch_up_limit=current_app.config.get("ISF_CATCH_UP_LIMIT_WEEKS", DEFAULT_CATCH_UP_LIMIT),
    )
    flagged = flag_overdue_funding(session, summary.through)
    log.info(
        "weekly drawdown through %s: %d weeks, %d pence, %d parked, %d failed; %d instalments newly overdue",
        summary.through,
        summary.weeks_posted,
        summary.total_drawn,
        len(summary.parked),
        len(summary.failed),
        flagged,
    )
    return summary


# The scheduler (marketplace/scheduler.py) collects `jobs`. Every day at 06:00 London time, one
# fixed job id, so each ISF is drawn on its own drawdown day (a run finds nothing to do on most
# days, cheaply). A run missed while the scheduler was down is run once when it comes back
# (coalesce, no misfire grace limit) and the database decides what is due, catching up every
# missed week.
DRAWDOWN_JOB = JobSpec(
    id=JOB_ID,
    func=weekly_drawdown_job,
    trigger=CronTrigger(hour=6, minute=0, timezone=LONDON),
    name="ISF weekly drawdown",
    options={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
)
jobs = [DRAWDOWN_JOB]
