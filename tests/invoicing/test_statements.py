"""Statements of account read from the ledger: opening + each movement = closing, which is what
the receivable account says; the period's ends are inclusive; each line named for people."""

from datetime import date, timedelta

import pytest

from marketplace import ledger
from marketplace.invoicing import books, statements
from marketplace.invoicing.statements import Statement
from tests.invoicing.issued import ISSUED_ON, credit, example_b, receive, reverse, to_family

DEC_20, JAN_10, JAN_20, FEB_3 = date(2026, 12, 20), date(2027, 1, 10), date(2027, 1, 20), date(2027, 2, 3)


@pytest.fixture
def council_books(session, world):
    """Example B's council invoice (£393.33, 5 December), a second one (£295.00 for a night,
    20 December), a £50.00 credit note on 10 January, a £200.00 payment on 20 January that is
    reversed on 3 February, and £100.00 paid on 3 February."""
    first, _ = example_b(session, world)
    second, _ = example_b(session, world, issue_date=DEC_20, units=1, days_ahead=13)
    credit(session, first, 5000, JAN_10)
    reverse(session, receive(session, first, 20000, JAN_20, "BACS-11"), FEB_3)
    receive(session, second, 10000, FEB_3, "BACS-12")
    return first, second


def _statement(session, world, start, end) -> Statement:
    return statements.statement(session, world.provider_org, world.council, start, end)


def _arithmetic_holds(stmt: Statement) -> None:
    running = stmt.opening
    for line in stmt.lines:
        running += line.amount
        assert line.balance == running
    assert stmt.closing == stmt.opening + sum(line.amount for line in stmt.lines)
    assert stmt.closing == stmt.opening + stmt.charges - stmt.reductions


def test_the_statement_lists_every_movement_with_the_running_balance(session, world, council_books):
    first, second = council_books
    stmt = _statement(session, world, date(2026, 12, 1), date(2027, 2, 28))

    assert stmt.opening == 0
    assert [(line.day, line.kind, line.reference, line.amount, line.balance) for line in stmt.lines] == [
        (ISSUED_ON, "invoice", first.number, 39333, 39333),
        (DEC_20, "invoice", second.number, 19667, 59000),  # £295.00 split 2:1, largest remainder
        (JAN_10, "credit_note", first.credit_notes[0].number, -5000, 54000),
        (JAN_20, "payment", f"BACS-11, invoice {first.number}", -20000, 34000),
        (FEB_3, "payment_reversal", f"BACS-11, invoice {first.number}", 20000, 54000),
        (FEB_3, "payment", f"BACS-12, invoice {second.number}", -10000, 44000),
    ]
    assert stmt.closing == 44000
    _arithmetic_holds(stmt)
    # the closing balance is what the receivable account says the council owes, and the invoices agree
    account = books.receivable_account(session, first)
    assert stmt.closing == account.posted == first.amount_due + second.amount_due
    assert [line.label for line in stmt.lines][2:5] == ["Credit note", "Payment received", "Payment reversed"]
    assert stmt.lines[0].invoice_id == first.id and stmt.lines[2].invoice_id is None


@pytest.mark.parametrize(
    ("start", "end", "opening", "kinds", "closing"),
    [
        # a movement dated the first day is in the period, one the day before is in the opening balance
        (JAN_10, FEB_3, 59000, ["credit_note", "payment", "payment_reversal", "payment"], 44000),
        (JAN_10 + timedelta(days=1), FEB_3, 54000, ["payment", "payment_reversal", "payment"], 44000),
        # a movement dated the last day is in it, one the day after is not (nor in the closing balance)
        (ISSUED_ON, JAN_20, 0, ["invoice", "invoice", "credit_note", "payment"], 34000),
        (ISSUED_ON, JAN_20 - timedelta(days=1), 0, ["invoice", "invoice", "credit_note"], 54000),
        # a period of one day, and one in which nothing happened
        (FEB_3, FEB_3, 34000, ["payment_reversal", "payment"], 44000),
        (date(2027, 1, 11), date(2027, 1, 19), 54000, [], 54000),
        (date(2026, 4, 1), date(2026, 11, 30), 0, [], 0),
    ],
)
def test_the_period_ends_are_inclusive(session, world, council_books, start, end, opening, kinds, closing):
    stmt = _statement(session, world, start, end)
    assert (stmt.opening, [line.kind for line in stmt.lines], stmt.closing) == (opening, kinds, closing)
    _arithmetic_holds(stmt)
    account = books.receivable_account(session, council_books[0])
    assert stmt.opening == ledger.balance_as_of(session, account, start - timedelta(days=1))


def test_each_payer_has_its_own_statement(session, world, council_books):
    """The ICB's statement with Hilltop holds only the ICB's invoices."""
    icb = statements.statement(session, world.provider_org, world.icb, date(2026, 12, 1), date(2027, 2, 28))
    assert [(line.kind, line.amount) for line in icb.lines] == [("invoice", 19667), ("invoice", 9833)]
    assert icb.closing == 29500
    pairs = statements.counterparties(session, provider_ids={world.provider_org.id})
    assert {(p.payer.name, p.owed) for p in pairs} == {
        ("Brightwater Council", 44000),
        ("NHS Brightwater ICB", 29500),
    }
    as_payer = statements.counterparties(session, payer_org_ids={world.council.id})
    assert [(p.provider.name, p.owed) for p in as_payer] == [("Hilltop Children's Hospice", 44000)]


def test_a_payer_never_billed_has_an_empty_statement_and_nothing_is_written(session, world, make):
    other = make.org("commissioner", name="Elsewhere Council")
    stmt = statements.statement(session, world.provider_org, other, date(2026, 4, 1), date(2027, 3, 31))
    assert (stmt.opening, stmt.lines, stmt.closing) == (0, [], 0)
    assert statements.receivable(session, world.provider_org.id, "org", other.id) is None  # no account opened


def test_a_family_has_a_statement_of_its_own(session, world):
    invoice = to_family(session, world.provider_org, world.family, 14750, ISSUED_ON)
    receive(session, invoice, 14750, JAN_10, "CARD-3")
    stmt = statements.statement(session, world.provider_org, world.family, ISSUED_ON, JAN_10)
    assert stmt.payer_kind == "family"
    assert [(line.kind, line.reference, line.amount) for line in stmt.lines] == [
        ("invoice", invoice.number, 14750),
        ("payment", f"CARD-3, invoice {invoice.number}", -14750),
    ]
    assert stmt.closing == 0
    assert [p.provider.id for p in statements.counterparties(session, family_id=world.family.id)] == [
        world.provider_org.id
    ]


def test_new_kinds_of_reference_are_named_through_the_resolver_table(
    session, world, council_books, monkeypatch
):
    """A kind of reference is named by its resolver in REFERENCE_NAMES, which gets the ids of one
    kind at once; an id it does not name reads "no. ID"."""
    asked = []
    note_id = str(council_books[0].credit_notes[0].id)

    def credit_notes(session, ids):
        asked.append(ids)
        return {note_id: "Named by the resolver"}

    monkeypatch.setitem(statements.REFERENCE_NAMES, "credit_note", credit_notes)
    stmt = _statement(session, world, JAN_10, JAN_10)
    assert [line.reference for line in stmt.lines] == ["Named by the resolver"] and asked == [[note_id]]
    monkeypatch.setitem(statements.REFERENCE_NAMES, "credit_note", lambda session, ids: {})
    assert [line.reference for line in _statement(session, world, JAN_10, JAN_10).lines] == [f"no. {note_id}"]
