"""Benchmark: a provider's aged debt over tens of thousands of invoices, against plain SQL.

`run(scale)` issues 50,000 × scale invoices from one provider to 500 payers (plus as many from
other providers, which its query must pass over), due dates spread over the 200 days around the
day aged, some part paid. The project's `invoicing.aged_debt.aged_debt` (one grouped query
bucketing in the database, then the payers' names) is timed against the same figures from one
hand-written GROUP BY with the buckets' date bounds inlined; `ratio` = project / baseline.
A second figure times the chasing view's sums: `late_payment.for_invoices` over every overdue
invoice of the provider (statutory interest and compensation, exact and rounded once each).

Data is generated with bulk INSERTs into a throwaway database (see bench.common).
"""

from datetime import date, timedelta

from sqlalchemy import insert, select, text

from bench.common import bench_app, bench_seconds, figure, measure, median, progress, time_ratio

INVOICES_PER_SCALE = 50_000
PAYERS = 500
ON = date(2027, 2, 3)
PROVIDER_ID = 1

BASELINE = """
SELECT payer_org_id,
       SUM(CASE WHEN due_date >= :d0 THEN owed ELSE 0 END),
       SUM(CASE WHEN due_date < :d0 AND due_date >= :d30 THEN owed ELSE 0 END),
       SUM(CASE WHEN due_date < :d30 AND due_date >= :d60 THEN owed ELSE 0 END),
       SUM(CASE WHEN due_date < :d60 AND due_date >= :d90 THEN owed ELSE 0 END),
       SUM(CASE WHEN due_date < :d90 THEN owed ELSE 0 END)
FROM (SELECT payer_org_id, due_date, total - amount_paid - amount_credited AS owed FROM invoice
      WHERE issuer_id = :provider AND status IN ('issued', 'part_paid')
        AND total - amount_paid - amount_credited > 0) AS open_invoices
GROUP BY payer_org_id
"""


def _generate(session, n: int) -> None:
    from marketplace.accounts.models import Organisation
    from marketplace.invoicing.models import Invoice

    others = [PROVIDER_ID + 1, PROVIDER_ID + 2]
    session.execute(
        insert(Organisation),
        [
            dict(id=p, slug=f"provider-{p}", name=f"Provider {p}", kind="provider")
            for p in [PROVIDER_ID, *others]
        ]
        + [
            dict(id=10 + k, slug=f"payer-{k}", name=f"Council {k}", kind="commissioner")
            for k in range(PAYERS)
        ],
    )
    rows = []
    for i in range(2 * n):
        issuer = PROVIDER_ID if i % 2 == 0 else others[i % 4 // 2]
        due = ON + timedelta(days=60 - i % 200)
        total = 10_000 + (i * 7919) % 1_500_000
        paid = total // 3 if i % 5 == 0 else 0
        rows.append(
            dict(
                id=i + 1,
                issuer_id=issuer,
                payer_org_id=10 + i % PAYERS,
                po_number=f"PO-{i % PAYERS}",
                payment_terms_days=30,
                status="part_paid" if paid else "issued",
                number=f"INV-{i + 1:07d}",
                issue_date=due - timedelta(days=30),
                due_date=due,
                net_total=total,
                vat_total=0,
                total=total,
                amount_paid=paid,
                amount_credited=0,
            )
        )
        if len(rows) == 10_000:
            session.execute(insert(Invoice), rows)
            rows = []
    if rows:
        session.execute(insert(Invoice), rows)


def run(scale: int = 1) -> list[dict]:
    from marketplace.core.db import db
    from marketplace.invoicing import aged_debt, late_payment
    from marketplace.invoicing.models import Invoice

    n = INVOICES_PER_SCALE * scale
    with bench_app("bench_aged_debt"):
        progress(f"aged_debt: generating {2 * n:,} invoices")
        _generate(db.session, n)
        db.session.commit()
        bounds = {f"d{d}": ON - timedelta(days=d) for d in (0, 30, 60, 90)}

        def ours():
            return aged_debt.aged_debt(db.session, PROVIDER_ID, ON)

        def plain():
            return db.session.execute(text(BASELINE), {"provider": PROVIDER_ID, **bounds}).all()

        assert ours().totals.total == sum(sum(int(v) for v in row[1:]) for row in plain())
        seconds = bench_seconds()
        project, baseline = median(measure(ours, seconds=seconds)), median(measure(plain, seconds=seconds))
        overdue = list(
            db.session.scalars(
                aged_debt.invoices_behind(ON, None, provider_id=PROVIDER_ID).where(Invoice.due_date < ON)
            )
        )
        table = late_payment.rate_table()
        claims = median(measure(lambda: late_payment.for_invoices(db.session, overdue, ON, table), repeat=3))
        assert db.session.scalar(select(Invoice.id).limit(1)) is not None
        return [
            figure(
                "aged_debt",
                f"aged debt of a provider with {n:,} invoices",
                project * 1000,
                "ms",
                baseline=baseline * 1000,
                ratio=time_ratio(project, baseline),
            ),
            figure(
                "aged_debt",
                f"interest and compensation on {len(overdue):,} overdue invoices",
                claims * 1000,
                "ms",
            ),
        ]
