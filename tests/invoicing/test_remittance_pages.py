"""The remittance import pages: upload, preview (writes nothing), confirm, summary and the
download of the lines not recorded; a bad file gets a GOV.UK error summary naming the row and
column; nothing is half-imported; only the provider's own staff import or see an import."""

import csv
import io
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from marketplace.invoicing import payments as payment_ops
from marketplace.invoicing.models import InvoiceStatus, Payment, PaymentAllocation
from marketplace.invoicing.models.remittances import RemittanceImport, RemittanceImportLine
from marketplace.ledger.models import Transfer
from tests.core.test_accessibility import problems
from tests.invoicing.test_payments import council_invoice, on, pay
from tests.invoicing.test_remittances import csv_bytes

FEB_10 = date(2027, 2, 10)
EXAMPLE_D = csv_bytes(
    "HIL-000001,£393.33,BWC-REM-0210,10/02/2027", 'HIL-999999,"£1,050.00",BWC-REM-0210,10/02/2027'
)


@pytest.fixture
def invoice(session, world):
    return council_invoice(session, world)  # HIL-000001, £393.33 to Brightwater Council


def text(response) -> str:
    return response.get_data(as_text=True)


def count(session, model=Payment) -> int:
    session.expire_all()
    return session.scalar(select(func.count(model.id)))


def upload(client, csrf, data: bytes, payer="", filename="bwc-remittance.csv"):
    return client.post(
        "/payments/remittances/new",
        data={"file": (io.BytesIO(data), filename), "payer": payer, "csrf_token": csrf()},
        content_type="multipart/form-data",
    )


def stash_of(html: str) -> str:
    return re.search(r'name="stash" value="([^"]+)"', html)[1]


def confirm(client, csrf, stash: str):
    return client.post("/payments/remittances/confirm", data={"stash": stash, "csrf_token": csrf()})


def test_example_d_upload_preview_confirm_summary_download_and_again(
    client, session, world, invoice, sign_in, csrf
):
    with on(FEB_10):
        sign_in(world.provider)
        payments_page = text(client.get("/payments"))
        assert 'href="/payments/remittances/new">Import a remittance advice</a>' in payments_page
        form = client.get("/payments/remittances/new")
        assert form.status_code == 200 and problems(text(form)) == []
        assert "Brightwater Council" in text(form) and "Our ref" in text(form)

        preview = upload(client, csrf, EXAMPLE_D)
        html = text(preview)
        assert preview.status_code == 200 and problems(html) == []
        assert count(session) == 0  # the preview wrote nothing
        assert "Check the remittance advice from Brightwater Council" in html
        matched = html.split("Lines that will be recorded", 1)[1].split("</table>", 1)[0]
        for figure in ("HIL-000001", "Brightwater Council", "£393.33", "BWC-REM-0210", "10 February 2027"):
            assert figure in matched, figure
        rejected = html.split("Lines that will not be recorded</caption>", 1)[1].split("</table>", 1)[0]
        assert "HIL-999999" in rejected and "£1,050.00" in rejected
        assert "Invoice number HIL-999999 is not one of your invoices" in rejected
        assert "Invoice number unknown" in html
        assert "1 line, £393.33 as 1 payment" in html and "1 line, £1,050.00" in html
        assert "2027-02-10" not in html and "39333" not in html

        done = confirm(client, csrf, stash_of(html))
        assert done.status_code == 302
        summary = client.get(done.headers["Location"])
        page = text(summary)
        assert summary.status_code == 200 and problems(page) == []
        assert "1 line recorded, £393.33 in all." in page
        assert "Remittance advice from Brightwater Council" in page and "bwc-remittance.csv" in page
        download = client.get(done.headers["Location"] + "/not-recorded.csv")
        assert download.status_code == 200 and download.mimetype == "text/csv"
        assert "not-recorded.csv" in download.headers["Content-Disposition"]
        assert list(csv.reader(io.StringIO(text(download)))) == [
            ["Row", "Invoice number", "Amount", "Payment reference", "Date", "Why it was not recorded"],
            ["3", "HIL-999999", "£1,050.00", "BWC-REM-0210", "10 February 2027",
             "Invoice number HIL-999999 is not one of your invoices"],
        ]  # fmt: skip
        session.refresh(invoice)
        assert (invoice.status, invoice.amount_due) == (InvoiceStatus.PAID, 0)
        assert count(session) == 1

        earlier = text(client.get("/payments/remittances/new"))
        assert "Remittances imported before" in earlier and "bwc-remittance.csv" in earlier
        assert "£393.33 (1)" in earlier and "£1,050.00 (1)" in earlier and problems(earlier) == []

        again = text(upload(client, csrf, EXAMPLE_D))
        assert "Already recorded (reference BWC-REM-0210)" in again
        assert "Nothing in this file can be recorded." in again and 'name="stash"' not in again
        assert "0 lines" not in again and "0 payments" not in again  # "To be recorded: Nothing"
    assert count(session) == 1 and count(session, RemittanceImport) == 1


def test_a_bad_file_gets_an_error_summary_naming_the_row_and_column(
    client, session, world, invoice, sign_in, csrf
):
    sign_in(world.provider)
    response = upload(client, csrf, csv_bytes("HIL-000001,1,2/2/2027", header="Invoice number,Amount,Date"))
    html = text(response)
    assert response.status_code == 422 and problems(html) == []
    assert "There is a problem" in html and 'href="#file"' in html
    assert "Row 1: no column for the payment reference." in html
    empty = upload(client, csrf, b"")
    assert empty.status_code == 422 and "The file is empty" in text(empty)
    missing = client.post(
        "/payments/remittances/new", data={"csrf_token": csrf()}, content_type="multipart/form-data"
    )
    assert missing.status_code == 422 and "Choose the remittance advice CSV file" in text(missing)
    assert count(session) == 0


def test_an_unreadable_line_is_listed_with_its_row_and_column(client, session, world, invoice, sign_in, csrf):
    with on(FEB_10):
        sign_in(world.provider)
        html = text(
            upload(client, csrf, csv_bytes("HIL-000001,£100.00,R1,3/2/2027", "HIL-000001,12.3.4,R2,3/2/2027"))
        )
    assert 'href="#row-3"' in html and "Row 3, Amount: 12.3.4 is not an amount in pounds and pence" in html
    assert 'id="row-3"' in html and "Record 1 line (£100.00)" in html


def test_the_preview_groups_lines_by_what_is_really_wrong_with_them(
    client, session, world, invoice, sign_in, csrf
):
    """A readable line naming an invoice twice, or dated wrongly, is not filed as "cannot be read"."""
    data = csv_bytes(
        "HIL-000001,£100.00,R1,3/2/2027",
        "HIL-000001,£50.00,R1,3/2/2027",  # the same invoice twice in one payment
        "HIL-000001,£1.00,R2,11/2/2027",  # in the future on 10 February
        "HIL-000001,ten pounds,R3,3/2/2027",  # unreadable
    )
    with on(FEB_10):
        sign_in(world.provider)
        html = text(upload(client, csrf, data))
    groups = html.split("by reason", 1)[1].split("</table>", 1)[0]
    rows = [re.sub(r"<[^>]+>|\s+", " ", row).split() for row in groups.split("</tr>")[1:-1]]
    assert [" ".join(row) for row in rows] == [
        "Invoice number, amount, date or reference missing or unreadable 1 £0.00",
        "Date in the future, before the invoice, or unlike the payment&#39;s other lines 1 £1.00",
        "Invoice named twice in one payment 1 £50.00",
    ]
    assert "cannot be read" not in html


def test_invoices_to_two_payers_need_the_payer_chosen(client, session, world, invoice, sign_in, csrf):
    icb = session.scalar(select(type(invoice)).where(type(invoice).payer_org_id == world.icb.id))
    data = csv_bytes("HIL-000001,1.00,R1,3/2/2027", f"{icb.number},1.00,R1,3/2/2027")
    with on(FEB_10):
        sign_in(world.provider)
        mixed = upload(client, csrf, data)
        assert mixed.status_code == 422
        assert (
            "The invoices in this file are to more than one payer: Brightwater Council (row 2) and "
            "NHS Brightwater ICB (row 3)." in text(mixed)
        )
        chosen = text(upload(client, csrf, data, payer=f"org:{world.icb.id}"))
    assert "Check the remittance advice from NHS Brightwater ICB" in chosen
    assert "Invoice HIL-000001 is to Brightwater Council, not NHS Brightwater ICB" in chosen


def test_a_failure_half_way_writes_nothing(client, session, world, sign_in, csrf, monkeypatch):
    first = council_invoice(session, world, units=1, days_ahead=10)
    second = council_invoice(session, world, units=1, days_ahead=11)
    data = csv_bytes(f"{first.number},1.00,BACS-1,3/2/2027", f"{second.number},2.00,BACS-2,3/2/2027")
    transfers = count(session, Transfer)
    real = payment_ops.record_payment
    calls = []

    def second_one_fails(*args, **kwargs):
        calls.append(kwargs["reference"])
        if len(calls) == 2:
            raise payment_ops.Conflict("The bank feed is down", code="test_failure")
        return real(*args, **kwargs)

    with on(FEB_10):
        sign_in(world.provider)
        stash = stash_of(text(upload(client, csrf, data)))
        monkeypatch.setattr(payment_ops, "record_payment", second_one_fails)
        response = confirm(client, csrf, stash)
    assert calls == ["BACS-1", "BACS-2"]  # the first payment was recorded, then rolled back
    assert response.status_code == 409 and "Nothing was recorded: The bank feed is down" in text(response)
    assert 'name="stash"' in text(response)  # the preview again, to try once more
    assert count(session) == 0 and count(session, PaymentAllocation) == 0
    assert count(session, RemittanceImport) == 0 and count(session, RemittanceImportLine) == 0
    assert count(session, Transfer) == transfers
    session.refresh(first)
    assert (first.amount_paid, first.status) == (0, InvoiceStatus.ISSUED)


def test_a_change_since_the_preview_shows_the_new_preview_and_records_nothing(
    client, session, world, invoice, sign_in, csrf
):
    with on(FEB_10):
        sign_in(world.provider)
        stash = stash_of(text(upload(client, csrf, EXAMPLE_D)))
        pay(session, world, 10_000, date(2027, 2, 5), "MEANWHILE", [(invoice, 10_000)])
        response = confirm(client, csrf, stash)
        html = text(response)
    assert response.status_code == 409 and problems(html) == []
    assert "Something changed since you checked this file" in html
    assert "£393.33 is more than the £293.33 due on HIL-000001" in html
    assert count(session) == 1  # only the payment made meanwhile


def test_a_tampered_or_foreign_preview_is_refused(client, session, world, invoice, sign_in, csrf):
    other_user, _ = world.other_provider()
    with on(FEB_10):
        sign_in(world.provider)
        stash = stash_of(text(upload(client, csrf, EXAMPLE_D)))
        tampered = confirm(client, csrf, stash[:-3] + "abc")
        assert tampered.status_code == 422 and "Upload the remittance advice file again" in text(tampered)
        client.post("/sign-out", data={"csrf_token": csrf()})
        sign_in(other_user)
        foreign = confirm(client, csrf, stash)
    assert foreign.status_code == 403
    assert count(session) == 0


def test_only_the_providers_staff_import_and_see_an_import(client, session, world, invoice, sign_in, csrf):
    with on(FEB_10):
        sign_in(world.provider)
        done = confirm(client, csrf, stash_of(text(upload(client, csrf, EXAMPLE_D))))
    summary = done.headers["Location"]
    other_user, _ = world.other_provider()
    for user, upload_status in ((other_user, 200), (world.commissioner, 403), (world.parent, 403)):
        client.post("/sign-out", data={"csrf_token": csrf()})
        sign_in(user)
        assert client.get("/payments/remittances/new").status_code == upload_status
        assert client.get(summary).status_code == 404
        assert client.get(summary + "/not-recorded.csv").status_code == 404
        if upload_status == 200:  # another provider: HIL-000001 is not one of its invoices
            html = text(upload(client, csrf, EXAMPLE_D))
            assert "None of the invoice numbers in this file is one of your invoices" in html
            assert "Brightwater Council" not in html.split("There is a problem", 1)[1].split("</div>", 1)[0]
        else:
            assert upload(client, csrf, EXAMPLE_D).status_code == 403
    assert count(session) == 1


def test_the_largest_file_accepted_goes_through_preview_and_confirm(
    client, session, world, invoice, sign_in, csrf
):
    """2,000 lines of 100 characters (200 KB, the limit): its preview's form field stays under what
    Werkzeug accepts, so confirming it works; a file a byte over is refused with the limit named."""
    import secrets

    rows = ["HIL-000001,£393.33,BIG-1,10/02/2027"]
    while len(rows) < 2000:
        rows.append(f"X-{secrets.token_hex(16)},£1.00,{secrets.token_hex(23)},10/02/2027")
    data = csv_bytes(*rows)
    assert 190 * 1024 < len(data) <= 200 * 1024
    with on(FEB_10):
        sign_in(world.provider)
        preview = text(upload(client, csrf, data))
        assert len(stash_of(preview)) < 500_000
        done = confirm(client, csrf, stash_of(preview))
        assert done.status_code == 302
        too_big = upload(client, csrf, data + b"X" * (200 * 1024 - len(data) + 1))
    assert too_big.status_code == 422 and "The file is larger than 200 KB" in text(too_big)
    assert count(session) == 1 and count(session, RemittanceImportLine) == 2000
