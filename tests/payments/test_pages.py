"""The card-payment lists: the family's own (what was paid, refunded, for what), the provider's
topped-up bookings, the admin's failed and pending payments; a commissioner has none."""

from marketplace.bookings import operations as bookings
from marketplace.bookings.models import CancelledBy
from marketplace.payments import operations
from marketplace.payments.refunds import refund_cancelled_top_ups


def test_the_family_sees_what_it_paid_and_what_came_back(client, session, world, sign_in, paid):
    booking, card_payment, _ = paid
    bookings.cancel(session, booking, world.parent, by=CancelledBy.FAMILY)
    session.commit()
    refund_cancelled_top_ups(session)
    sign_in(world.parent)
    text = client.get("/card-payments").get_data(as_text=True)
    assert "Your card payments" in text
    assert "Booking top-up: Overnight short break for Ben" in text
    assert '<td class="govuk-table__cell">Paid' in text
    assert text.count("£55.00") == 2  # paid £55.00, refunded £55.00


def test_the_provider_sees_its_topped_up_bookings_and_no_one_elses(client, session, world, sign_in, paid):
    sign_in(world.provider)
    text = client.get("/card-payments").get_data(as_text=True)
    assert "Bookings topped up by card" in text and "Overnight short break for Ben" in text
    assert world.family.name in text
    other, _ = world.other_provider()
    sign_in(other)
    assert "Overnight short break for Ben" not in client.get("/card-payments").get_data(as_text=True)


def test_the_admin_sees_failed_and_pending_not_settled_ones(
    client, session, world, sign_in, make, paid, family_invoice
):
    failed = operations.start_invoice_payment(session, family_invoice, world.parent)
    operations.record_failure(session, failed, "Your card was declined.")
    pending = operations.start_invoice_payment(session, family_invoice, world.parent)  # tried again
    operations.attach_intent(session, pending, "pi_waiting")
    session.commit()
    sign_in(make.user("admin"))
    text = client.get("/card-payments").get_data(as_text=True)
    assert "Card payments to look at" in text
    assert f"Invoice {family_invoice.number}" in text and "Your card was declined." in text
    assert "Waiting for the card" in text
    assert "Booking top-up" not in text  # the paid, unrefunded top-up needs nobody
    assert pending.id != failed.id


def test_a_commissioner_has_no_card_payments_page(client, world, sign_in):
    sign_in(world.commissioner)
    assert client.get("/card-payments").status_code == 403


def test_a_card_payment_page_of_another_family_is_not_found(client, session, world, sign_in, paid):
    _, card_payment, _ = paid
    _, zoes_parent, _ = world.another_family()
    sign_in(zoes_parent)
    assert client.get(f"/card-payments/{card_payment.id}").status_code == 404
