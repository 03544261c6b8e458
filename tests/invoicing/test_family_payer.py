"""Family payers (rule 10): a booking paid from a direct-payment stream is the family's own money,
so the family is invoiced for it; the family sees that invoice, the stream's funder does not."""

from datetime import date

import pytest
import time_machine
from sqlalchemy import select

from marketplace.budgets import operations as budgets
from marketplace.invoicing.models import BillableItem, Invoice
from marketplace.invoicing.runs import preview_run, run_invoices
from tests.invoicing.issued import receive
from tests.invoicing.overdue import london_noon

ISSUED_ON = date(2026, 12, 5)


@pytest.fixture
def direct_payment(session, world):
    """Ben's family's budget, its social care paid to the family as a direct payment."""
    base = world.budget
    return budgets.create_budget(
        session,
        child=world.family.children[0],
        period_start=base.period_start,
        period_end=base.period_end,
        streams=[
            dict(kind="social_care", funder=world.council, amount=300_000, po_number="BC-DP-0007",
                 management="direct_payment", categories=["overnight_short_break"], payment_terms_days=14),
        ],
    )  # fmt: skip


@pytest.fixture
def family_invoice(session, world, direct_payment):
    booking = world.delivered(units=2, budget=direct_payment)
    run_invoices(session, world.service_date(booking), issue_date=ISSUED_ON)
    return session.scalars(select(Invoice)).one()


def test_a_direct_payment_booking_is_invoiced_to_the_family(session, world, family_invoice):
    invoice = family_invoice
    assert (invoice.payer_family_id, invoice.payer_org_id) == (world.family.id, None)
    assert (invoice.total, invoice.po_number, invoice.due_date) == (59_000, "", date(2026, 12, 19))
    item = session.scalars(select(BillableItem)).one()
    assert (item.payer_family_id, item.payer_org_id, item.amount) == (world.family.id, None, 59_000)
    assert invoice.payer_party == {"id": world.family.id, "kind": "family", "name": world.family.name}


def test_the_run_preview_shows_the_family_as_payer(session, world, direct_payment):
    booking = world.delivered(units=1, budget=direct_payment)
    [row] = preview_run(session, world.service_date(booking), world.provider_org.id)
    assert (row.payer, row.po_number, row.items, row.total) == (world.family.name, "", 1, 29_500)


def test_the_family_sees_its_invoice_and_the_funder_does_not(client, world, sign_in, bearer, family_invoice):
    sign_in(world.parent)
    assert client.get(f"/invoices/{family_invoice.id}").status_code == 200
    api = client.get("/api/v1/invoices", headers=bearer(world.parent)).get_json()
    assert [i["id"] for i in api["items"]] == [str(family_invoice.id)]
    assert api["items"][0]["payer"]["kind"] == "family"

    sign_in(world.commissioner)  # Brightwater Council funds the direct payment, but is not the payer
    assert client.get(f"/invoices/{family_invoice.id}").status_code == 404
    assert family_invoice.number not in client.get("/invoices").get_data(as_text=True)
    response = client.get(f"/api/v1/invoices/{family_invoice.id}", headers=bearer(world.commissioner))
    assert response.status_code == 404


def test_another_family_does_not_see_it(client, world, sign_in, family_invoice):
    _, other_parent, _ = world.another_family()
    sign_in(other_parent)
    assert client.get(f"/invoices/{family_invoice.id}").status_code == 404


def test_the_family_reads_its_invoices_with_what_is_still_due(
    client, session, world, sign_in, family_invoice
):
    receive(session, family_invoice, 20_000, date(2026, 12, 10), "CARD-1")
    sign_in(world.parent)
    listing = client.get("/invoices").get_data(as_text=True)
    listing = listing[listing.index("<main") : listing.index("</main>")]
    assert family_invoice.number in listing and "£590.00" in listing and "£390.00" in listing
    assert "Part paid" in listing and "19 December 2026" in listing and ">Due now<" in listing
    page = client.get(f"/invoices/{family_invoice.id}").get_data(as_text=True)
    assert "£390.00" in page and "Send a reminder" not in page and "Record a payment" not in page
    assert 'id="late-payment"' not in page


def test_the_provider_is_offered_no_late_payment_claim_on_a_familys_invoice(
    client, world, sign_in, family_invoice
):
    with time_machine.travel(london_noon(date(2027, 2, 3)), tick=False):  # 46 days overdue
        sign_in(world.provider)
        page = client.get(f"/invoices/{family_invoice.id}").get_data(as_text=True)
    assert "Send a reminder" in page  # it is still chased
    assert 'id="late-payment"' not in page and "claim.pdf" not in page
