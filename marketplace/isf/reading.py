"""Read-only views of an ISF for pages and the API: balances, schedule, receipts, drawdowns."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Organisation
from marketplace.catalog.models import ProviderProfile
from marketplace.core.clock import week_start
from marketplace.core.money import format_pence
from marketplace.core.templating import uk_date
from marketplace.isf import books, schedule
from marketplace.isf.models import (
    ContingencyRelease,
    Isf,
    IsfAmendment,
    IsfDrawdown,
    IsfReceipt,
    ReleaseStatus,
)


class IsfView:
    """The ISF with the figures its pages and JSON show (attributes fall through to the model)."""

    def __init__(self, isf: Isf, **extra):
        self.isf = isf
        self.__dict__.update(extra)

    def __getattr__(self, name):
        return getattr(self.isf, name)


def summary(session: Session, isf: Isf) -> IsfView:
    return IsfView(isf, balances=books.balances(session, isf))


def detail(session: Session, isf: Isf) -> IsfView:
    return IsfView(
        isf,
        balances=books.balances(session, isf),
        funding_schedule=schedule.funding_schedule(isf),
        receipts=session.scalars(
            select(IsfReceipt)
            .where(IsfReceipt.isf_id == isf.id)
            .order_by(IsfReceipt.received_on, IsfReceipt.id)
        ).all(),
        drawdowns=session.scalars(
            select(IsfDrawdown).where(IsfDrawdown.isf_id == isf.id).order_by(IsfDrawdown.week_start)
        ).all(),
        releases=releases(session, isf),
        amendments=session.scalars(
            select(IsfAmendment).where(IsfAmendment.isf_id == isf.id).order_by(IsfAmendment.id)
        ).all(),
    )


def releases(session: Session, isf: Isf) -> list[ContingencyRelease]:
    return session.scalars(
        select(ContingencyRelease).where(ContingencyRelease.isf_id == isf.id).order_by(ContingencyRelease.id)
    ).all()


def pending_releases(session: Session, isf: Isf) -> list[ContingencyRelease]:
    return [r for r in releases(session, isf) if r.status is ReleaseStatus.REQUESTED]


def verified_providers(session: Session) -> list[Organisation]:
    """The providers that may hold an ISF (the catalogue has verified them), by name."""
    query = (
        select(Organisation)
        .join(ProviderProfile, ProviderProfile.organisation_id == Organisation.id)
        .where(ProviderProfile.verified_at.is_not(None))
        .order_by(Organisation.name)
    )
    return list(session.scalars(query))


@dataclass(frozen=True)
class OverdueInstalment:
    """A funder's instalment unpaid (in whole or part) after its due date plus the stream's
    payment terms."""

    instalment: schedule.Instalment
    overdue_since: date  # the first day it counts as late
    unpaid: int


def overdue_instalments(session: Session, isf: Isf, on: date) -> list[OverdueInstalment]:
    """Each funder's instalments that are late on `on`: what a stream has paid in covers its
    instalments oldest first, and an instalment still (partly) uncovered once the stream's payment
    terms have run from its due date is overdue by what is uncovered."""
    received = {
        stream_id: int(total)  # PostgreSQL sums a bigint as a numeric
        for stream_id, total in session.execute(
            select(IsfReceipt.stream_id, func.sum(IsfReceipt.amount))
            .where(IsfReceipt.isf_id == isf.id, IsfReceipt.stream_id.is_not(None))
            .group_by(IsfReceipt.stream_id)
        )
    }
    terms = {s.id: s.payment_terms_days or 0 for s in isf.streams}
    left, out = dict(received), []
    for instalment in schedule.funding_schedule(isf):
        if instalment.due_on > on:
            continue
        covered = min(left.get(instalment.stream_id, 0), instalment.amount)
        left[instalment.stream_id] = left.get(instalment.stream_id, 0) - covered
        late_from = instalment.due_on + timedelta(days=terms.get(instalment.stream_id, 0) + 1)
        if instalment.amount > covered and late_from <= on:
            out.append(OverdueInstalment(instalment, late_from, instalment.amount - covered))
    return out


@dataclass(frozen=True)
class AvailableExplained:
    """Why the ISF's available balance is what it is, from the facts that made it."""

    available: int
    received: int
    contingency_kept: int
    drawn: int
    shortfall: int  # planned drawdowns not yet drawn for want of money
    next_drawdown: tuple[date, int] | None  # (day, planned amount), unless parked or ended

    @property
    def other(self) -> int:
        """Anything else that moved the balance (none today; shown if ever there is)."""
        return self.available - (self.received - self.contingency_kept - self.drawn)

    def sentences(self) -> list[str]:
        money = format_pence
        first = (
            f"{money(self.available)} available: {money(self.received)} received, less "
            f"{money(self.contingency_kept)} kept as contingency, less {money(self.drawn)} drawn so far"
        )
        if self.other:
            first += f", {'plus' if self.other > 0 else 'less'} {money(abs(self.other))} of other adjustments"
        out = [first + "."]
        if self.shortfall:
            out.append(
                f"{money(self.shortfall)} of the planned weekly drawdowns could not be drawn yet, because "
                "not enough had been paid in; it is drawn first when more money arrives."
            )
        if self.next_drawdown:
            day, amount = self.next_drawdown
            out.append(f"The next weekly drawdown, {money(amount)}, is on {uk_date(day)}.")
        return out


def explain_available(session: Session, isf: Isf, on: date) -> AvailableExplained:
    """The available balance, and what it is made of: received less contingency less drawn."""
    received, kept = session.execute(
        select(
            func.coalesce(func.sum(IsfReceipt.amount), 0), func.coalesce(func.sum(IsfReceipt.contingency), 0)
        ).where(IsfReceipt.isf_id == isf.id)
    ).one()
    drawn = session.scalar(
        select(func.coalesce(func.sum(IsfDrawdown.drawn), 0)).where(IsfDrawdown.isf_id == isf.id)
    )
    last = session.execute(
        select(IsfDrawdown.week_start, IsfDrawdown.shortfall)
        .where(IsfDrawdown.isf_id == isf.id)
        .order_by(IsfDrawdown.week_start.desc())
        .limit(1)
    ).first()
    return AvailableExplained(
        available=books.balances(session, isf)["available"],
        received=int(received),
        contingency_kept=int(kept),
        drawn=int(drawn),
        shortfall=last.shortfall if last else 0,
        next_drawdown=_next_drawdown(isf, on, last.week_start if last else None),
    )


def _next_drawdown(isf: Isf, on: date, last_week: date | None) -> tuple[date, int] | None:
    """The first week not yet drawn: on its drawdown day, or today if that day has passed (the
    daily job catches it up)."""
    if isf.is_parked:
        return None
    week = last_week + schedule.WEEK if last_week else schedule.first_week(isf)
    if week > week_start(isf.end_date):
        return None
    return max(schedule.drawdown_date(isf, week), on), isf.weekly_amount
