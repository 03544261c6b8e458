"""Credit notes: never more than is creditable (per line, per invoice), their own gap-free numbers,
care credited goes back to the stream it was paid from, and a full credit leaves the invoice
`credited`. (The ledger reconciles after every test: tests/conftest.py.)"""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from marketplace import ledger
from marketplace.budgets.balances import statement, stream_balance
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.invoicing import books, operations
from marketplace.invoicing.credit_notes import REFUND_CODE, creditable_amount, issue_credit_note, line_credits
from marketplace.invoicing.models import (
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    InvoiceStatus,
    VatCategory,
)
from marketplace.invoicing.runs import run_invoices
from marketplace.ledger.models import Transfer

ISSUED_ON = date(2026, 12, 5)
LATER = date(2026, 12, 20)


def council_invoice(session, world, nights=(2,)) -> Invoice:
    """The council's invoice for deliveries of `nights` (one line each, in order), issued on 5 December."""
    last = None
    for offset, units in enumerate(nights):
        last = world.delivered(units=units, days_ahead=10 + 3 * offset)
    run_invoices(session, world.service_date(last), issue_date=ISSUED_ON)
    return session.scalars(select(Invoice).where(Invoice.payer_org_id == world.council.id)).one()


def credit(session, world, invoice, **kwargs) -> CreditNote:
    kwargs.setdefault("reason", "The second night was not delivered")
    kwargs.setdefault("issue_date", LATER)
    return issue_credit_note(session, invoice, actor=world.provider, **kwargs)


def pay(session, invoice, amount):
    """A payment as the payments slice records one: receivable -> cash received, and amount_paid."""
    ledger.transfer(
        session,
        books.receivable_account(session, invoice),
        books.cash_account(session, invoice.issuer_id),
        amount,
        "payment",
        reference=("invoice", invoice.id),
        effective_date=LATER,
    )
    invoice.amount_paid += amount
    invoice.status = InvoiceStatus.PAID if invoice.amount_due == 0 else InvoiceStatus.PART_PAID
    session.flush()


def council_stream(world):
    return next(s for s in world.budget.streams if s.funder_id == world.council.id)


def written(session):
    return (
        session.scalar(select(func.count(CreditNote.id))),
        session.scalar(select(func.count(CreditNoteLine.id))),
        session.scalar(select(func.count(Transfer.id)).where(Transfer.reference_type == "credit_note")),
    )


def test_crediting_a_whole_invoice_gives_the_care_back_to_the_stream(session, world):
    invoice = council_invoice(session, world)
    stream = council_stream(world)
    before = stream_balance(session, stream)
    note = credit(session, world, invoice, lines=[{"line": 1}])
    assert note.number == "HIL-CN-000001" and note.total == 39333
    assert (note.issuer_id, note.payer_org_id, note.invoice_id) == (
        invoice.issuer_id,
        world.council.id,
        invoice.id,
    )
    [line] = note.lines
    assert (line.amount, line.quantity, line.unit, line.unit_price) == (39333, 2, "night", 29500)
    assert line.vat_category is VatCategory.EXEMPT and line.service_start == invoice.lines[0].service_start
    assert invoice.status is InvoiceStatus.CREDITED
    assert (invoice.amount_credited, invoice.amount_due) == (39333, 0)
    after = stream_balance(session, stream)
    assert after.available - before.available == 39333  # the budget's available goes back up
    assert before.spent - after.spent == 39333
    owed = books.receivable_account(session, invoice)
    assert ledger.balance(owed).posted == 0  # the council owes nothing now
    [returned] = [line for line in statement(session, world.budget, stream) if line.code == REFUND_CODE]
    assert returned.money_in == 39333 and returned.description.startswith(
        "Returned by the provider's credit note"
    )
    refund = session.scalars(select(Transfer).where(Transfer.code == REFUND_CODE)).one()
    assert refund.idempotency_key == f"credit_note_line:{line.id}:refund"
    assert refund.effective_date == LATER and refund.reference_id == str(note.id)


def test_an_amount_is_spread_over_the_lines_in_order(session, world):
    invoice = council_invoice(session, world, nights=(1, 2))
    assert [line.amount for line in invoice.lines] == [19667, 39333]
    stream = council_stream(world)
    before = stream_balance(session, stream).available
    note = credit(session, world, invoice, amount=25000)
    assert [(cl.invoice_line.position, cl.amount) for cl in note.lines] == [(1, 19667), (2, 5333)]
    assert stream_balance(session, stream).available - before == 25000  # exactly what was credited
    assert invoice.status is InvoiceStatus.ISSUED and invoice.amount_due == 59000 - 25000


def test_chosen_amounts_per_line_then_a_second_note_takes_only_what_is_left(session, world):
    invoice = council_invoice(session, world, nights=(1, 2))
    first = credit(session, world, invoice, lines=[{"line": 2, "amount": 10000}, {"line": 1, "amount": 667}])
    assert [(cl.position, cl.invoice_line.position, cl.amount) for cl in first.lines] == [
        (1, 1, 667),
        (2, 2, 10000),
    ]
    assert [c.creditable for c in line_credits(session, invoice)] == [19000, 29333]
    assert creditable_amount(session, invoice) == 48333
    session.commit()  # what a request would have committed; the refusal below rolls back to here

    with pytest.raises(Conflict) as refused:
        credit(session, world, invoice, lines=[{"line": 2, "amount": 29334}])
    assert refused.value.status == 409
    assert "HIL-000001" in refused.value.message and "£293.33" in refused.value.message
    assert refused.value.fields == {
        "lines.0.amount": ["Line 2 of invoice HIL-000001 has £293.33 left to credit"]
    }
    session.rollback()

    second = credit(session, world, invoice, lines=[{"line": 1}, {"line": 2}])  # whole lines: what is left
    assert second.number == "HIL-CN-000002"  # the refusal took no number
    assert [cl.amount for cl in second.lines] == [19000, 29333]
    assert invoice.status is InvoiceStatus.CREDITED and invoice.amount_credited == invoice.total
    assert creditable_amount(session, invoice) == 0
    with pytest.raises(Conflict, match="credited: nothing is left to credit"):
        credit(session, world, invoice, amount=1)


def test_more_than_the_invoice_is_refused_and_nothing_is_written(session, world):
    invoice = council_invoice(session, world)
    session.commit()
    before = written(session)
    with pytest.raises(Conflict) as refused:
        credit(session, world, invoice, amount=39334)
    assert "Invoice HIL-000001 has £393.33 creditable" in refused.value.message
    assert refused.value.fields == {"amount": ["At most £393.33 can be credited"]}
    session.rollback()
    assert written(session) == before
    assert session.get(Invoice, invoice.id).amount_credited == 0
    counter = session.scalars(select(InvoiceCounter)).one()
    assert counter.last_credit_number == 0


def test_a_paid_invoice_is_credited_only_after_its_payment_is_reversed(session, world):
    invoice = council_invoice(session, world)
    pay(session, invoice, 39333)
    with pytest.raises(Conflict) as refused:
        credit(session, world, invoice, amount=100)
    assert "paid in full" in refused.value.message and "Reverse its payment first" in refused.value.message
    assert refused.value.code == "not_creditable"


def test_a_part_paid_invoice_can_be_credited_up_to_what_is_still_due(session, world):
    invoice = council_invoice(session, world)
    pay(session, invoice, 30000)
    session.commit()
    with pytest.raises(Conflict) as refused:
        credit(session, world, invoice, lines=[{"line": 1}])  # the whole line is more than is due
    message = refused.value.message
    assert "Invoice HIL-000001 has £93.33 creditable" in message and "£300.00 of it is paid" in message
    assert "reversed before" in message
    session.rollback()
    note = credit(session, world, invoice, amount=9333)
    assert note.total == 9333 and invoice.amount_due == 0
    assert invoice.status is InvoiceStatus.PAID  # settled: part paid, the rest credited


@pytest.mark.parametrize(
    ("kwargs", "fields"),
    [
        (dict(reason="  ", amount=100), {"reason"}),
        (dict(reason="x" * 501, amount=100), {"reason"}),
        (dict(), {"lines"}),
        (dict(amount=100, lines=[{"line": 1}]), {"amount"}),
        (dict(amount=0), {"amount"}),
        (dict(amount=-5), {"amount"}),
        (dict(lines=[]), {"lines"}),
        (dict(lines=[{"line": 9}]), {"lines.0.line"}),
        (dict(lines=[{"line": 1}, {"line": 1}]), {"lines.1.line"}),
        (dict(lines=[{"line": 1, "amount": 0}]), {"lines.0.amount"}),
        (dict(amount=100, issue_date=ISSUED_ON - timedelta(days=1)), {"issue_date"}),
    ],
)
def test_bad_input_is_refused_naming_the_field(session, world, kwargs, fields):
    invoice = council_invoice(session, world)
    session.commit()
    kwargs.setdefault("reason", "Not delivered")
    kwargs.setdefault("issue_date", LATER)
    with pytest.raises(ValidationFailed) as refused:
        issue_credit_note(session, invoice, actor=world.provider, **kwargs)
    assert set(refused.value.fields) == fields and refused.value.status == 422
    session.rollback()
    assert written(session) == (0, 0, 0)


def test_a_draft_cannot_be_credited(session, world):
    booking = world.delivered(units=1)
    through = world.service_date(booking)
    operations.record_billable_items(session, through)
    key = operations.unbilled_groups(session, through)[0]
    draft = operations.draft_invoice(session, operations.unbilled_items(session, key, through))
    with pytest.raises(Conflict, match="draft"):
        credit(session, world, draft, amount=100)


def test_numbers_are_per_provider_and_apart_from_invoice_numbers(session, world, make):
    invoice = council_invoice(session, world, nights=(1, 1, 1))
    numbers = [credit(session, world, invoice, amount=1000).number for _ in range(3)]
    assert numbers == ["HIL-CN-000001", "HIL-CN-000002", "HIL-CN-000003"]
    assert session.scalars(select(InvoiceCounter)).one().last_number == 2  # the two invoices
    _, other_offer = world.other_provider()
    booking = world.delivered(units=1, days_ahead=30, offer=other_offer)
    run_invoices(session, world.service_date(booking), issue_date=ISSUED_ON)
    theirs = session.scalars(
        select(Invoice).where(
            Invoice.issuer_id == other_offer.provider.organisation_id,
            Invoice.payer_org_id == world.council.id,
        )
    ).one()
    other = issue_credit_note(session, theirs, reason="Wrong night", amount=500, actor=None, issue_date=LATER)
    prefix = operations.number_prefix(theirs.issuer.slug)
    assert prefix != "HIL" and (theirs.number, other.number) == (f"{prefix}-000001", f"{prefix}-CN-000001")


def test_a_failed_issue_gives_its_number_back(session, world, monkeypatch):
    """An exception after the number was taken (here, in the ledger posting) rolls the whole note
    back with it: the next credit note takes the same number, so there is no gap."""
    invoice = council_invoice(session, world)
    credit(session, world, invoice, amount=100)
    from marketplace.invoicing import credit_notes

    def broken(*args, **kwargs):
        raise RuntimeError("the ledger is down")

    savepoint = session.begin_nested()
    monkeypatch.setattr(credit_notes, "_post", broken)
    with pytest.raises(RuntimeError):
        credit(session, world, invoice, amount=100)
    savepoint.rollback()
    monkeypatch.undo()
    session.expire_all()
    assert session.scalars(select(InvoiceCounter)).one().last_credit_number == 1
    assert credit(session, world, invoice, amount=100).number == "HIL-CN-000002"
    assert written(session)[0] == 2


def test_a_line_with_no_ledger_transfer_only_reduces_what_the_payer_owes(session, world):
    """A line that no stream paid (ISF funding, a hand-made line): the credit note moves only the
    payer's receivable; no refund transfer."""
    invoice = Invoice(
        issuer_id=world.provider_org.id,
        payer_org_id=world.council.id,
        po_number="PO-ISF-1",
        payment_terms_days=30,
        status=InvoiceStatus.DRAFT,
    )
    session.add(invoice)
    session.flush()
    invoice.lines.append(
        InvoiceLine(
            position=1,
            description="ISF funding, quarter 1",
            service_start=ISSUED_ON,
            service_end=ISSUED_ON + timedelta(days=90),
            child_reference="A-000001",
            quantity=1,
            unit="quarter",
            unit_price=455000,
            amount=455000,
        )
    )
    invoice.net_total = invoice.total = 455000
    operations.issue_invoice(session, invoice, ISSUED_ON)
    note = credit(session, world, invoice, amount=5000)
    assert note.total == 5000
    assert session.scalar(select(func.count(Transfer.id)).where(Transfer.code == REFUND_CODE)) == 0
    assert ledger.balance(books.receivable_account(session, invoice)).posted == 450000


def test_standard_rated_lines_credit_their_vat_and_a_full_credit_matches_the_total(session, world):
    invoice = Invoice(
        issuer_id=world.provider_org.id,
        payer_org_id=world.council.id,
        po_number="PO-VAT",
        payment_terms_days=30,
        status=InvoiceStatus.DRAFT,
    )
    session.add(invoice)
    session.flush()
    for position, amount in ((1, 1003), (2, 1003)):
        invoice.lines.append(
            InvoiceLine(
                position=position, description="Transport", service_start=ISSUED_ON, service_end=ISSUED_ON,
                child_reference="B-000001", quantity=1, unit="trip", unit_price=amount,
                vat_category=VatCategory.STANDARD, vat_rate_bp=2000, amount=amount,
            )
        )  # fmt: skip
    operations._total(invoice)
    assert (invoice.net_total, invoice.vat_total, invoice.total) == (2006, 401, 2407)
    operations.issue_invoice(session, invoice, ISSUED_ON)
    first = credit(session, world, invoice, lines=[{"line": 1}])
    assert (first.net_total, first.vat_total, first.total) == (1003, 201, 1204)  # 200.6 rounds up
    second = credit(session, world, invoice, lines=[{"line": 2}])
    assert (second.net_total, second.vat_total) == (1003, 200)  # what VAT is left: the sum is exact
    assert invoice.status is InvoiceStatus.CREDITED and invoice.amount_credited == 2407


def test_a_credit_note_never_changes(session, world):
    invoice = council_invoice(session, world)
    note = credit(session, world, invoice, amount=100)
    session.commit()
    for change in (
        lambda: setattr(note, "total", 1),
        lambda: setattr(note, "reason", "Something else"),
        lambda: setattr(note.lines[0], "amount", 1),
        lambda: session.delete(note.lines[0]),
    ):
        change()
        with pytest.raises(Conflict, match="never"):
            session.flush()
        session.rollback()
        session.expire_all()
    assert session.get(CreditNote, note.id).total == 100
