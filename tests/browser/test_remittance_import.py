"""Importing a remittance advice in a real browser, on the demo data: Hilltop's finance user
uploads Brightwater Council's remittance (one of its open invoices and a number it never issued),
checks the preview, confirms, and downloads the line not recorded."""

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from marketplace.accounts.demo import organisation
from marketplace.core.clock import today
from marketplace.core.money import format_pence
from marketplace.invoicing.models import Invoice, InvoiceStatus
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.real_commits]


@pytest.fixture
def open_invoice(demo, session):
    """One of Hilltop's invoices to Brightwater Council with money still due: (number, amount due)."""
    hilltop, council = organisation(session, "hilltop-hospice"), organisation(session, "brightwater-council")
    invoice = session.scalars(
        select(Invoice)
        .where(
            Invoice.issuer_id == hilltop.id,
            Invoice.payer_org_id == council.id,
            Invoice.status.in_([InvoiceStatus.ISSUED, InvoiceStatus.PART_PAID]),
        )
        .order_by(Invoice.id)
    ).first()
    assert invoice is not None, "the demo has an open invoice from Hilltop to Brightwater Council"
    found = (invoice.number, invoice.amount_due)
    session.rollback()
    return found


@pytest.mark.parametrize("javascript", [False], ids=["no-js"])
def test_hilltop_imports_brightwaters_remittance(page, demo, open_invoice, tmp_path):
    number, due = open_invoice
    day = today().strftime("%d/%m/%Y")
    remittance = tmp_path / "brightwater-remittance.csv"
    remittance.write_text(
        f"Our ref,Amount paid,Remittance ref,Paid on\n{number},{format_pence(due)},BWC-BROWSER-1,{day}\n"
        f'HIL-999999,"£1,000.00",BWC-BROWSER-1,{day}\n',
        encoding="utf-8",
    )
    sign_in(page, demo.hilltop)
    page.goto("/payments")
    page.get_by_role("link", name="Import a remittance advice").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import a remittance advice")
    page.get_by_label("Remittance advice (CSV file)").set_input_files(str(remittance))
    page.get_by_role("button", name="Check the file").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check the remittance advice from Brightwater Council"
    )
    recorded = page.locator("table", has=page.locator("caption", has_text="Lines that will be recorded"))
    expect(recorded.locator("tbody tr").first.locator("td")).to_have_text(
        ["2", number, "Brightwater Council", format_pence(due), format_pence(due), "BWC-BROWSER-1",
         today().strftime("%-d %B %Y")]
    )  # fmt: skip
    expect(page.get_by_text("Invoice number HIL-999999 is not one of your invoices")).to_be_visible()
    page.get_by_role("button", name=f"Record 1 line ({format_pence(due)})").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Remittance advice from Brightwater Council")
    expect(page.get_by_text(f"1 line recorded, {format_pence(due)} in all.")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the lines not recorded (CSV)").click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert rows[1] == [
        "3", "HIL-999999", "£1,000.00", "BWC-BROWSER-1", today().strftime("%-d %B %Y"),
        "Invoice number HIL-999999 is not one of your invoices",
    ]  # fmt: skip
