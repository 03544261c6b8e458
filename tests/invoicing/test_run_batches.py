"""The invoice run works in batches of groups, one transaction each: a failing group is retried
alone and left unbilled while the rest of its batch is issued, numbers stay gap-free across
batches, and a batch issues exactly what drafting and issuing one invoice at a time would."""

import pytest
from sqlalchemy import select

from marketplace.invoicing import batch, lines, operations
from marketplace.invoicing.models import BillableItem, BillableKind, Invoice, InvoiceCounter
from marketplace.invoicing.runs import run_invoices


@pytest.fixture
def four_groups(world):
    """Hilltop's and another provider's care, each shared by the council and the ICB: four
    groups, in run order (Hilltop council, Hilltop ICB, other council, other ICB)."""
    _, other_offer = world.other_provider()
    world.delivered(units=2)
    last = world.delivered(units=1, days_ahead=11, offer=other_offer)
    world.other_org = other_offer.provider.organisation
    world.through = world.service_date(last)
    return world


def fail_group(monkeypatch, provider_id, payer_org_id):
    """Drafting the lines of one (provider, payer) group raises; every other group drafts."""
    real = lines.LINE_BUILDERS[BillableKind.CARE_DELIVERED]

    def build(session, items):
        if any((i.provider_id, i.payer_org_id) == (provider_id, payer_org_id) for i in items):
            raise RuntimeError("this booking's terms cannot be read")
        return real(session, items)

    monkeypatch.setitem(lines.LINE_BUILDERS, BillableKind.CARE_DELIVERED, build)


def numbers_by_provider(session) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for issuer_id, number in session.execute(select(Invoice.issuer_id, Invoice.number).order_by(Invoice.id)):
        found.setdefault(issuer_id, []).append(int(number[-6:]))
    return found


def last_numbers(session) -> dict[int, int]:
    return dict(session.execute(select(InvoiceCounter.issuer_id, InvoiceCounter.last_number)).all())


@pytest.mark.parametrize("batch_size", [3, 200])
def test_a_failing_group_is_left_unbilled_and_the_rest_of_its_batch_is_issued(
    session, four_groups, monkeypatch, batch_size
):
    w = four_groups
    hilltop, other = w.provider_org.id, w.other_org.id
    fail_group(monkeypatch, other, w.council.id)  # the third group: in the first batch either way
    summary = run_invoices(session, w.through, batch_size=batch_size)

    assert [key[:2] for key in summary.failed] == [(other, w.council.id)]
    assert "terms cannot be read" in next(iter(summary.failed.values()))
    assert [(i.payer, i.number[-6:]) for i in summary.issued] == [
        (w.council.name, "000001"),  # Hilltop's
        (w.icb.name, "000002"),
        (w.icb.name, "000001"),  # the other provider's
    ]
    session.expire_all()
    unbilled = session.scalars(select(BillableItem).where(BillableItem.invoice_id.is_(None))).all()
    assert [(i.provider_id, i.payer_org_id) for i in unbilled] == [(other, w.council.id)]
    # the failed group's draft and number were rolled back: every provider's numbers are gap-free
    assert numbers_by_provider(session) == {hilltop: [1, 2], other: [1]}
    assert last_numbers(session) == {hilltop: 2, other: 1}

    monkeypatch.undo()
    again = run_invoices(session, w.through, batch_size=batch_size)
    assert not again.failed
    assert [(i.payer, i.number[-6:]) for i in again.issued] == [(w.council.name, "000002")]
    session.expire_all()
    assert session.scalars(select(BillableItem).where(BillableItem.invoice_id.is_(None))).all() == []
    assert numbers_by_provider(session) == {hilltop: [1, 2], other: [1, 2]}


@pytest.mark.parametrize("batch_size", [1, 2, 3, 200])
def test_batches_number_each_providers_invoices_gap_free_in_group_order(session, four_groups, batch_size):
    """Whatever the batch size (here batches split a provider's groups, or hold every group),
    each provider's invoices are numbered 1, 2, … in the run's group order, and nothing repeats."""
    w = four_groups
    summary = run_invoices(session, w.through, batch_size=batch_size)
    prefix = {
        o.id: operations.number_prefix(o.slug) for o in (w.provider_org, w.other_org)
    }  # one counter per provider
    payers = [w.council.id, w.icb.id]
    expected = [
        f"{prefix[provider]}-{n:06d}"
        for provider in (w.provider_org.id, w.other_org.id)
        for n, _ in enumerate(payers, start=1)
    ]
    assert [i.number for i in summary.issued] == expected
    session.expire_all()
    stored = session.execute(select(Invoice.issuer_id, Invoice.payer_org_id, Invoice.number)).all()
    assert sorted(number for *_, number in stored) == sorted(expected)
    for issuer_id, payer_org_id, number in stored:  # council before ICB at each provider
        assert number == f"{prefix[issuer_id]}-{payers.index(payer_org_id) + 1:06d}"
    assert last_numbers(session) == {w.provider_org.id: 2, w.other_org.id: 2}
    assert run_invoices(session, w.through, batch_size=batch_size).issued == []  # nothing left


def snapshot(session) -> list[tuple]:
    """Every invoice and its lines as stored, without ids and timestamps."""
    skip = {"id", "invoice_id", "created_at", "issued_at"}
    rows = []
    for invoice in session.scalars(select(Invoice).order_by(Invoice.number)):
        head = {c.key: getattr(invoice, c.key) for c in Invoice.__table__.columns if c.key not in skip}
        body = [
            {c.key: getattr(line, c.key) for c in line.__table__.columns if c.key not in skip}
            for line in invoice.lines
        ]
        rows.append((head, body))
    return rows


def test_a_batch_issues_what_one_invoice_at_a_time_would(session, four_groups):
    """The same groups issued through `batch.issue_groups` and through `operations.invoice_group`
    (draft, then issue) give the same invoices, lines, numbers, totals and receivables."""
    w = four_groups
    operations.record_billable_items(session, w.through)
    groups = operations.unbilled_groups(session, w.through)
    one_by_one = session.begin_nested()
    for key in groups:
        operations.invoice_group(session, key, w.through)
    session.flush()
    expected = snapshot(session)
    owed = {i.number: i.amount_due for i in session.scalars(select(Invoice))}
    one_by_one.rollback()
    session.expire_all()
    assert session.scalars(select(Invoice)).all() == []

    issued = batch.issue_groups(session, groups, w.through)
    session.flush()
    session.expire_all()
    assert snapshot(session) == expected
    assert sorted(i.number for i in issued.values()) == sorted(owed)
    assert {i.number: i.total for i in issued.values()} == owed
