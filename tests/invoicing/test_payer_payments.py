"""A commissioner records a payment it made to one provider, with its remittance reference,
through the same operation as the provider's own (`payments.record_payment`): the oldest invoices
first, or as it chooses; the provider sees it on its payments page, recorded by the payer. It can
pay only its own invoices, to a provider that invoiced it; families and providers cannot record
as a payer; bad input is an error summary and nothing is written."""

import html as markup
from datetime import date

import pytest
from sqlalchemy import func, select

from marketplace.invoicing.models import InvoiceStatus, Payment
from marketplace.invoicing.payments import record_payment
from tests.core.test_accessibility import problems
from tests.invoicing.test_payments import council_invoice, on
from tests.invoicing.test_payments_pages import summary_links

FEB_3, FEB_10 = date(2027, 2, 3), date(2027, 2, 10)


def text(response) -> str:
    return markup.unescape(response.get_data(as_text=True))


def post(client, csrf, data):
    return client.post("/payments/made/new", data={**data, "csrf_token": csrf()})


def count(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count(Payment.id)))


@pytest.fixture
def invoices(session, world):
    """Two stays invoiced: the council owes Hilltop £393.33 (due 4 January 2027) and £196.67
    (due 11 January 2027); the ICB owes its own shares."""
    first = council_invoice(session, world)
    second = council_invoice(session, world, units=1, days_ahead=20, issue_date=date(2026, 12, 12))
    return first, second


def test_the_commissioner_records_a_payment_oldest_first_and_the_provider_sees_it(
    client, session, world, invoices, sign_in, csrf
):
    first, second = invoices
    hilltop = world.provider_org
    with on(FEB_10):
        sign_in(world.commissioner)
        start = client.get("/payments/made/new")
        assert start.status_code == 200 and problems(text(start)) == []
        assert f"{hilltop.name} (£590.00 on 2 invoices)" in text(start)
        form = client.get(f"/payments/made/new?provider={hilltop.id}")
        assert form.status_code == 200 and problems(text(form)) == []
        assert f"Record a payment to {hilltop.name}" in text(form)
        assert (
            first.number in text(form) and "4 January 2027" in text(form) and "BC-SB-2026-0142" in text(form)
        )
        response = post(
            client,
            csrf,
            {
                "provider": hilltop.id,
                "amount": "£500.00",
                "received_on": "3/2/2027",
                "reference": "BWC-BACS-9001",
            },
        )
        assert response.status_code == 302
        page = client.get(response.headers["Location"])
    html = text(page)
    assert (
        f"Your payment to {hilltop.name} is recorded: {first.number} paid; {second.number} part paid." in html
    )
    assert (
        f"by {world.commissioner.name} for Brightwater Council (the payer)" in html and problems(html) == []
    )
    assert "Reverse this payment" not in html  # only the provider reverses
    payment = session.scalar(select(Payment))
    assert (payment.amount, payment.received_on, payment.reference) == (50000, FEB_3, "BWC-BACS-9001")
    assert payment.recorded_by_id == world.commissioner.id and payment.provider_id == hilltop.id
    session.refresh(first)
    session.refresh(second)
    assert (first.status, first.amount_due) == (InvoiceStatus.PAID, 0)
    assert (second.status, second.amount_due) == (InvoiceStatus.PART_PAID, 9_000)  # £196.67 − £106.67

    sign_in(world.provider)
    received = text(client.get("/payments"))
    assert "Payments received" in received and "BWC-BACS-9001" in received and "£500.00" in received
    assert f"{world.commissioner.name} for Brightwater Council (the payer)" in received
    assert "3 February 2027" in received


def test_the_payer_reads_the_day_it_paid_not_the_day_it_received(
    client, session, world, invoices, sign_in, csrf
):
    first, _ = invoices
    with on(FEB_10):
        sign_in(world.commissioner)
        done = post(
            client,
            csrf,
            {
                "provider": world.provider_org.id,
                "amount": "£10.00",
                "received_on": "3/2/2027",
                "reference": "R-9",
            },
        )
        detail = text(client.get(done.headers["Location"]))
        listing = text(client.get("/payments"))
        sign_in(world.provider)
        provider_detail = text(client.get(done.headers["Location"]))
    assert '<dt class="govuk-summary-list__key">Paid</dt>' in detail and ">Received<" not in detail
    made = listing.split("Payments you made", 1)[1].split("</thead>", 1)[0]
    assert ">Paid</th>" in made and ">Received</th>" not in made
    assert '<dt class="govuk-summary-list__key">Received</dt>' in provider_detail


def test_the_commissioner_allocates_as_it_chooses(client, session, world, invoices, sign_in, csrf):
    first, second = invoices
    with on(FEB_10):
        sign_in(world.commissioner)
        response = post(
            client,
            csrf,
            {
                "provider": world.provider_org.id,
                "amount": "196.67",
                "received_on": "10/02/2027",
                "reference": "BWC-BACS-9002",
                "allocate": "choose",
                f"allocation-{second.id}": "£196.67",
            },
        )
    assert response.status_code == 302
    session.refresh(first)
    session.refresh(second)
    assert (first.status, first.amount_due) == (InvoiceStatus.ISSUED, 39333)  # the older one untouched
    assert (second.status, second.amount_due) == (InvoiceStatus.PAID, 0)


def test_paying_more_than_is_owed_is_refused_naming_the_invoice(client, session, world, sign_in, csrf):
    invoice = council_invoice(session, world)
    with on(FEB_10):
        sign_in(world.commissioner)
        response = post(
            client,
            csrf,
            {
                "provider": world.provider_org.id,
                "amount": "400.00",
                "received_on": "3/2/2027",
                "reference": "R1",
            },
        )
    assert response.status_code == 409
    assert f"£400.00 is more than the £393.33 due on {invoice.number}" in text(response)
    assert count(session) == 0


def test_bad_input_shows_an_error_summary_and_writes_nothing(client, session, world, invoices, sign_in, csrf):
    with on(FEB_10):
        sign_in(world.commissioner)
        response = post(
            client, csrf, {"provider": world.provider_org.id, "amount": "lots", "received_on": "31/2/2027"}
        )
    assert response.status_code == 422 and problems(text(response)) == []
    assert set(summary_links(text(response))) >= {"amount", "received_on", "reference"}
    assert 'value="lots"' in text(response)  # what was typed is kept
    assert "Enter the date you paid as a real date, for example 10/02/2027" in text(response)
    assert "was received" not in text(response)
    assert "The day the money left your account, for example 10/02/2027" in text(response)  # not a later day
    assert count(session) == 0


def test_another_payers_invoice_cannot_take_the_payment(
    client, session, world, invoices, sign_in, csrf, make
):
    """The ICB's own invoice from Hilltop, named in the council's form, is not the council's to pay:
    it is not one of the boxes, so naming it allocates nothing, and nothing is written."""
    icb_invoice = session.scalar(
        select(type(invoices[0])).where(type(invoices[0]).payer_org_id == world.icb.id).limit(1)
    )
    with on(FEB_10):
        sign_in(world.commissioner)
        response = post(
            client,
            csrf,
            {
                "provider": world.provider_org.id,
                "amount": "10.00",
                "received_on": "3/2/2027",
                "reference": "R2",
                "allocate": "choose",
                f"allocation-{icb_invoice.id}": "10.00",
            },
        )
    assert response.status_code == 422 and icb_invoice.number not in text(response)
    assert count(session) == 0
    session.refresh(icb_invoice)
    assert icb_invoice.amount_paid == 0
    # and the ICB's staff, paying Hilltop, are offered only the ICB's invoices
    with on(FEB_10):
        sign_in(make.user("commissioner", org=world.icb))
        form = text(client.get(f"/payments/made/new?provider={world.provider_org.id}"))
    assert icb_invoice.number in form and invoices[0].number not in form and invoices[1].number not in form


def test_a_provider_that_never_invoiced_the_payer_cannot_be_named(
    client, session, world, invoices, sign_in, csrf, make
):
    stranger = make.org("provider", name="Faraway Hospice")
    with on(FEB_10):
        sign_in(world.commissioner)
        listed = client.get(f"/payments/made/new?provider={stranger.id}")
        posted = post(
            client,
            csrf,
            {"provider": stranger.id, "amount": "1", "received_on": "3/2/2027", "reference": "X"},
        )
    assert listed.status_code == 422 and summary_links(text(listed)) == ["provider"]
    assert posted.status_code == 422 and "Faraway Hospice" not in text(posted)
    assert count(session) == 0


@pytest.mark.parametrize("who", ["family", "provider"])
def test_families_and_providers_cannot_record_as_a_payer(
    client, session, world, invoices, sign_in, csrf, who
):
    with on(FEB_10):
        sign_in(world.parent if who == "family" else world.provider)
        assert client.get("/payments/made/new").status_code == 403
        data = {
            "provider": world.provider_org.id,
            "amount": "10",
            "received_on": "3/2/2027",
            "reference": "X",
        }
        assert post(client, csrf, data).status_code == 403
    assert count(session) == 0


def test_the_same_remittance_recorded_by_both_sides_is_recorded_once(
    client, session, world, invoices, sign_in, csrf
):
    with on(FEB_10):
        sign_in(world.commissioner)
        data = {
            "provider": world.provider_org.id,
            "amount": "200.00",
            "received_on": "3/2/2027",
            "reference": "BWC-7",
        }
        assert post(client, csrf, data).status_code == 302
        again = record_payment(
            session, provider=world.provider_org, payer=world.council, amount=20000,
            received_on=FEB_3, reference="BWC-7", actor=world.provider,
        )  # fmt: skip
    assert count(session) == 1 and again.recorded_by_id == world.commissioner.id
    session.refresh(invoices[0])
    assert invoices[0].amount_due == 19333
