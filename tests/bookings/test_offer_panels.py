"""Before the booking flow (issue #17, item 1): search results and the offer page tell a signed-in
family which of its budgets can pay for an offer and how much is left; nobody else sees budgets, and
a family never sees another family's. The search starts from the child's age."""

import re

from marketplace.bookings import operations as bookings
from marketplace.catalog.models import Category
from marketplace.core.clock import today
from tests.bookings.test_money_messages import page_text


def hydrotherapy(world):
    return world.make_offer(
        title="Hydrotherapy session", category=Category.THERAPY, unit="session", price=5500, max_age=25
    )


def test_offer_page_shows_which_budget_can_pay_and_what_is_left(client, world, sign_in, session):
    slot = world.make_slot()
    sign_in(world.parent)
    text = page_text(client.get(f"/offers/{world.offer.id}"))
    assert "Can your budget pay?" in text
    assert "Ben's budget can pay for this: £4,500.00 left in its social care and health money." in text
    bookings.book(session, actor=world.parent, slot=slot, budget=world.budget, units=2)  # holds £590.00
    text = page_text(client.get(f"/offers/{world.offer.id}"))
    assert "Ben's budget can pay for this: £3,910.00 left in its social care and health money." in text


def test_offer_page_says_why_a_budget_cannot_pay(client, world, sign_in):
    offer = hydrotherapy(world)
    sign_in(world.parent)
    text = page_text(client.get(f"/offers/{offer.id}"))
    assert (
        "Ben's budget can't pay for therapy sessions: its streams pay for activity and group breaks" in text
    )
    assert "can pay for this" not in text


def results(page) -> dict[str, str]:
    """Each search result's text by its title."""
    blocks = re.findall(r'<li class="app-result">(.*?)</li>\s*(?=<li class="app-result">|</ul>\s*(?:<nav|</div>))',
                        page.get_data(as_text=True), re.S)  # fmt: skip
    found = {}
    for block in blocks:
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", block)).replace("&#39;", "'").strip()
        found[re.search(r'class="govuk-link"[^>]*>([^<]+)</a>', block).group(1)] = text
    return found


def test_search_results_say_which_budget_can_pay(client, world, sign_in):
    hydro = hydrotherapy(world)
    world.make_slot()
    world.make_slot(hydro)
    sign_in(world.parent)
    found = results(client.get("/offers?age="))
    assert "Can pay Ben's budget can pay: £4,500.00 left for this" in found["Overnight short break"]
    assert "Can't pay Ben's budget can't pay for this" in found["Hydrotherapy session"]
    assert "can pay:" not in found["Hydrotherapy session"]


def test_nobody_else_sees_budgets(client, world, sign_in, csrf, make):
    world.make_slot()
    for path in ("/offers?age=", f"/offers/{world.offer.id}"):
        text = page_text(client.get(path))
        assert "budget can" not in text and "Can your budget pay?" not in text
    sign_in(world.provider)
    for path in ("/offers?age=", f"/offers/{world.offer.id}"):
        text = page_text(client.get(path))
        assert "budget can" not in text and "Can your budget pay?" not in text
    client.post("/sign-out", data={"csrf_token": csrf()})
    _, stranger, _ = world.another_family(social_care=10000, health=0)
    sign_in(stranger)
    for path in ("/offers?age=", f"/offers/{world.offer.id}"):
        text = page_text(client.get(path))
        assert "Zoe's budget can pay" in text and "Ben" not in text


def test_a_family_without_an_active_budget_is_told_so(client, world, make, sign_in):
    parent = make.user("family", family=make.family(children=("Sam",)))
    sign_in(parent)
    text = page_text(client.get(f"/offers/{world.offer.id}"))
    assert "You have no active budget to pay for this." in text


def test_search_is_filled_with_the_only_childs_age(client, world, sign_in, make):
    world.make_slot()
    teen = world.make_offer(title="Teen adventure", min_age=14, max_age=19)
    world.make_slot(teen)
    sign_in(world.parent)
    page = client.get("/offers").get_data(as_text=True)
    age = world.family.children[0].age_on(today())
    assert re.search(rf'id="age" name="age" type="text" value="{age}"', page)
    assert "Ben&#39;s age is filled in" in page or "Ben's age is filled in" in page
    assert "Teen adventure" not in page and "Overnight short break" in page
    everyone = client.get("/offers?age=").get_data(as_text=True)  # the family cleared it
    assert "Teen adventure" in everyone


def test_a_family_with_several_children_chooses(client, world, sign_in, make):
    family = make.family(children=("Mia", "Leo"))
    family.children[1].date_of_birth = family.children[1].date_of_birth.replace(year=2012)
    parent = make.user("family", family=family)
    sign_in(parent)
    mia, leo = (child.age_on(today()) for child in family.children)
    text = page_text(client.get("/offers"))
    assert (
        f"You have 2 children (Mia is {mia}, Leo is {leo}): enter the age of the child this break is for"
        in text
    )
    assert 'name="age" type="text" value=""' in client.get("/offers").get_data(as_text=True)


def test_the_budget_question_says_what_each_budget_can_pay(client, world, make, sign_in):
    make.budget(
        world.family.children[0], ("charity", world.council, 50000, 30), categories=["overnight_short_break"]
    )
    slot = world.make_slot()
    sign_in(world.parent)
    text = page_text(client.get(f"/book/{slot.id}"))
    assert "Which budget should pay?" in text
    assert "Ben's budget can pay for this: £4,500.00 left in its social care and health money." in text
    assert (
        "This short break can be paid only from social care and health, and Ben's budget has none of that."
        in text
    )


def test_a_young_adult_past_the_search_ages_is_not_filled_in(client, make, sign_in):
    family = make.family(children=("Kim",))
    family.children[0].date_of_birth = family.children[0].date_of_birth.replace(year=1990)
    sign_in(make.user("family", family=family))
    page = client.get("/offers")
    assert page.status_code == 200 and 'name="age" type="text" value=""' in page.get_data(as_text=True)
