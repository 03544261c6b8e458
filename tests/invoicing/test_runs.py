"""An invoice run that fails midway leaves whole invoices only, and the next run bills the rest."""

import pytest
from sqlalchemy import func, select

from marketplace.invoicing import lines, operations
from marketplace.invoicing.models import (
    BillableItem,
    BillableKind,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    InvoiceStatus,
)
from marketplace.invoicing.runs import run_invoices


def counts(session):
    return (
        session.scalar(select(func.count(Invoice.id))),
        session.scalar(select(func.count(InvoiceLine.id))),
        session.scalar(select(func.count(BillableItem.id)).where(BillableItem.invoice_id.is_not(None))),
    )


def fail_for_payer(monkeypatch, payer_org_id, error):
    """Drafting the lines of `payer_org_id`'s invoice raises `error` (every other group drafts)."""
    real = lines.LINE_BUILDERS[BillableKind.CARE_DELIVERED]

    def build(session, items):
        if any(item.payer_org_id == payer_org_id for item in items):
            raise error
        return real(session, items)

    monkeypatch.setitem(lines.LINE_BUILDERS, BillableKind.CARE_DELIVERED, build)


def test_an_exception_after_one_invoice_leaves_no_half_made_invoice(session, world, monkeypatch):
    booking = world.delivered(units=2)
    fail_for_payer(monkeypatch, world.icb.id, RuntimeError("the printer caught fire"))  # the second group
    summary = run_invoices(session, world.service_date(booking))
    assert len(summary.issued) == 1 and len(summary.failed) == 1
    session.expire_all()
    assert counts(session) == (1, 1, 1)  # the failed invoice's draft, lines and claims are all gone
    assert session.scalar(select(InvoiceCounter.last_number)) == 1  # and its number was not used
    monkeypatch.undo()
    summary = run_invoices(session, world.service_date(booking))
    assert len(summary.issued) == 1 and not summary.failed
    assert counts(session) == (2, 2, 2)
    numbers = sorted(session.scalars(select(Invoice.number)))
    assert [n[-6:] for n in numbers] == ["000001", "000002"]  # gap-free
    assert {i.status for i in session.scalars(select(Invoice))} == {InvoiceStatus.ISSUED}


@pytest.mark.parametrize(("batch_size", "left"), [(1, (1, 1, 1)), (200, (0, 0, 0))])
def test_a_run_killed_midway_keeps_whole_invoices_and_the_next_run_completes(
    session, world, monkeypatch, batch_size, left
):
    """Killed in the second group: with a batch per group the first invoice is kept; with both in
    one batch, neither is made. Either way nothing is half made, and the next run bills the rest."""
    booking = world.delivered(units=2)
    fail_for_payer(monkeypatch, world.icb.id, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        run_invoices(session, world.service_date(booking), batch_size=batch_size)
    session.expire_all()
    assert counts(session) == left
    assert (session.scalar(select(InvoiceCounter.last_number)) or 0) == left[0]  # no number used
    monkeypatch.undo()
    run_invoices(session, world.service_date(booking))
    assert counts(session) == (2, 2, 2)


def test_an_issued_invoice_is_not_issued_again(session, world):
    booking = world.delivered(units=1)
    run_invoices(session, world.service_date(booking))
    invoice = session.scalars(select(Invoice)).first()
    number = invoice.number
    with pytest.raises(Exception, match="already issued"):
        operations.issue_invoice(session, invoice)
    session.rollback()
    assert session.get(Invoice, invoice.id).number == number


@pytest.mark.parametrize(("slug", "prefix"), [("hilltop-hospice", "HIL"), ("a-b", "ABX"), ("9lives", "9LI")])
def test_number_prefix_comes_from_the_slug(slug, prefix):
    assert operations.number_prefix(slug) == prefix


def test_child_reference_is_initials_and_a_stable_reference(world):
    child = world.family.children[0]
    assert operations.child_reference(child) == f"B-{child.id:06d}"


def test_an_issued_invoice_and_its_lines_never_change(session, world):
    booking = world.delivered(units=1)
    run_invoices(session, world.service_date(booking))
    invoice = session.scalars(select(Invoice)).first()
    for change in (
        lambda: setattr(invoice, "total", invoice.total + 1),
        lambda: setattr(invoice, "po_number", "PO-OTHER"),
        lambda: setattr(invoice.lines[0], "amount", 1),
        lambda: session.delete(invoice.lines[0]),
    ):
        change()
        with pytest.raises(Exception, match="never"):
            session.flush()
        session.rollback()
        session.expire_all()
    assert session.get(Invoice, invoice.id).lines[0].amount == invoice.total
