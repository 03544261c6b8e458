"""Benchmark: an invoice run over delivered bookings against the same rows written set-based.

`run(scale)` bills 10,000 × scale delivered bookings (scale 1 = 10,000 bookings; the issue's
100,000 is --scale 10, meant for PostgreSQL) for 100 providers and 20 payers (fewer providers at
a fractional scale is never used: the counts are fixed). Each booking has one managed funding
stream whose funder (one of the 20 payers, each with its own PO number) is invoiced, so a run
issues about 100 × 20 = 2,000 invoices of about 5 lines each.

Twice as many bookings are generated, in two halves a month apart. The project's run
(`invoicing.runs.run_invoices` through the end of the first half: billable items recorded with
one INSERT, then one transaction per invoice — counter locked, items locked, lines drafted,
number issued) is timed against a baseline that writes the same rows for the second half —
billable items, invoices with their gap-free numbers and totals, invoice lines, the items'
invoice ids and the counters — with a handful of INSERT … SELECT / UPDATE statements in one
transaction. `ratio` = project time / baseline time.

Before each timed phase the tables' statistics are gathered (ANALYZE, untimed), as autovacuum
keeps them on a live database: without them PostgreSQL plans for the empty tables the bulk
generation left behind (the baseline's NOT EXISTS over 10,000 freshly billed items became a
nested loop that took most of its time), and the ratio measured the planner, not the code.

The database is thrown away: on PostgreSQL (DATABASE_URL) `<dbname>_bench_invoicing` is created
and dropped with AUTOCOMMIT; otherwise a temporary SQLite file. Data is generated with bulk
INSERTs (one executemany per table).
"""

import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

from sqlalchemy import insert, text

from bench import common

BOOKINGS_PER_SCALE = 10_000
PROVIDERS = 100
PAYERS = 20
FAMILIES = 1_000
PRICE = 29_500
UNITS = 2
TERMS = 30
DAYS = 28  # each half's bookings spread over four weeks
TODAY = date(2026, 11, 30)
FIRST_HALF_START = TODAY - timedelta(days=2 * DAYS + 7)  # the run bills this half
SECOND_HALF_START = TODAY - timedelta(days=DAYS)  # the baseline bills this one
RUN_THROUGH = FIRST_HALF_START + timedelta(days=DAYS - 1)
ISSUE_DATE = TODAY


def throwaway_database():
    """A throwaway database beside DATABASE_URL's (or a temporary SQLite file); see bench.common."""
    return common.throwaway_database("bench_invoicing")


def _generate(session, n: int) -> None:
    """Providers (with a profile and an offer each), payers, families with a child and a budget of
    one managed stream, and 2n delivered bookings, each with its slot, hold, payment and transfer."""
    from marketplace.accounts.models import Child, Family, Organisation
    from marketplace.bookings.models import Booking, BookingPayment, BookingStatus
    from marketplace.budgets.models import Budget, FundingStream, ManagementOption
    from marketplace.catalog.models import Category, Offer, ProviderProfile, Setting, Slot, Unit
    from marketplace.ledger.models import Account, Hold, Transfer

    def add(model, rows):
        session.execute(insert(model), rows)

    add(Organisation, [dict(id=p + 1, slug=f"provider-{p:03d}", name=f"Provider {p}", kind="provider")
                       for p in range(PROVIDERS)])  # fmt: skip
    payers = [PROVIDERS + 1 + f for f in range(PAYERS)]
    add(
        Organisation,
        [dict(id=o, slug=f"payer-{o}", name=f"Council {o}", kind="commissioner") for o in payers],
    )
    add(ProviderProfile, [dict(id=p + 1, organisation_id=p + 1) for p in range(PROVIDERS)])
    add(Offer, [dict(id=p + 1, provider_id=p + 1, title="Overnight short break",
                     category=Category.OVERNIGHT_SHORT_BREAK, setting=Setting.HOSPICE_RESIDENTIAL,
                     unit=Unit.NIGHT, price=PRICE) for p in range(PROVIDERS)])  # fmt: skip
    add(Family, [dict(id=f + 1, slug=f"family-{f}", name=f"Family {f}") for f in range(FAMILIES)])
    add(Child, [dict(id=f + 1, family_id=f + 1, name=f"Child {f}", date_of_birth=date(2015, 1, 1))
                for f in range(FAMILIES)])  # fmt: skip
    add(Budget, [dict(id=f + 1, child_id=f + 1, family_id=f + 1, period_start=date(2026, 4, 1),
                      period_end=date(2027, 3, 31)) for f in range(FAMILIES)])  # fmt: skip
    add(FundingStream, [dict(id=f + 1, budget_id=f + 1, kind="social_care", funder_id=payers[f % PAYERS],
                             amount=10_000_000, po_number=f"PO-{payers[f % PAYERS]}", payment_terms_days=TERMS,
                             categories=["overnight_short_break"], management=ManagementOption.MANAGED)
                        for f in range(FAMILIES)])  # fmt: skip
    add(Account, [dict(id=1, owner_type="organisation", owner_id=payers[0], kind="holds", name="Holds"),
                  dict(id=2, owner_type="organisation", owner_id=1, kind="income", name="Income")])  # fmt: skip
    slots, bookings, holds, payments, transfers = [], [], [], [], []
    for i in range(2 * n):
        b, f, p = i + 1, (i // PROVIDERS) % FAMILIES, i % PROVIDERS  # 2,000 (provider, payer) pairs
        first = FIRST_HALF_START if i < n else SECOND_HALF_START
        starts = datetime.combine(first + timedelta(days=i % DAYS), clock_time(12), tzinfo=UTC) + timedelta(
            minutes=i // 700
        )  # unique per offer; the same day up to 100,000 × 2 bookings (a minute past noon per 700)
        slots.append(
            dict(id=b, offer_id=p + 1, starts_at=starts, ends_at=starts + timedelta(hours=20), capacity=1)
        )
        bookings.append(dict(id=b, family_id=f + 1, child_id=f + 1, budget_id=f + 1, offer_id=p + 1, slot_id=b,
                             provider_id=p + 1, units=UNITS, cost=UNITS * PRICE, status=BookingStatus.DELIVERED,
                             terms={"unit": "night", "price": PRICE}))  # fmt: skip
        holds.append(dict(id=b, debit_account_id=1, credit_account_id=2, amount=UNITS * PRICE, code="booking",
                          effective_date=starts.date()))  # fmt: skip
        payments.append(dict(id=b, booking_id=b, stream_id=f + 1, hold_id=b, amount=UNITS * PRICE))
        transfers.append(dict(id=b, debit_account_id=1, credit_account_id=2, amount=UNITS * PRICE,
                              code="booking_delivered", hold_id=b, effective_date=starts.date()))  # fmt: skip
    for model, rows in ((Slot, slots), (Booking, bookings), (Hold, holds), (BookingPayment, payments),
                        (Transfer, transfers)):  # fmt: skip
        add(model, rows)
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        for table in ("organisation", "provider_profile", "offer", "family", "child", "budget", "funding_stream",
                      "ledger_account", "slot", "booking", "ledger_hold", "booking_payment", "ledger_transfer"):  # fmt: skip
            session.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            )
        session.commit()


def _raw_run(conn, through: date) -> None:
    """The baseline: what the run writes for every unrecorded delivered booking through `through`,
    set-based, in one transaction."""
    pg = conn.dialect.name == "postgresql"
    now = datetime.now(UTC) if pg else datetime.now(UTC).replace(tzinfo=None)
    day = "CAST(s.starts_at AS DATE)" if pg else "date(s.starts_at)"
    pad = (
        (lambda e: f"right('000000' || CAST({e} AS VARCHAR(12)), 6)")
        if pg
        else (lambda e: f"substr('000000' || ({e}), -6)")
    )
    p = {"through": through, "end": datetime.combine(through + timedelta(days=1), clock_time(0), tzinfo=UTC),
         "now": now, "issue": ISSUE_DATE, "due": ISSUE_DATE + timedelta(days=TERMS), "reason": _reason()}  # fmt: skip
    if not pg:
        p["end"] = p["end"].replace(tzinfo=None)
    p["before"] = conn.scalar(text("SELECT COALESCE(MAX(id), 0) FROM invoice"))
    p["before_transfer"] = conn.scalar(text("SELECT COALESCE(MAX(id), 0) FROM ledger_transfer"))
    conn.execute(text(
        "INSERT INTO billable_item (kind, booking_payment_id, transfer_id, booking_id, stream_id, provider_id, "
        "payer_org_id, payer_family_id, po_number, payment_terms_days, service_date, amount, created_at) "
        f"SELECT 'care_delivered', bp.id, t.id, b.id, fs.id, b.provider_id, fs.funder_id, NULL, fs.po_number, "
        f"fs.payment_terms_days, {day}, t.amount, :now "
        "FROM booking_payment bp JOIN booking b ON b.id = bp.booking_id JOIN funding_stream fs ON fs.id = bp.stream_id "
        "JOIN slot s ON s.id = b.slot_id JOIN ledger_transfer t ON t.hold_id = bp.hold_id "
        "WHERE b.status = 'delivered' AND fs.management IN ('managed', 'third_party') AND s.starts_at < :end "
        "AND NOT EXISTS (SELECT 1 FROM billable_item x WHERE x.booking_payment_id = bp.id)"
    ), p)  # fmt: skip
    number = (
        "c.last_number + ROW_NUMBER() OVER (PARTITION BY g.provider_id ORDER BY g.payer_org_id, g.po_number)"
    )
    conn.execute(text(
        "INSERT INTO invoice (issuer_id, payer_org_id, payer_family_id, po_number, payment_terms_days, status, "
        "number, issue_date, due_date, net_total, vat_total, total, amount_paid, created_at, issued_at) "
        f"SELECT g.provider_id, g.payer_org_id, NULL, g.po_number, g.payment_terms_days, 'issued', "
        f"c.prefix || '-' || {pad(number)}, :issue, :due, g.net, 0, g.net, 0, :now, :now "
        "FROM (SELECT provider_id, payer_org_id, po_number, payment_terms_days, SUM(amount) AS net FROM billable_item "
        "WHERE invoice_id IS NULL AND service_date <= :through "
        "GROUP BY provider_id, payer_org_id, po_number, payment_terms_days) g "
        "JOIN invoice_counter c ON c.issuer_id = g.provider_id"
    ), p)  # fmt: skip
    units = "CAST(b.units AS VARCHAR(12))"
    conn.execute(text(
        "INSERT INTO invoice_line (invoice_id, position, billable_item_id, description, service_start, service_end, "
        "child_reference, quantity, unit, unit_price, vat_category, vat_rate_bp, vat_exemption_reason, amount) "
        "SELECT i.id, ROW_NUMBER() OVER (PARTITION BY i.id ORDER BY x.service_date, x.id), x.id, "
        f"o.title || ': ' || {units} || ' nights', x.service_date, x.service_date, "
        "'C-' || CAST(b.child_id AS VARCHAR(12)), b.units, 'night', o.price, 'E', 0, :reason, x.amount "
        "FROM billable_item x JOIN invoice i ON i.id > :before AND i.issuer_id = x.provider_id "
        "AND i.payer_org_id = x.payer_org_id AND i.po_number = x.po_number "
        "AND i.payment_terms_days = x.payment_terms_days "
        "JOIN booking b ON b.id = x.booking_id JOIN offer o ON o.id = b.offer_id "
        "WHERE x.invoice_id IS NULL AND x.service_date <= :through"
    ), p)  # fmt: skip
    conn.execute(text(
        "UPDATE billable_item SET invoice_id = l.invoice_id FROM invoice_line l "
        "WHERE l.billable_item_id = billable_item.id AND billable_item.invoice_id IS NULL "
        "AND billable_item.service_date <= :through"
    ), p)  # fmt: skip
    conn.execute(text(
        "UPDATE invoice_counter SET last_number = last_number + (SELECT COUNT(*) FROM invoice i "
        "WHERE i.id > :before AND i.issuer_id = invoice_counter.issuer_id)"
    ), p)  # fmt: skip
    _raw_receivables(conn, p)


def _raw_receivables(conn, p: dict) -> None:
    """The ledger side of issuing, set-based: each new invoice's total moves from its provider's
    `invoiced` account to its receivable from the payer (accounts opened as needed, cached balances
    moved)."""
    kind = "'org:' || CAST(i.payer_org_id AS VARCHAR(12))"
    new = "FROM invoice i WHERE i.id > :before"
    conn.execute(text(
        "INSERT INTO ledger_account (owner_type, owner_id, kind, name, non_negative, posted, pending_out, created_at) "
        f"SELECT DISTINCT 'provider_receivable', i.issuer_id, {kind}, 'receivable', false, 0, 0, :now {new} "
        "AND NOT EXISTS (SELECT 1 FROM ledger_account a WHERE a.owner_type = 'provider_receivable' "
        f"AND a.owner_id = i.issuer_id AND a.kind = {kind})"
    ), p)  # fmt: skip
    conn.execute(text(
        "INSERT INTO ledger_account (owner_type, owner_id, kind, name, non_negative, posted, pending_out, created_at) "
        f"SELECT DISTINCT 'organisation', i.issuer_id, 'invoiced', 'invoiced', false, 0, 0, :now {new} "
        "AND NOT EXISTS (SELECT 1 FROM ledger_account a WHERE a.owner_type = 'organisation' "
        "AND a.owner_id = i.issuer_id AND a.kind = 'invoiced')"
    ), p)  # fmt: skip
    conn.execute(text(
        "INSERT INTO ledger_transfer (debit_account_id, credit_account_id, amount, code, reference_type, "
        "reference_id, effective_date, created_at) "
        "SELECT d.id, c.id, i.total, 'invoice_issued', 'invoice', CAST(i.id AS VARCHAR(20)), i.issue_date, :now "
        "FROM invoice i JOIN ledger_account d ON d.owner_type = 'organisation' AND d.owner_id = i.issuer_id "
        "AND d.kind = 'invoiced' JOIN ledger_account c ON c.owner_type = 'provider_receivable' "
        f"AND c.owner_id = i.issuer_id AND c.kind = {kind} WHERE i.id > :before"
    ), p)  # fmt: skip
    conn.execute(text(
        "UPDATE ledger_account SET posted = posted + d.delta FROM (SELECT account_id, SUM(delta) AS delta FROM "
        "(SELECT credit_account_id AS account_id, amount AS delta FROM ledger_transfer WHERE id > :before_transfer "
        "UNION ALL SELECT debit_account_id, -amount FROM ledger_transfer WHERE id > :before_transfer) m "
        "GROUP BY account_id) d WHERE ledger_account.id = d.account_id"
    ), p)  # fmt: skip


def _analyze(engine) -> None:
    """Up-to-date planner statistics for every table (untimed)."""
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def _reason() -> str:
    from marketplace.invoicing.models import EXEMPTION_REASON

    return EXEMPTION_REASON


def _counts(conn) -> tuple[int, int, int]:
    return tuple(
        conn.scalar(text(sql))
        for sql in (
            "SELECT COUNT(*) FROM invoice",
            "SELECT COUNT(*) FROM invoice_line",
            "SELECT COUNT(*) FROM billable_item WHERE invoice_id IS NOT NULL",
        )
    )


def run(scale: int = 1) -> list[dict]:
    from marketplace import create_app
    from marketplace.core.db import db
    from marketplace.invoicing.runs import run_invoices

    n = BOOKINGS_PER_SCALE * scale
    with throwaway_database() as url:
        app = create_app(
            {"ENV": "testing", "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-" + "x" * 40}
        )
        with app.app_context():
            db.create_all()
            common.progress(f"invoicing: generating {2 * n} delivered bookings")
            _generate(db.session, n)
            _analyze(db.engine)
            common.progress(f"invoicing: the project's run over {n} bookings")
            started = time.perf_counter()
            summary = run_invoices(db.session, RUN_THROUGH, issue_date=ISSUE_DATE)
            app_seconds = time.perf_counter() - started
            assert summary.items_recorded == n and not summary.failed, summary.failed
            with db.engine.connect() as conn:
                invoices, lines, billed = _counts(conn)
            assert (lines, billed) == (n, n), (invoices, lines, billed)
            _analyze(db.engine)
            common.progress(f"invoicing: the set-based baseline over {n} bookings")
            started = time.perf_counter()
            with db.engine.begin() as conn:
                _raw_run(conn, TODAY - timedelta(days=1))
            raw_seconds = time.perf_counter() - started
            with db.engine.connect() as conn:
                after = _counts(conn)
            assert after == (2 * invoices, 2 * n, 2 * n), (invoices, after)
            with app.app_context():
                from marketplace.invoicing import books

                problems = books.reconcile_receivables(db.session)  # (the generated bookings' own
                assert not problems, problems[:5]  # books are bulk-written, not reconciled here)
            db.session.remove()
            db.engine.dispose()
    ratio = common.time_ratio(app_seconds, raw_seconds)
    return [
        common.figure(
            "invoicing",
            f"invoice run, {n} delivered bookings, {PROVIDERS} providers x {PAYERS} payers "
            f"({invoices} invoices)",
            app_seconds,
            "s",
            baseline=raw_seconds,
            ratio=ratio,
        ),  # fmt: skip
        common.figure(
            "invoicing",
            "bookings billed per second",
            n / app_seconds,
            "bookings/s",
            baseline=n / raw_seconds,
            ratio=ratio,
        ),  # fmt: skip
    ]


if __name__ == "__main__":
    import json
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere
    for figure in run(int(sys.argv[1]) if len(sys.argv) > 1 else 1):
        print(json.dumps(figure))
