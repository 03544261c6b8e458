"""Remittance advice import (issue #15): reading the CSV tolerantly, checking each line (matched,
or not recorded and why), recording the matched lines as payments in one go, example D's
remittance (recorded once, then "already recorded"), and a preview gone stale refused whole."""

from datetime import date

import pytest
from sqlalchemy import func, select

from marketplace.core.errors import Conflict
from marketplace.invoicing.models import InvoiceStatus, Payment, PaymentAllocation
from marketplace.invoicing.models.remittances import LineOutcome, RemittanceImport
from marketplace.invoicing.remittance_csv import BadFile, read_remittance
from marketplace.invoicing.remittances import (
    Reason,
    RemittanceChanged,
    import_remittance,
    payers_named,
    preview_remittance,
)
from tests.invoicing.test_family_payer import direct_payment, family_invoice  # noqa: F401
from tests.invoicing.test_payments import council_invoice, on, pay

FEB_10 = date(2027, 2, 10)


def csv_bytes(*rows: str, header="Invoice number,Amount,Payment reference,Date") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def count(session, model=Payment) -> int:
    return session.scalar(select(func.count(model.id)))


def confirm(session, world, lines, payer=None):
    payer = payer or world.council
    preview = preview_remittance(session, world.provider_org, payer, lines)
    return import_remittance(
        session, provider=world.provider_org, payer=payer, lines=lines, fingerprint=preview.fingerprint,
        filename="remittance.csv", actor=world.provider,
    )  # fmt: skip


# ---- reading the file ------------------------------------------------------------------------


def test_reads_synonyms_bom_pound_signs_thousands_uk_and_iso_dates_and_blank_lines():
    data = "\ufeff".encode() + csv_bytes(
        'HIL-000001,"£1,234.56",BWC-1,05/12/2026',
        "",
        "HIL-000002,393.3,BWC-2,5/12/26",
        ",,,",
        "HIL-000003,£ 12,BWC-3,5 December 2026",
        "HIL-000004,GBP 7.05,BWC-4,2026-12-05",
        "HIL-000005,1000,BWC-5,5 Dec 2026 00:00",
        header=" Our Ref ,AMOUNT PAID,Remittance ref,Paid on,Notes",
    )
    lines = read_remittance(data)
    assert [line.row for line in lines] == [2, 4, 6, 7, 8]  # rows as a spreadsheet numbers them
    assert [line.invoice_number for line in lines] == [f"HIL-00000{i}" for i in range(1, 6)]
    assert [line.amount for line in lines] == [123_456, 39_330, 1_200, 705, 100_000]
    assert {line.paid_on for line in lines} == {date(2026, 12, 5)}
    assert [line.reference for line in lines] == ["BWC-1", "BWC-2", "BWC-3", "BWC-4", "BWC-5"]
    assert all(line.problems == {} for line in lines)


def test_reads_excel_windows_1252_and_semicolons():
    data = "Invoice no;Amount;Reference;Payment date\r\nHIL-000001;£393.33;BWC 9;03/02/2027\r\n".encode(
        "cp1252"
    )
    [line] = read_remittance(data)
    assert (line.invoice_number, line.amount, line.reference, line.paid_on) == (
        "HIL-000001", 39_333, "BWC 9", date(2027, 2, 3),
    )  # fmt: skip


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "The file is empty: choose the remittance advice CSV file"),
        (b"\n\n", "The file is empty: choose the remittance advice CSV file"),
        (csv_bytes(), "The file has a header row but no lines under it"),
        (
            csv_bytes("HIL-1,1,R,1/1/2027", header="Invoice number,Amount,Date"),
            'Row 1: no column for the payment reference. Name it one of: "Payment reference", '
            '"Payment ref", "Reference", "Ref"',
        ),
        (
            csv_bytes("HIL-1,1,2,R,1/1/2027", header="Invoice,Amount,Amount paid,Reference,Date"),
            "Row 1: columns 2 (Amount) and 3 (Amount paid) are both the amount: keep one",
        ),
    ],
)
def test_a_file_that_is_not_a_remittance_is_refused_naming_row_and_column(data, message):
    with pytest.raises(BadFile) as refused:
        read_remittance(data)
    assert message in refused.value.messages


def test_header_after_blank_lines_is_row_3():
    with pytest.raises(BadFile) as refused:
        read_remittance(b"\n\nInvoice,Amount,Reference\nHIL-1,1,R\n")
    assert refused.value.messages == [
        'Row 3: no column for the date. Name it one of: "Date", "Payment date", "Paid on", "Date paid"'
    ]


def test_a_line_with_an_unreadable_amount_or_date_names_its_column():
    [bad, negative, zero, missing] = read_remittance(
        csv_bytes("HIL-1,12.345,R1,31/02/2027", "HIL-2,-5.00,R2,1/1/2027", "HIL-3,0.00,R3,1/1/2027", ",5,,")
    )
    assert bad.problems == {
        "Amount": "12.345 is not an amount in pounds and pence, like 393.33",
        "Date": "31/02/2027 is not a date, like 05/12/2026 or 5 December 2026",
    }
    assert negative.problems == {"Amount": "-5.00 is not an amount received (it is negative)"}
    assert zero.problems == {"Amount": "The amount is £0.00"}
    assert missing.problems == {
        "Invoice number": "No invoice number",
        "Payment reference": "No payment reference",
        "Date": "nothing is not a date, like 05/12/2026 or 5 December 2026",
    }


# ---- example D's remittance --------------------------------------------------------------------


def test_example_d_remittance_records_the_invoice_reports_the_unknown_number_and_twice_records_nothing(
    session, world
):
    invoice = council_invoice(session, world)  # HIL-000001, £393.33, due 4 January 2027
    lines = read_remittance(
        csv_bytes("HIL-000001,£393.33,BWC-REM-0210,10/02/2027", "HIL-999999,£50.00,BWC-REM-0210,10/02/2027")
    )
    with on(FEB_10):
        assert list(payers_named(session, world.provider_org, lines)) == [world.council]
        preview = preview_remittance(session, world.provider_org, world.council, lines)
        assert [(c.line.row, c.invoice.number, c.due) for c in preview.matched] == [(2, "HIL-000001", 39_333)]
        [unknown] = preview.not_recorded
        assert (unknown.reason, unknown.message) == (
            Reason.UNKNOWN_INVOICE, "Invoice number HIL-999999 is not one of your invoices",
        )  # fmt: skip
        assert (preview.matched_total, preview.not_recorded_total) == (39_333, 5_000)
        assert count(session) == 0  # the preview wrote nothing

        kept = import_remittance(
            session, provider=world.provider_org, payer=world.council, lines=lines,
            fingerprint=preview.fingerprint, filename="bwc.csv", actor=world.provider,
        )  # fmt: skip
        [payment] = session.scalars(select(Payment)).all()
        assert (payment.amount, payment.received_on, payment.reference) == (39_333, FEB_10, "BWC-REM-0210")
        assert (invoice.status, invoice.amount_due) == (InvoiceStatus.PAID, 0)
        assert [(line.row, line.outcome, line.reason) for line in kept.lines] == [
            (2, LineOutcome.RECORDED, None),
            (3, LineOutcome.NOT_RECORDED, "Invoice number HIL-999999 is not one of your invoices"),
        ]

        again = preview_remittance(session, world.provider_org, world.council, lines)
        assert again.matched == []
        assert [(c.reason, c.message) for c in again.not_recorded] == [
            (Reason.ALREADY_RECORDED, "Already recorded (reference BWC-REM-0210)"),
            (Reason.UNKNOWN_INVOICE, "Invoice number HIL-999999 is not one of your invoices"),
        ]
        with pytest.raises(Conflict) as refused:
            import_remittance(
                session, provider=world.provider_org, payer=world.council, lines=lines,
                fingerprint=again.fingerprint, filename="bwc.csv", actor=world.provider,
            )  # fmt: skip
        assert refused.value.code == "nothing_to_record"
    assert count(session) == 1 and count(session, RemittanceImport) == 1


# ---- several invoices, one payer ---------------------------------------------------------------


def test_several_invoices_of_one_payer_one_payment_per_reference(session, world):
    first = council_invoice(session, world, units=1, days_ahead=10)
    second = council_invoice(session, world, units=1, days_ahead=11)
    third = council_invoice(session, world, units=1, days_ahead=12)
    lines = read_remittance(
        csv_bytes(
            f"{first.number},{first.total / 100:.2f},BACS-1,3/2/2027",
            f"{second.number},100.00,BACS-1,3/2/2027",
            f"{third.number},{third.total / 100:.2f},BACS-2,4/2/2027",
        )
    )
    with on(FEB_10):
        kept = confirm(session, world, lines)
    payments = session.scalars(select(Payment).order_by(Payment.reference)).all()
    assert [(p.reference, p.amount, p.received_on) for p in payments] == [
        ("BACS-1", first.total + 10_000, date(2027, 2, 3)),
        ("BACS-2", third.total, date(2027, 2, 4)),
    ]
    assert sorted((a.invoice.number, a.amount) for a in payments[0].allocations) == [
        (first.number, first.total), (second.number, 10_000),
    ]  # fmt: skip
    assert (first.status, second.status, third.status) == (
        InvoiceStatus.PAID, InvoiceStatus.PART_PAID, InvoiceStatus.PAID,
    )  # fmt: skip
    assert second.amount_due == second.total - 10_000
    assert len(kept.recorded) == 3 and count(session, PaymentAllocation) == 3


def test_each_reason_a_line_is_not_recorded(session, world):
    invoice = council_invoice(session, world, units=2, days_ahead=10)  # £393.33
    paid = council_invoice(session, world, units=1, days_ahead=11)
    icb = session.scalar(select(type(invoice)).where(type(invoice).payer_org_id == world.icb.id).limit(1))
    with on(FEB_10):
        pay(session, world, paid.total, date(2027, 2, 1), "EARLIER", [(paid, paid.total)])
        lines = read_remittance(
            csv_bytes(
                f"{invoice.number},200.00,R1,3/2/2027",
                f"{invoice.number},200.00,R2,3/2/2027",  # £193.33 is left after the line above
                f"{invoice.number},100.00,R1,3/2/2027",  # the same invoice twice in one payment
                f"{paid.number},1.00,R3,3/2/2027",
                f"{icb.number},1.00,R4,3/2/2027",
                f"{invoice.number},1.00,EARLIER,1/2/2027",  # another payment's reference
                f"{invoice.number},1.00,R5,11/2/2027",
                f"{invoice.number},abc,R6,3/2/2027",
                f"{invoice.number},1.00,R1,4/2/2027",  # R1 was dated 3 February above
            )
        )
        preview = preview_remittance(session, world.provider_org, world.council, lines)
    assert [c.line.row for c in preview.matched] == [2]
    assert [(c.line.row, c.reason, c.message) for c in preview.not_recorded] == [
        (3, Reason.MORE_THAN_DUE, f"£200.00 is more than the £193.33 due on {invoice.number}"),
        (4, Reason.NAMED_TWICE, f"Invoice {invoice.number} is named twice under reference R1"),
        (5, Reason.ALREADY_PAID, f"Invoice {paid.number} is already paid: nothing is due"),
        (6, Reason.OTHER_PAYER, f"Invoice {icb.number} is to NHS Brightwater ICB, not Brightwater Council"),
        (7, Reason.REFERENCE_USED, f"Reference EARLIER was already used for {_money(paid.total)} received "
         "on 1 February 2027; a reference is used once per payer"),
        (8, Reason.WRONG_DATE, "Date: 11 February 2027 is in the future"),
        (9, Reason.BAD_LINE, "Amount: abc is not an amount in pounds and pence, like 393.33"),
        (10, Reason.WRONG_DATE, "Date: reference R1 is dated 3 February 2027 on row 2; one reference is one "
         "payment, on one day"),
    ]  # fmt: skip
    totals = {g.reason: (g.lines, g.total) for g in preview.groups}
    assert totals[Reason.BAD_LINE] == (1, 0)  # row 9: no amount could be read
    assert totals[Reason.WRONG_DATE] == (2, 100 + 100)  # rows 8 and 10
    assert totals[Reason.NAMED_TWICE] == (1, 10_000)  # row 4
    assert totals[Reason.MORE_THAN_DUE] == (1, 20_000)


def _money(pence: int) -> str:
    from marketplace.core.money import format_pence

    return format_pence(pence)


def test_the_payer_is_inferred_only_when_every_invoice_is_to_one_payer(session, world):
    council = council_invoice(session, world)
    icb = session.scalar(select(type(council)).where(type(council).payer_org_id == world.icb.id))
    mixed = read_remittance(
        csv_bytes(f"{council.number},1,R,1/2/2027", f"{icb.number},1,R,1/2/2027", "X-1,1,R,1/2/2027")
    )
    named = payers_named(session, world.provider_org, mixed)
    assert {payer.name: rows for payer, rows in named.items()} == {
        "Brightwater Council": [2], "NHS Brightwater ICB": [3],
    }  # fmt: skip


# ---- the preview must still hold when confirmed ------------------------------------------------


def test_a_payment_recorded_after_the_preview_is_refused_whole_with_the_new_preview(session, world):
    first = council_invoice(session, world, units=1, days_ahead=10)
    second = council_invoice(session, world, units=1, days_ahead=11)
    lines = read_remittance(
        csv_bytes(
            f"{first.number},10.00,BACS-7,3/2/2027",
            f"{second.number},{second.total / 100:.2f},BACS-7,3/2/2027",
        )
    )
    with on(FEB_10):
        preview = preview_remittance(session, world.provider_org, world.council, lines)
        assert len(preview.matched) == 2
        pay(session, world, 500, date(2027, 2, 5), "MEANWHILE", [(second, 500)])  # someone else paid
        with pytest.raises(RemittanceChanged) as changed:
            import_remittance(
                session, provider=world.provider_org, payer=world.council, lines=lines,
                fingerprint=preview.fingerprint, filename="r.csv", actor=world.provider,
            )  # fmt: skip
    new = changed.value.preview
    assert [c.line.row for c in new.matched] == [2]
    assert [c.reason for c in new.not_recorded] == [Reason.MORE_THAN_DUE]
    assert new.fingerprint != preview.fingerprint
    assert count(session) == 1 and count(session, RemittanceImport) == 0  # only the one paid meanwhile


def test_a_familys_remittance_and_invoice_numbers_in_any_capitals(session, world, family_invoice):  # noqa: F811
    """A family paying its own invoice (a direct payment): inferred as the payer from the number."""
    lines = read_remittance(csv_bytes(f"{family_invoice.number.lower()} ,£590.00,FAM-1,1 February 2027"))
    with on(FEB_10):
        assert list(payers_named(session, world.provider_org, lines)) == [world.family]
        kept = confirm(session, world, lines, payer=world.family)
    [payment] = session.scalars(select(Payment)).all()
    assert (payment.payer_family_id, payment.amount, payment.reference) == (world.family.id, 59_000, "FAM-1")
    assert family_invoice.status is InvoiceStatus.PAID
    assert [line.invoice_id for line in kept.recorded] == [family_invoice.id]
