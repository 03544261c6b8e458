"""Benchmark: the weekly ISF drawdown run against the same rows written by plain set-based SQL.

`run(scale)` drawdowns for 1,000 × scale ISFs (scale 1 = 1,000 ISFs, a quick run; the issue's
10,000 and 100,000 are --scale 10 and --scale 100, meant for PostgreSQL). Each ISF has one week
due. The project's run (`isf.jobs.run_weekly_drawdowns`: batches of 500, ledger transfers with
idempotency keys, one drawdown row per fund) is timed against a baseline that writes the same
rows — drawdown rows, two ledger transfers and two idempotency records per fund, balances
updated — for the following week with a handful of INSERT … SELECT / UPDATE statements in one
transaction. `ratio` = project time / baseline time.

The database is thrown away: on PostgreSQL (DATABASE_URL) `<dbname>_bench_drawdown` is created
and dropped with AUTOCOMMIT; otherwise a temporary SQLite file. Data is generated set-based.
"""

import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from bench import common

START = date(2026, 4, 6)
WEEKLY = 57_000
FUNDED = 200_000
FUNDS_PER_SCALE = 1_000
N_CTE = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :n) "


def throwaway_database():
    """A throwaway database beside DATABASE_URL's (or a temporary SQLite file); see bench.common."""
    return common.throwaway_database("bench_drawdown")


def _generate(conn, n: int) -> None:
    """Orgs, families, children, budgets, isf streams, ISFs (agreed), ledger accounts funded by
    one receipt transfer each — all with INSERT … SELECT over a number series."""
    pg = conn.dialect.name == "postgresql"
    now = datetime.now(UTC) if pg else datetime.now(UTC).replace(tzinfo=None)
    p = {"n": n, "now": now, "start": START, "end": date(2027, 3, 31), "weekly": WEEKLY, "funded": FUNDED}
    statements = [
        "INSERT INTO organisation (id, slug, name, kind, created_at) VALUES "
        "(1, 'bench-provider', 'Bench provider', 'provider', :now), "
        "(2, 'bench-council', 'Bench council', 'commissioner', :now)",
        N_CTE + "INSERT INTO family (id, slug, name, area, created_at) "
        "SELECT i, 'bench-family-' || i, 'Family ' || i, NULL, :now FROM n",
        N_CTE + "INSERT INTO child (id, family_id, name, date_of_birth, needs) "
        "SELECT i, i, 'Child ' || i, :start, NULL FROM n",
        N_CTE + "INSERT INTO budget (id, child_id, family_id, period_start, period_end, status, created_at) "
        "SELECT i, i, i, :start, :end, 'active', :now FROM n",
        N_CTE + "INSERT INTO funding_stream (id, budget_id, position, kind, funder_id, amount, po_number, "
        "payment_terms_days, categories, management) "
        "SELECT i, i, 0, 'social_care', 2, 1820000, '', 30, '[]', 'isf' FROM n",
        N_CTE + "INSERT INTO isf (id, budget_id, provider_id, start_date, end_date, weekly_amount, "
        "drawdown_weekday, contingency_bp, top_slice_bp, surplus_threshold_weeks, family_contribution_first, "
        "parked_at, parked_reason, created_at) "
        "SELECT i, i, 1, :start, :end, :weekly, 0, 500, 800, 8, :yes, NULL, NULL, :now FROM n",
        N_CTE + "INSERT INTO isf_funding_cycle (id, isf_id, stream_id, cycle, timing) "
        "SELECT i, i, i, 'quarterly', 'advance' FROM n",
        N_CTE + "INSERT INTO isf_agreement (id, isf_id, party, organisation_id, user_id, agreed_at) "
        "SELECT 2 * i - 1, i, 'provider', 1, NULL, :now FROM n",
        N_CTE + "INSERT INTO isf_agreement (id, isf_id, party, organisation_id, user_id, agreed_at) "
        "SELECT 2 * i, i, 'commissioner', 2, NULL, :now FROM n",
        N_CTE + "INSERT INTO ledger_account (id, owner_type, owner_id, kind, name, non_negative, posted, "
        "pending_out, created_at) SELECT i, 'isf', i, 'available', 'ISF ' || i, :yes, :funded, 0, :now FROM n",
        "INSERT INTO ledger_account (id, owner_type, owner_id, kind, name, non_negative, posted, pending_out, "
        "created_at) VALUES (:n + 1, 'organisation', 2, 'isf_payments', 'Funder', :no, -:n * :funded, 0, :now), "
        "(:n + 2, 'organisation', 1, 'isf_overhead', 'Overhead', :no, 0, 0, :now), "
        "(:n + 3, 'organisation', 1, 'isf_delivery_income', 'Delivery', :no, 0, 0, :now)",
        N_CTE + "INSERT INTO ledger_transfer (id, debit_account_id, credit_account_id, amount, code, "
        "reference_type, reference_id, hold_id, reverses_id, effective_date, created_at) "
        "SELECT i, :n + 1, i, :funded, 'isf_receipt', NULL, NULL, NULL, NULL, :start, :now FROM n",
    ]
    for sql in statements:
        conn.execute(text(sql), {**p, "yes": True, "no": False})
    if pg:
        for table in ("organisation", "family", "child", "budget", "funding_stream", "isf", "isf_funding_cycle",
                      "isf_agreement", "ledger_account", "ledger_transfer"):  # fmt: skip
            conn.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            )


def _raw_drawdown(conn, n: int, week: date) -> None:
    """The baseline: the same rows for `week`, set-based, in one transaction."""
    pg = conn.dialect.name == "postgresql"
    now = datetime.now(UTC) if pg else datetime.now(UTC).replace(tzinfo=None)
    p = {"week": week, "now": now, "n": n, "bp": 800}
    drawn = f"CASE WHEN a.posted < {WEEKLY} THEN a.posted ELSE {WEEKLY} END"
    conn.execute(
        text(
            "INSERT INTO isf_drawdown (isf_id, week_start, drawdown_date, planned, arrears, due, drawn, top_slice, "
            "delivery, shortfall, created_at) "
            f"SELECT i.id, :week, :week, i.weekly_amount, 0, i.weekly_amount, {drawn}, "
            f"({drawn} * i.top_slice_bp + 5000) / 10000, {drawn} - ({drawn} * i.top_slice_bp + 5000) / 10000, "
            f"i.weekly_amount - {drawn}, :now "
            "FROM isf i JOIN ledger_account a ON a.owner_type = 'isf' AND a.owner_id = i.id AND a.kind = 'available'"
        ),
        p,
    )
    for code, column, account in (
        ("isf_top_slice", "top_slice", ":n + 2"),
        ("isf_delivery", "delivery", ":n + 3"),
    ):
        conn.execute(
            text(
                "INSERT INTO ledger_transfer (debit_account_id, credit_account_id, amount, code, reference_type, "
                "reference_id, hold_id, reverses_id, effective_date, created_at) "
                f"SELECT d.isf_id, {account}, d.{column}, '{code}', 'isf_week', "
                "CAST(d.isf_id AS VARCHAR(20)) || ':' || CAST(d.week_start AS VARCHAR(20)), NULL, NULL, "
                f"d.drawdown_date, :now FROM isf_drawdown d WHERE d.week_start = :week AND d.{column} > 0"
            ),
            p,
        )
        conn.execute(
            text(
                "INSERT INTO ledger_idempotency (key, request_hash, result_type, result_id, created_at) "
                "SELECT 'isf:' || CAST(t.debit_account_id AS VARCHAR(20)) || ':week:' || "
                f"CAST(t.effective_date AS VARCHAR(20)) || ':' || '{code}', '', 'transfer', t.id, :now "
                f"FROM ledger_transfer t WHERE t.code = '{code}' AND t.effective_date = :week"
            ),
            p,
        )
    conn.execute(
        text(
            "UPDATE ledger_account SET posted = posted - (SELECT d.drawn FROM isf_drawdown d "
            "WHERE d.isf_id = ledger_account.owner_id AND d.week_start = :week) "
            "WHERE owner_type = 'isf' AND kind = 'available'"
        ),
        p,
    )
    for column, account in (("top_slice", 2), ("delivery", 3)):
        conn.execute(
            text(
                f"UPDATE ledger_account SET posted = posted + (SELECT COALESCE(SUM({column}), 0) "
                f"FROM isf_drawdown WHERE week_start = :week) WHERE id = :n + {account}"
            ),
            p,
        )


def run(scale: int = 1) -> list[dict]:
    from marketplace import create_app
    from marketplace.core.db import db
    from marketplace.isf import jobs

    n = FUNDS_PER_SCALE * scale
    with throwaway_database() as url:
        app = create_app(
            {"ENV": "testing", "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-" + "x" * 40}
        )
        with app.app_context():
            db.create_all()
            with db.engine.begin() as conn:
                _generate(conn, n)
            started = time.perf_counter()
            summary = jobs.run_weekly_drawdowns(db.session, START)
            app_seconds = time.perf_counter() - started
            assert summary.weeks_posted == n and not summary.failed, summary
            started = time.perf_counter()
            with db.engine.begin() as conn:
                _raw_drawdown(conn, n, START + timedelta(weeks=1))
            raw_seconds = time.perf_counter() - started
            db.session.remove()
            db.engine.dispose()
    ratio = round(app_seconds / raw_seconds, 2) if raw_seconds else None
    return [
        {
            "bench": "drawdown",
            "figure": f"weekly drawdown run, {n} ISFs x 1 week",
            "value": round(app_seconds, 3),
            "unit": "s",
            "baseline": round(raw_seconds, 3),
            "ratio": ratio,
        },  # fmt: skip
        {
            "bench": "drawdown",
            "figure": "funds drawn down per second",
            "value": round(n / app_seconds, 1),
            "unit": "funds/s",
            "baseline": round(n / raw_seconds, 1),
            "ratio": ratio,
        },  # fmt: skip
    ]


if __name__ == "__main__":
    import json
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere
    for figure in run(int(sys.argv[1]) if len(sys.argv) > 1 else 1):
        print(json.dumps(figure))
