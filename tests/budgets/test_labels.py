"""The budget page names streams, categories and management options as people read them, and
its amendment history in pounds and words (issue #17, item 3)."""

from marketplace.budgets import operations as budgets
from tests.core.test_no_machine_values import Page


def _read(html: str) -> str:
    page = Page()
    page.feed(html)
    return "\n".join(page.text)


def test_budget_page_names_kinds_categories_and_amendments_in_words(client, session, world, sign_in):
    budgets.amend_stream(
        session,
        world.social,
        actor=world.council_user,
        reason="Care at home added",
        amount=320_000,
        categories=["overnight_short_break", "in_home_care"],
    )
    session.commit()
    sign_in(world.council_user)
    page = client.get(f"/budgets/{world.budget.id}").get_data(as_text=True)
    assert "Social care — Brightwater Council" in page
    assert "Managed by the commissioner" in page
    assert "Care at home, overnight short break</dd>" in page  # the categories by their labels
    assert '<td class="govuk-table__cell">May pay for</td>' in page
    assert "£3,000.00" in page and "£3,200.00" in page
    text = _read(page)
    for machine in ("social_care", "in_home_care", "in home care", "In home care", "320000"):
        assert machine not in text, machine


def test_stream_forms_offer_categories_by_their_labels(client, world, sign_in):
    sign_in(world.council_user)
    for url in ("/budgets/new", f"/budgets/{world.budget.id}/streams/{world.social.id}/amend"):
        page = client.get(url).get_data(as_text=True)
        assert ">Care at home</label>" in page, url
        assert "in home care" not in page.lower(), url
