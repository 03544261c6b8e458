"""Bookings per second, 1, 4 and 16 concurrent client processes, against shared budgets and slots.

Each client (a process of its own, with its own app and engine: bench.clients) books one night at a time on a random slot for a random family, each booking
its own transaction, for a fixed time. Capacity and money contend for real: several families
share each slot and each budget takes many bookings. After the run the benchmark checks that no
slot is overbooked and no budget overspent (slot.booked equals its live bookings and never
exceeds capacity; every protected ledger account is non-negative; `reconcile()` is clean).

The baseline does the same work in plain SQL through the same engine: lock the slot, lock the two
stream accounts in id order, check, then write the booking, two holds, two payments, the slot's
count and the accounts' pending amounts, and commit — without the ORM, rules, audit or inbox.
Run it on PostgreSQL (DATABASE_URL=postgresql+psycopg://...) for the figure that matters; on
SQLite every writer is serialised.
"""

from datetime import date, timedelta

from sqlalchemy import create_engine, func, select, text

from bench.clients import client_counts, in_processes
from bench.common import SECRET_KEY, bench_app, bench_seconds, figure, progress, rate_ratio
from marketplace import ledger
from marketplace.accounts import operations as accounts
from marketplace.accounts.models import User
from marketplace.bookings import operations as bookings
from marketplace.bookings.models import Booking, BookingStatus
from marketplace.budgets import books
from marketplace.budgets import operations as budgets
from marketplace.budgets.models import Budget
from marketplace.catalog import operations as catalog
from marketplace.catalog.models import Category, Setting, Slot, Unit
from marketplace.core.clock import utcnow
from marketplace.core.db import db
from marketplace.core.errors import DomainError
from marketplace.ledger.models import Account

NAME = "bookings"
FAMILIES_PER_SCALE = 24
SLOTS_PER_SCALE = 300
CAPACITY = 4
PRICE = 29500
CLIENTS = client_counts((1, 4, 16))  # client processes


def _setup(scale: int, tag: str = "") -> tuple[list[int], list[tuple[int, int]]]:
    """A verified provider with an overnight offer and its slots; families with budgets.
    Returns (slot ids, [(user id, budget id)])."""
    s = db.session
    accounts.PASSWORD_METHOD = "pbkdf2:sha256:1000"  # no one signs in here
    provider = accounts.create_organisation(
        s, slug=f"bench-hospice{tag}", name=f"Bench Hospice {tag}", kind="provider"
    )
    council = accounts.create_organisation(
        s, slug=f"bench-council{tag}", name=f"Bench Council {tag}", kind="commissioner"
    )
    icb = accounts.create_organisation(
        s, slug=f"bench-icb{tag}", name=f"Bench ICB {tag}", kind="commissioner"
    )
    profile = catalog.provider_profile(s, provider)
    catalog.verify_provider(s, profile, None)
    offer = catalog.create_offer(
        s,
        profile,
        dict(
            title="Overnight short break",
            description="A night at the hospice",
            category=Category.OVERNIGHT_SHORT_BREAK,
            setting=Setting.HOSPICE_RESIDENTIAL,
            unit=Unit.NIGHT,
            price=PRICE,
            free_cancellation_hours=48,
            late_cancellation_bp=5000,
            funding_streams=["social_care", "health"],
        ),
        None,
    )
    catalog.publish_offer(s, offer, None)
    start = utcnow().replace(microsecond=0) + timedelta(days=2)
    slots = [
        catalog.add_slot(
            s, offer, start + timedelta(hours=i), start + timedelta(hours=i + 16), CAPACITY, None
        )
        for i in range(SLOTS_PER_SCALE * scale)
    ]
    period = (date.today() - timedelta(days=30), date.today() + timedelta(days=400))
    families = []
    for n in range(FAMILIES_PER_SCALE * scale):
        family = accounts.create_family(s, slug=f"bench-family{tag}-{n}", name=f"Family {n}")
        child = accounts.add_child(s, family, name=f"Child {n}", date_of_birth=date(2015, 1, 1))
        user = accounts.create_user(
            s,
            email=f"parent{tag}-{n}@bench.example",
            name=f"Parent {n}",
            password="Bench-pass-2026",
            role="family",
            family=family,
        )
        # Enough for about 30 nights each: budgets run dry during a long run, and that must be refused cleanly.
        budget = budgets.create_budget(
            s,
            child=child,
            period_start=period[0],
            period_end=period[1],
            streams=[
                {
                    "kind": "social_care",
                    "funder": council,
                    "amount": 20 * PRICE,
                    "categories": ["overnight_short_break"],
                },
                {
                    "kind": "health",
                    "funder": icb,
                    "amount": 10 * PRICE,
                    "categories": ["overnight_short_break"],
                },
            ],
        )
        families.append((user.id, budget.id))
    s.commit()
    return [slot.id for slot in slots], families


def _book_with_app(app, slot_id, user_id, budget_id) -> bool:
    s = db.session
    try:
        bookings.book(
            s, actor=s.get(User, user_id), slot=s.get(Slot, slot_id), budget=s.get(Budget, budget_id), units=1
        )
        s.commit()
        return True
    except DomainError:
        s.rollback()
        return False


def _book_with_sql(
    conn, slot_id, budget_id, stream_accounts, care_account, offer_id, family_id, child_id, provider_id
) -> bool:
    """The same reservation in plain SQL (one transaction)."""
    with conn.begin():
        lock = "" if conn.dialect.name == "sqlite" else " FOR UPDATE"
        booked, capacity = conn.execute(
            text("SELECT booked, capacity FROM slot WHERE id = :s" + lock), {"s": slot_id}
        ).one()
        (a_id, a_stream), (b_id, b_stream) = stream_accounts
        rows = conn.execute(
            text(
                "SELECT id, posted, pending_out FROM ledger_account WHERE id IN (:a, :b) ORDER BY id" + lock
            ),
            {"a": a_id, "b": b_id},
        ).all()
        free = {r.id: r.posted - r.pending_out for r in rows}
        shares = {a_id: 19667, b_id: 9833}
        if booked >= capacity or any(free[i] < shares[i] for i in shares):
            conn.rollback()
            return False
        now = utcnow()
        booking_id = conn.execute(
            text(
                "INSERT INTO booking (family_id, child_id, budget_id, offer_id, slot_id, provider_id, units, cost, "
                "charge, terms, status, emergency, created_at, updated_at) VALUES (:f, :c, :b, :o, :s, :p, 1, :cost, 0, "
                "'{}', 'requested', false, :now, :now) RETURNING id"
            ),
            {
                "f": family_id,
                "c": child_id,
                "b": budget_id,
                "o": offer_id,
                "s": slot_id,
                "p": provider_id,
                "cost": PRICE,
                "now": now,
            },
        ).scalar_one()
        for account_id, stream_id in stream_accounts:
            hold_id = conn.execute(
                text(
                    "INSERT INTO ledger_hold (debit_account_id, credit_account_id, amount, code, reference_type, "
                    "reference_id, effective_date, created_at) VALUES (:d, :c, :amt, 'booking_hold', 'booking', :r, "
                    ":day, :now) RETURNING id"
                ),
                {
                    "d": account_id,
                    "c": care_account,
                    "amt": shares[account_id],
                    "r": str(booking_id),
                    "day": now.date(),
                    "now": now,
                },
            ).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO booking_payment (booking_id, stream_id, hold_id, amount) "
                    "VALUES (:b, :s, :h, :amt)"
                ),
                {"b": booking_id, "s": stream_id, "h": hold_id, "amt": shares[account_id]},
            )
            conn.execute(
                text("UPDATE ledger_account SET pending_out = pending_out + :amt WHERE id = :id"),
                {"amt": shares[account_id], "id": account_id},
            )
        conn.execute(text("UPDATE slot SET booked = booked + 1 WHERE id = :s"), {"s": slot_id})
    return True


def _verify(slot_ids) -> None:
    """Zero overbooking and zero overspend, or the benchmark fails."""
    s = db.session
    s.expire_all()
    over = s.scalar(select(func.count(Slot.id)).where(Slot.booked > Slot.capacity))
    live = dict(
        s.execute(
            select(Booking.slot_id, func.count(Booking.id))
            .where(Booking.status.in_((BookingStatus.REQUESTED, BookingStatus.CONFIRMED)))
            .group_by(Booking.slot_id)
        ).all()
    )
    wrong = [
        sid
        for sid, booked in s.execute(select(Slot.id, Slot.booked).where(Slot.id.in_(slot_ids)))
        if booked != live.get(sid, 0)
    ]
    overspent = s.scalar(
        select(func.count(Account.id)).where(Account.non_negative, Account.posted - Account.pending_out < 0)
    )
    problems = ledger.reconcile(s)
    s.rollback()  # end the read: on SQLite every transaction holds the write lock
    if over or wrong or overspent or problems:
        raise AssertionError(
            f"overbooked slots {over}, miscounted slots {wrong[:5]}, overspent accounts "
            f"{overspent}, ledger: {problems[:5]}"
        )


def setup_world(scale: int, tag: str = "") -> dict:
    """The bench's provider, slots, families and budgets, and what the plain-SQL client needs.
    Each run gets a world of its own (`tag`), so no run books on places and money an earlier one used."""
    slot_ids, families = _setup(scale, tag)
    s = db.session
    meta = {}
    for _user_id, budget_id in families:
        budget = s.get(Budget, budget_id)
        meta[budget_id] = (
            [(books.stream_account(s, st).id, st.id) for st in budget.streams],
            budget.family_id,
            budget.child_id,
        )
    slot = s.get(Slot, slot_ids[0])
    world = {
        "slot_ids": slot_ids,
        "families": families,
        "meta": meta,
        "offer_id": slot.offer_id,
        "provider_id": slot.offer.organisation_id,
    }
    world["care"] = bookings.provider_account(s, world["provider_id"]).id
    s.commit()
    return world


def app_client(config: dict, world: dict):
    """make_work for bench.clients: this process's own app (and engine), booking through the app."""

    def make_work(_index):
        from marketplace import create_app

        app = create_app(config)
        app.app_context().push()

        def work(rng):
            user_id, budget_id = rng.choice(world["families"])
            try:
                return _book_with_app(app, rng.choice(world["slot_ids"]), user_id, budget_id)
            finally:
                db.session.remove()

        return work

    return make_work


def sql_client(url: str, world: dict):
    """make_work for bench.clients: this process's own engine, booking in plain SQL."""

    def make_work(_index):
        engine = create_engine(url)

        def work(rng):
            _user_id, budget_id = rng.choice(world["families"])
            streams, family_id, child_id = world["meta"][budget_id]
            with engine.connect() as conn:
                return _book_with_sql(
                    conn,
                    rng.choice(world["slot_ids"]),
                    budget_id,
                    streams,
                    world["care"],
                    world["offer_id"],
                    family_id,
                    child_id,
                    world["provider_id"],
                )

        return work

    return make_work


def run(scale: int) -> list[dict]:
    seconds = bench_seconds(3.0)
    results = []
    with bench_app("bench_bookings") as app:
        progress(f"bookings: {SLOTS_PER_SCALE * scale} slots, {FAMILIES_PER_SCALE * scale} families")
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        config = {"ENV": "development", "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY}
        for clients in CLIENTS:
            progress(f"bookings: {clients} client process(es), app then plain SQL, {seconds:g} s each")
            world, plain = setup_world(scale, f"app{clients}"), setup_world(scale, f"sql{clients}")
            db.session.remove()
            db.engine.dispose()  # no pooled connection crosses the fork
            ok, no, elapsed = in_processes(clients, seconds, app_client(config, world))
            _verify(world["slot_ids"])
            app_rate = ok / elapsed
            db.session.remove()
            db.engine.dispose()
            ok_sql, no_sql, elapsed_sql = in_processes(clients, seconds, sql_client(url, plain))
            _verify(plain["slot_ids"])
            sql_rate = ok_sql / elapsed_sql
            results.append(
                figure(
                    NAME,
                    f"bookings/s, {clients} client process(es)",
                    app_rate,
                    "per s",
                    baseline=sql_rate,
                    ratio=rate_ratio(app_rate, sql_rate),
                )
            )
            results.append(
                figure(NAME, f"refused (full or short), {clients} client process(es)", no, "bookings")
            )
        progress("bookings: verified — no slot overbooked, no budget overspent, ledger reconciles")
    return results


if __name__ == "__main__":
    import sys

    from bench.runner import main

    sys.exit(main(["bookings", *sys.argv[1:]]))
