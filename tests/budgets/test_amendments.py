"""Amending a stream: every change recorded, amounts moved through the ledger, never overdrawn."""

import pytest
from sqlalchemy import func, select

from marketplace import ledger
from marketplace.budgets import books
from marketplace.budgets import operations as budgets
from marketplace.budgets.balances import stream_balance
from marketplace.budgets.models import BudgetAmendment
from marketplace.core.errors import Conflict, ValidationFailed
from tests.factories import BEN_CATEGORIES, BEN_PO


def amendment_count(session):
    return session.scalar(select(func.count()).select_from(BudgetAmendment))


def codes(session, stream):
    return [t.code for t in ledger.transfers_for(session, books.stream_account(session, stream))]


def test_top_up_records_the_change_and_moves_money_from_the_funder(session, world):
    rows = budgets.amend_stream(
        session, world.social, actor=world.council_user, reason="Review", amount=350000
    )
    assert [(r.field, r.old_value, r.new_value, r.reason, r.actor_id) for r in rows] == [
        ("amount", 300000, 350000, "Review", world.council_user.id)
    ]
    assert world.social.amount == 350000
    assert stream_balance(session, world.social).available == 350000
    assert codes(session, world.social) == ["allocation", "top_up"]
    assert ledger.reconcile(session) == []


def test_reduction_returns_money_and_records_every_field(session, world, spend):
    spend(world.social, 50000, world.hospice)
    rows = budgets.amend_stream(
        session,
        world.social,
        actor=world.council_user,
        reason="Lower need",
        amount=100000,
        po_number="BC-NEW",
        payment_terms_days=14,
        categories=["day_session"],
    )
    assert {r.field: (r.old_value, r.new_value) for r in rows} == {
        "amount": (300000, 100000),
        "po_number": (BEN_PO["social_care"], "BC-NEW"),
        "payment_terms_days": (30, 14),
        "categories": (sorted(BEN_CATEGORIES), ["day_session"]),
    }
    balance = stream_balance(session, world.social)
    assert (balance.allocated, balance.funded, balance.spent, balance.available) == (
        100000,
        100000,
        50000,
        50000,
    )
    assert codes(session, world.social) == ["allocation", "post", "reduction"]
    assert ledger.reconcile(session) == []


def test_only_changed_fields_are_recorded(session, world):
    rows = budgets.amend_stream(
        session, world.health, actor=None, reason="New PO", amount=150000, po_number="ICB-2"
    )
    assert [r.field for r in rows] == ["po_number"]
    assert codes(session, world.health) == ["allocation"]


def test_reduction_below_held_and_spent_is_refused(session, world, spend):
    spend(world.social, 200000, world.hospice)
    spend(world.social, 50000, world.hospice, post=False)
    with pytest.raises(Conflict) as err:
        budgets.amend_stream(session, world.social, actor=None, reason="Cut", amount=249999)
    assert err.value.code == "below_committed"
    assert "£2,500.00" in err.value.message and "amount" in err.value.fields
    assert world.social.amount == 300000 and amendment_count(session) == 0
    budgets.amend_stream(session, world.social, actor=None, reason="Cut", amount=250000)
    assert stream_balance(session, world.social).available == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reason": "", "amount": 1}, "reason"),
        ({"reason": "x", "amount": -1}, "amount"),
        ({"reason": "x", "amount": 1.5}, "amount"),
        ({"reason": "x", "payment_terms_days": 400}, "payment_terms_days"),
        ({"reason": "x", "categories": ["Not A Category"]}, "categories"),
        ({"reason": "x", "amount": 300000}, "reason"),  # nothing changed
    ],
)
def test_bad_amendments_name_the_field_and_write_nothing(session, world, changes, field):
    with pytest.raises(ValidationFailed) as err:
        budgets.amend_stream(session, world.social, actor=None, **changes)
    assert field in err.value.fields
    assert amendment_count(session) == 0 and world.social.amount == 300000


def test_a_closed_budget_cannot_be_amended(session, world):
    budgets.change_budget_status(session, world.budget, "closed")
    with pytest.raises(Conflict):
        budgets.amend_stream(session, world.social, actor=None, reason="x", amount=1)


# ---- the page -------------------------------------------------------------------------------


def amend_url(world, stream=None):
    return f"/budgets/{world.budget.id}/streams/{(stream or world.social).id}/amend"


FORM = {
    "amount": "3,250.00",
    "po_number": BEN_PO["social_care"],
    "payment_terms_days": "30",
    "categories": BEN_CATEGORIES,
    "reason": "Annual review",
}


def test_funder_amends_on_the_page(client, session, world, sign_in, post_form):
    sign_in(world.council_user)
    page = client.get(amend_url(world))
    assert page.status_code == 200 and b"3000.00" in page.data
    response = post_form(amend_url(world), FORM)
    assert response.status_code == 302
    assert world.social.amount == 325000
    assert [(r.field, r.new_value) for r in world.social.amendments] == [("amount", 325000)]
    shown = client.get(f"/budgets/{world.budget.id}")
    assert b"Annual review" in shown.data and b"\xc2\xa33,250.00" in shown.data


def test_bad_amendment_form_shows_the_error_summary_and_writes_nothing(
    client, session, world, sign_in, post_form
):
    sign_in(world.council_user)
    response = post_form(amend_url(world), {**FORM, "amount": "lots", "reason": ""})
    assert response.status_code == 422
    assert b"There is a problem" in response.data
    assert b'href="#amount"' in response.data and b'href="#reason"' in response.data
    assert amendment_count(session) == 0


def test_reduction_too_far_on_the_page_is_a_409(client, session, world, sign_in, post_form, spend):
    spend(world.social, 100000, world.hospice)
    session.commit()
    sign_in(world.council_user)
    response = post_form(amend_url(world), {**FORM, "amount": "999.99"})
    assert response.status_code == 409
    assert b"already held or spent" in response.data
    assert amendment_count(session) == 0 and world.social.amount == 300000


@pytest.mark.parametrize("who", ["icb_user", "parent"])
def test_only_the_streams_funder_may_amend_it(client, world, sign_in, post_form, who):
    sign_in(getattr(world, who))
    assert client.get(amend_url(world)).status_code == 403
    assert post_form(amend_url(world), FORM).status_code == 403
    assert world.social.amount == 300000
