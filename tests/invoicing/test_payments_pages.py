"""The payment pages: the provider records a payment (oldest first, or invoice by invoice), sees it
and reverses it; bad input shows a GOV.UK error summary and writes nothing; the invoice page shows
its payments; a payer reads its own payments and can record or reverse nothing."""

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from marketplace.invoicing.models import InvoiceStatus, Payment
from marketplace.invoicing.payments import record_payment
from tests.core.test_accessibility import problems
from tests.invoicing.test_payments import council_invoice, on

FEB_10 = date(2027, 2, 10)


@pytest.fixture
def invoice(session, world):
    return council_invoice(session, world)  # HIL-000001, £393.33 to Brightwater Council


def post(client, csrf, url, data):
    return client.post(url, data={**data, "csrf_token": csrf()})


def text(response) -> str:
    return response.get_data(as_text=True)


def count(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count(Payment.id)))


def summary_links(html: str) -> list[str]:
    summary = html.split('class="govuk-error-summary"', 1)[1].split("</div>\n</div>", 1)[0]
    return re.findall(r'href="#([^"]+)"', summary)


def test_recording_a_payment_oldest_first(client, session, world, invoice, sign_in, csrf):
    key = f"org:{world.council.id}"
    with on(FEB_10):
        sign_in(world.provider)
        start = client.get("/payments/new")
        assert start.status_code == 200 and problems(text(start)) == []
        assert "Brightwater Council (£393.33 on 1 invoice)" in text(start)
        form = client.get(f"/payments/new?payer={key}")
        assert form.status_code == 200 and problems(text(form)) == []
        assert "Record a payment from Brightwater Council" in text(form) and "HIL-000001" in text(form)
        assert "4 January 2027" in text(form) and "2027-01-04" not in text(form)
        response = post(
            client,
            csrf,
            "/payments/new",
            {
                "payer": key,
                "amount": "£200.00",
                "received_on": "3/2/2027",
                "reference": "BWC-0203",
                "allocate": "oldest",
            },
        )
        assert response.status_code == 302
        page = client.get(response.headers["Location"])
    payment = session.scalar(select(Payment))
    assert response.headers["Location"].endswith(f"/payments/{payment.id}")
    assert "Payment of £200.00 recorded: HIL-000001 part paid, £193.33 due." in text(page)
    assert "3 February 2027" in text(page) and "Reverse this payment" in text(page)
    assert problems(text(page)) == []
    session.refresh(invoice)
    assert (invoice.status, invoice.amount_due) == (InvoiceStatus.PART_PAID, 19333)


def test_recording_a_payment_invoice_by_invoice(client, session, world, sign_in, csrf):
    old = council_invoice(session, world, units=1, days_ahead=10, issue_date=date(2026, 12, 1))
    new = council_invoice(session, world, units=1, days_ahead=11, issue_date=date(2026, 12, 8))
    with on(FEB_10):
        sign_in(world.provider)
        response = post(
            client,
            csrf,
            "/payments/new",
            {
                "payer": f"org:{world.council.id}",
                "amount": "250",
                "received_on": "10 February 2027",
                "reference": "BWC-CHOSEN",
                "allocate": "choose",
                f"allocation-{old.id}": "53.33",
                f"allocation-{new.id}": "196.67",
            },
        )
    assert response.status_code == 302
    session.expire_all()
    assert [(i.status, i.amount_due) for i in (old, new)] == [
        (InvoiceStatus.PART_PAID, 14334),
        (InvoiceStatus.PAID, 0),
    ]


@pytest.mark.parametrize(
    ("data", "links"),
    [
        (
            {"amount": "lots", "received_on": "31/02/2027", "reference": ""},
            ["amount", "received_on", "reference"],
        ),
        ({"amount": "10", "received_on": "11/2/2027", "reference": "R"}, ["received_on"]),  # tomorrow
        ({"amount": "10", "received_on": "3/2/2027", "reference": "R", "allocate": "sideways"}, ["allocate"]),
    ],
)
def test_bad_input_shows_an_error_summary_and_writes_nothing(
    client, session, world, invoice, sign_in, csrf, data, links
):
    with on(FEB_10):
        sign_in(world.provider)
        response = post(client, csrf, "/payments/new", {"payer": f"org:{world.council.id}", **data})
    assert response.status_code == 422
    html = text(response)
    assert summary_links(html) == links and problems(html) == []
    assert 'value="lots"' in html or "lots" not in str(data)  # what was typed is kept
    assert count(session) == 0


def test_paying_more_than_is_due_is_refused_on_the_page(client, session, world, invoice, sign_in, csrf):
    base = {"payer": f"org:{world.council.id}", "received_on": "3/2/2027", "allocate": "choose"}
    with on(FEB_10):
        sign_in(world.provider)
        post(
            client,
            csrf,
            "/payments/new",
            {**base, "amount": "200", "reference": "A", f"allocation-{invoice.id}": "200"},
        )
        refused = post(
            client,
            csrf,
            "/payments/new",
            {**base, "amount": "200", "reference": "B", f"allocation-{invoice.id}": "200"},
        )
        nothing_chosen = post(client, csrf, "/payments/new", {**base, "amount": "10", "reference": "C"})
    assert refused.status_code == 409
    assert "£200.00 is more than the £193.33 due on HIL-000001" in text(refused)
    assert summary_links(text(refused)) == [f"allocation-{invoice.id}"] and problems(text(refused)) == []
    assert nothing_chosen.status_code == 422
    assert "Enter how much of the payment pays each invoice" in text(nothing_chosen)
    assert count(session) == 1


def test_the_invoice_page_shows_its_payments_and_offers_to_record_one(
    client, session, world, invoice, sign_in
):
    with on(FEB_10):
        record_payment(
            session, provider=world.provider_org, payer=world.council, amount=20000,
            received_on=date(2027, 2, 3), reference="BWC-0203", actor=world.provider,
        )  # fmt: skip
    sign_in(world.provider)
    page = text(client.get(f"/invoices/{invoice.id}"))
    assert "BWC-0203" in page and "3 February 2027" in page and "Still due: <strong>£193.33</strong>" in page
    assert f"/payments/new?payer=org:{world.council.id}&amp;invoice={invoice.id}" in page
    prefilled = client.get(f"/payments/new?payer=org:{world.council.id}&invoice={invoice.id}")
    assert 'value="193.33"' in text(prefilled) and 'value="choose" checked' in text(prefilled)
    sign_in(world.commissioner)
    theirs = text(client.get(f"/invoices/{invoice.id}"))
    assert "BWC-0203" in theirs and "Record a payment" not in theirs


def test_the_invoice_page_lists_its_payments_by_the_day_received(client, session, world, invoice, sign_in):
    """A payment recorded late for an earlier day sits in date order, not at the top."""
    with on(FEB_10):
        for reference, day in (("BWC-0205", 5), ("BWC-0203", 3), ("BWC-0209", 9)):
            record_payment(
                session, provider=world.provider_org, payer=world.council, amount=1000,
                received_on=date(2027, 2, day), reference=reference, actor=world.provider,
            )  # fmt: skip
    sign_in(world.provider)
    page = text(client.get(f"/invoices/{invoice.id}"))
    assert re.findall(r">(BWC-02\d\d)</a>", page) == ["BWC-0209", "BWC-0205", "BWC-0203"]


def test_reversing_on_the_page(client, session, world, invoice, sign_in, csrf):
    with on(FEB_10):
        payment = record_payment(
            session, provider=world.provider_org, payer=world.council, amount=20000,
            received_on=date(2027, 2, 3), reference="BWC-0203", actor=world.provider,
        )  # fmt: skip
    sign_in(world.provider)
    url = f"/payments/{payment.id}/reversal"
    empty = post(client, csrf, url, {"reason": "  "})
    assert (
        empty.status_code == 422 and summary_links(text(empty)) == ["reason"] and problems(text(empty)) == []
    )
    done = post(client, csrf, url, {"reason": "Recorded against the wrong payer"})
    assert done.status_code == 302
    page = text(client.get(done.headers["Location"]))
    assert "Recorded against the wrong payer" in page and "Reversed" in page
    assert "Reverse this payment" not in page
    again = post(client, csrf, url, {"reason": "Again"})
    assert again.status_code == 409 and "already reversed" in text(again)
    session.refresh(invoice)
    assert (invoice.status, invoice.amount_due) == (InvoiceStatus.ISSUED, 39333)


def test_a_payer_reads_its_payments_and_can_do_nothing_else(
    client, session, world, invoice, sign_in, csrf, make
):
    with on(FEB_10):
        payment = record_payment(
            session, provider=world.provider_org, payer=world.council, amount=20000,
            received_on=date(2027, 2, 3), reference="BWC-0203", actor=world.provider,
        )  # fmt: skip
    sign_in(world.commissioner)
    listing = client.get("/payments")
    assert "Payments you made" in text(listing) and "BWC-0203" in text(listing) and "£200.00" in text(listing)
    assert 'href="/payments/new"' not in text(listing) and problems(text(listing)) == []
    assert 'href="/payments/made/new"' in text(listing)  # its own payments made: test_payer_payments.py
    page = client.get(f"/payments/{payment.id}")
    assert page.status_code == 200 and "Reverse this payment" not in text(page)
    assert client.get("/payments/new").status_code == 403
    assert post(client, csrf, "/payments/new", {"payer": f"org:{world.council.id}"}).status_code == 403
    assert post(client, csrf, f"/payments/{payment.id}/reversal", {"reason": "No"}).status_code == 403
    sign_in(make.user("commissioner", org=world.icb))
    assert client.get(f"/payments/{payment.id}").status_code == 404
    assert "BWC-0203" not in text(client.get("/payments"))
    session.expire_all()
    assert not payment.is_reversed


def test_a_provider_cannot_pick_a_payer_it_never_invoiced(
    client, session, world, invoice, sign_in, csrf, make
):
    family = make.family()
    sign_in(world.provider)
    response = post(client, csrf, "/payments/new", {"payer": f"family:{family.id}", "amount": "1"})
    assert response.status_code == 422 and family.name not in text(response)
    listed = client.get(f"/payments/new?payer=family:{family.id}")
    assert listed.status_code == 422 and summary_links(text(listed)) == ["payer"]
