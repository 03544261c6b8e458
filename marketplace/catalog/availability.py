"""Each offer's next open slot, kept on the offer row for search (`Offer.next_open_at`).

Ranking a broad search by soonest availability would otherwise make the database find the next
open slot of every match. Whenever a flush adds, changes or deletes a slot, or changes an offer's
emergency reserve, the affected offers are noted, and worked out again just before the
transaction commits (one UPDATE, its last statement), so the stored value is never behind a
committed change. What time alone changes (the stored slot starting) is caught by search itself
(`stored_next_open`: a slot that started before the search's start is not used; the slot table
is asked instead) and, so that stays rare, by a job that works those offers out again every few
minutes.
"""

import logging
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, case, event, exists, func, inspect, literal_column, or_, select, update
from sqlalchemy.orm import Session

from marketplace.core.clock import utcnow

log = logging.getLogger(__name__)

REFRESH_MINUTES = 10
CHUNK = 500


def open_slot_condition(start: datetime, end: datetime | None = None):
    """A slot of the (correlated) offer, starting in [start, end), that is open and has places
    beyond the offer's emergency reserve."""
    from marketplace.catalog.models import Offer, Slot

    conditions = [
        Slot.offer_id == Offer.id,
        Slot.closed.is_(False),
        Slot.capacity - Slot.booked > Offer.emergency_reserve,
        Slot.starts_at >= start,
    ]
    if end is not None:
        conditions.append(Slot.starts_at < end)
    return and_(*conditions)


def has_open_slot(start: datetime, end: datetime | None = None):
    """EXISTS an open slot of the (correlated) offer in [start, end), as `SELECT 1`: SQLite reads
    `SELECT *` as needing every column of slot, and then probes the (offer_id, starts_at) unique
    index and the table rather than the covering ix_slot_offer_open."""
    from marketplace.catalog.models import Offer

    return exists(literal_column("1")).where(open_slot_condition(start, end)).correlate(Offer)


def live_next_open(start: datetime, end: datetime | None = None):
    """The correlated "start of the offer's first open slot in [start, end)", asked of the slots."""
    from marketplace.catalog.models import Offer, Slot

    return (
        select(func.min(Slot.starts_at))
        .where(open_slot_condition(start, end))
        .correlate(Offer)
        .scalar_subquery()
    )


def refresh(session: Session, offer_ids: Iterable[int] | None = None, now: datetime | None = None) -> int:
    """Work out next_open_at again for these offers (all, if None) as of `now`; rows updated."""
    from marketplace.catalog.models import Offer

    now = now or utcnow()
    values = {"next_open_at": live_next_open(now), "next_open_from": now}
    connection = session.connection()
    if offer_ids is None:
        return connection.execute(update(Offer).values(values)).rowcount
    ids, updated = sorted(set(offer_ids)), 0
    for at in range(0, len(ids), CHUNK):
        chunk = ids[at : at + CHUNK]
        if connection.dialect.name == "postgresql":
            # Lock the rows first (in id order), then read the slots in a statement of its own:
            # under READ COMMITTED it sees what a transaction that held these rows committed.
            # Updating straight away would read the slots as they were before that commit.
            # NO KEY UPDATE, the lock the UPDATE itself takes: it does not wait for transactions
            # that merely insert rows referring to the offer (a booking, a slot).
            lock = select(Offer.id).where(Offer.id.in_(chunk)).order_by(Offer.id)
            connection.execute(lock.with_for_update(key_share=True))
        updated += connection.execute(update(Offer).where(Offer.id.in_(chunk)).values(values)).rowcount
    return updated


def refresh_stale(session: Session, now: datetime | None = None) -> int:
    """The offers whose stored next open slot has started."""
    from marketplace.catalog.models import Offer

    now = now or utcnow()
    stale = Offer.next_open_at < now
    return (
        session.connection()
        .execute(update(Offer).where(stale).values(next_open_at=live_next_open(now), next_open_from=now))
        .rowcount
    )


def stored_next_open(start: datetime, end: datetime | None):
    """The offer's first open slot in [start, end) as a column expression: the stored value when
    it answers the question — worked out at or before `start`, and not a slot that started before
    `start` — else asked of the slot table (rare once the refresh job runs)."""
    from marketplace.catalog.models import Offer

    stored = Offer.next_open_at
    if end is not None:
        stored = case((Offer.next_open_at < end, Offer.next_open_at), else_=None)
    return case((stored_answers(start), stored), else_=live_next_open(start, end))


def stored_answers(start: datetime):
    """The offer's stored next open slot is its first open slot from `start`: worked out at or
    before `start` (later changes are worked out on commit), and not one that started before."""
    from marketplace.catalog.models import Offer

    return and_(
        Offer.next_open_from <= start,
        or_(Offer.next_open_at.is_(None), Offer.next_open_at >= start),
    )


# ---- keeping it up to date -------------------------------------------------------------------


def _touched_offers(session: Session) -> set[int]:
    from marketplace.catalog.models import Offer, Slot

    touched = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Slot):
            if obj in session.dirty and not session.is_modified(obj, include_collections=False):
                continue
            history = inspect(obj).attrs.offer_id.history
            touched.update(i for i in (obj.offer_id, *history.deleted) if i is not None)
        elif (
            isinstance(obj, Offer)
            and obj.id is not None
            and (obj in session.new or inspect(obj).attrs.emergency_reserve.history.has_changes())
        ):
            touched.add(obj.id)
    return touched


PENDING = "catalog.offers_to_refresh"


@event.listens_for(Session, "after_flush")
def _collect(session: Session, context) -> None:
    touched = _touched_offers(session)
    if touched:
        session.info.setdefault(PENDING, set()).update(touched)


@event.listens_for(Session, "before_commit")
def _refresh_before_commit(session: Session) -> None:
    """Works the touched offers out just before the commit, as the transaction's last statement:
    locking the offer rows any earlier could deadlock with other work of the same transaction
    (two bookings of one offer each waiting for the other's ledger account, say)."""
    if session.in_nested_transaction():  # a savepoint (the ledger opens accounts in one, say)
        return
    if session.new or session.dirty or session.deleted:
        session.flush()
    pending = session.info.pop(PENDING, None)
    if pending:
        refresh(session, pending)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    if transaction.parent is None:  # the whole transaction is over (committed or rolled back)
        session.info.pop(PENDING, None)


def refresh_job() -> int:
    """The scheduler's job: refresh the offers whose stored next open slot has started."""
    from marketplace.core.jobs import in_app

    def run(session: Session) -> int:
        try:
            count = refresh_stale(session)
            session.commit()
        except Exception:
            session.rollback()
            raise
        log.info("next open slot worked out again for %d offers", count)
        return count

    return in_app(run)
