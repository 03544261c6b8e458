"""Aged debt: what is owed on issued invoices, by how far past its due date it is on a given day.

Buckets: not yet due (due that day or later), 1–30, 31–60, 61–90 and over 90 days past due. The
amount of an invoice is what it still says is owed (total − paid − credited). Per provider the
rows are its payers ("aged debt", what it is owed); per payer the rows are the providers that
invoiced it ("aged creditors", what it owes). One grouped query either way: the database buckets
and sums, so a provider with tens of thousands of invoices gets a handful of rows back.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Family, Organisation
from marketplace.invoicing.books import OWED
from marketplace.invoicing.models import Invoice, InvoiceStatus


@dataclass(frozen=True)
class Bucket:
    key: str
    label: str
    min_days: int | None  # days past due, inclusive; None: no bound
    max_days: int | None


BUCKETS = (
    Bucket("not_due", "Not yet due", None, 0),
    Bucket("days_1_30", "1–30 days", 1, 30),
    Bucket("days_31_60", "31–60 days", 31, 60),
    Bucket("days_61_90", "61–90 days", 61, 90),
    Bucket("days_over_90", "Over 90 days", 91, None),
)
BY_KEY = {b.key: b for b in BUCKETS}


def bucket_for(days_past_due: int) -> Bucket:
    """The bucket of an invoice `days_past_due` days past its due date (0 or less: not yet due)."""
    return next(
        b
        for b in BUCKETS
        if (b.min_days is None or days_past_due >= b.min_days)
        and (b.max_days is None or days_past_due <= b.max_days)
    )


def outstanding():
    """Issued invoices that still say something is owed."""
    return and_(Invoice.status.notin_([InvoiceStatus.DRAFT, InvoiceStatus.VOID]), OWED > 0)


def in_bucket(bucket: Bucket, on: date):
    """The condition on the due date that puts an invoice in `bucket` on `on` (index-friendly:
    days past due = on − due date, so a bound on the days is a bound on the due date)."""
    conditions = []
    if bucket.min_days is not None:
        conditions.append(Invoice.due_date <= on - timedelta(days=bucket.min_days))
    if bucket.max_days is not None:
        conditions.append(Invoice.due_date >= on - timedelta(days=bucket.max_days))
    return and_(*conditions)


def _bucket_index(on: date):
    return case(*((in_bucket(b, on), i) for i, b in enumerate(BUCKETS[:-1])), else_=len(BUCKETS) - 1)


@dataclass(frozen=True)
class Party:
    """Who a row is about: `key` is what links carry ('org-12', 'family-7')."""

    kind: str  # organisation or family
    id: int
    name: str

    @property
    def key(self) -> str:
        return f"{'org' if self.kind == 'organisation' else 'family'}-{self.id}"


@dataclass
class AgedRow:
    party: Party | None  # None for the totals row
    amounts: dict[str, int] = field(default_factory=lambda: {b.key: 0 for b in BUCKETS})
    counts: dict[str, int] = field(default_factory=lambda: {b.key: 0 for b in BUCKETS})

    @property
    def total(self) -> int:
        return sum(self.amounts.values())

    @property
    def count(self) -> int:
        return sum(self.counts.values())

    @property
    def overdue(self) -> int:
        return self.total - self.amounts["not_due"]


@dataclass
class AgedDebt:
    on: date
    side: str  # "debtors": a provider's payers; "creditors": a payer's providers
    rows: list[AgedRow]
    totals: AgedRow

    @property
    def is_empty(self) -> bool:
        return self.totals.count == 0


def _aged(session: Session, on: date, side: str, party_columns: list, where) -> AgedDebt:
    """Sum what is owed by party and bucket. The bucket is worked out in a subquery so the
    grouping names it, not a repeat of its expression (PostgreSQL would see the repeat's
    parameters as a different expression)."""
    inner = (
        select(*party_columns, _bucket_index(on).label("bucket"), OWED.label("owed"))
        .where(outstanding(), *where)
        .subquery()
    )
    parties = [inner.c[c.key] for c in party_columns]
    query = select(*parties, inner.c.bucket, func.sum(inner.c.owed), func.count()).group_by(
        *parties, inner.c.bucket
    )
    rows: dict[tuple, AgedRow] = {}
    totals = AgedRow(None)
    for *party, bucket_index, owed, count in session.execute(query):
        party = tuple(party) if len(party) == 2 else (party[0], None)  # a provider: (org id, None)
        row = rows.setdefault(party, AgedRow(None))
        key = BUCKETS[bucket_index].key
        for target in (row, totals):
            target.amounts[key] += int(owed)  # PostgreSQL sums as Decimal
            target.counts[key] += count
    names = _parties(session, rows.keys())
    for party_key, row in rows.items():
        row.party = names[party_key]
    ordered = sorted(rows.values(), key=lambda r: (-r.overdue, -r.total, r.party.name))
    return AgedDebt(on, side, ordered, totals)


def _parties(session: Session, keys) -> dict[tuple, Party]:
    """(org id, family id) -> the party, in two queries."""
    org_ids = {org for org, _ in keys if org is not None}
    family_ids = {family for _, family in keys if family is not None}
    orgs = _names(session, Organisation, org_ids)
    families = _names(session, Family, family_ids)
    return {
        (org, family): Party("organisation", org, orgs[org])
        if org is not None
        else Party("family", family, families[family])
        for org, family in keys
    }


def _names(session: Session, model, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {i: name for i, name in session.execute(select(model.id, model.name).where(model.id.in_(ids)))}


def aged_debt(session: Session, provider_id: int, on: date) -> AgedDebt:
    """What a provider's payers owe it on `on`, by payer and bucket."""
    return _aged(
        session,
        on,
        "debtors",
        [Invoice.payer_org_id, Invoice.payer_family_id],
        [Invoice.issuer_id == provider_id],
    )


def aged_creditors(
    session: Session, on: date, payer_org_id: int | None = None, payer_family_id: int | None = None
) -> AgedDebt:
    """What a payer (an organisation, or a family) owes the providers that invoiced it on `on`."""
    payer = (
        Invoice.payer_org_id == payer_org_id
        if payer_org_id is not None
        else (Invoice.payer_family_id == payer_family_id)
    )
    return _aged(session, on, "creditors", [Invoice.issuer_id], [payer])


def parse_party(key: str) -> tuple[int | None, int | None] | None:
    """'org-12' -> (12, None); 'family-7' -> (None, 7); anything else None."""
    kind, _, number = (key or "").partition("-")
    if kind not in ("org", "family") or not number.isdigit() or not 0 < int(number) < 2**31:
        return None
    return (int(number), None) if kind == "org" else (None, int(number))


def invoices_behind(
    on: date,
    bucket: Bucket | None,
    *,
    provider_id: int | None = None,
    payer_org_id: int | None = None,
    payer_family_id: int | None = None,
) -> Select:
    """The invoices behind an aged-debt figure, most overdue first: a provider's (optionally to
    one payer), or a payer's (optionally from one provider), in one bucket or all."""
    query = select(Invoice).where(outstanding())
    if provider_id is not None:
        query = query.where(Invoice.issuer_id == provider_id)
    if payer_org_id is not None:
        query = query.where(Invoice.payer_org_id == payer_org_id)
    if payer_family_id is not None:
        query = query.where(Invoice.payer_family_id == payer_family_id)
    if bucket is not None:
        query = query.where(in_bucket(bucket, on))
    return query.order_by(Invoice.due_date, Invoice.id)
