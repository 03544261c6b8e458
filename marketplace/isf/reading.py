"""Read-only views of an ISF for pages and the API: balances, schedule, receipts, drawdowns."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Organisation
from marketplace.catalog.models import ProviderProfile
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
