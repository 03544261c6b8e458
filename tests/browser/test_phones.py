"""Phone layouts (issue #17 item 8): the menu folds behind a "Menu" button, and search shows its
results first with the filters behind "Filters"; without JavaScript both stay usable, and the
desktop layout is unchanged."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.real_commits]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def open_page(browser, live_server):
    contexts = []

    def _open(viewport, javascript=True):
        context = browser.new_context(base_url=live_server, viewport=viewport, java_script_enabled=javascript)
        context.set_default_timeout(5000)
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()


def menu(page):
    return page.get_by_role("navigation", name="Menu")


def test_the_menu_folds_behind_a_button_on_a_phone(open_page, demo):
    page = open_page(PHONE)
    sign_in(page, demo.tom)
    toggle = menu(page).get_by_role("button", name="Menu")
    find = menu(page).get_by_role("link", name="Find short breaks")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(find).to_be_hidden()

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(find).to_be_visible()
    find.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Find short breaks")

    menu(page).get_by_role("button", name="Menu").click()  # a new page starts folded
    expect(menu(page).get_by_role("link", name="Find short breaks")).to_be_visible()
    menu(page).get_by_role("button", name="Menu").click()
    expect(menu(page).get_by_role("link", name="Find short breaks")).to_be_hidden()


def test_without_javascript_the_phone_menu_is_a_compact_row_of_links(open_page, demo):
    page = open_page(PHONE, javascript=False)
    sign_in(page, demo.tom)
    expect(menu(page).get_by_role("button", name="Menu")).to_be_hidden()
    links = menu(page).get_by_role("link")
    assert links.count() >= 4
    for link in links.all():
        expect(link).to_be_visible()
    tops = {round(link.bounding_box()["y"]) for link in links.all()}
    assert len(tops) < links.count(), "each link on a line of its own: the six-line stack again"
    for path in ("/", "/offers", f"/budgets/{demo.bens_budget_id}", "/bookings"):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path


def test_on_a_wide_screen_the_menu_shows_its_links_and_no_button(open_page, demo):
    page = open_page(DESKTOP)
    sign_in(page, demo.tom)
    expect(menu(page).get_by_role("button", name="Menu")).to_be_hidden()
    expect(menu(page).get_by_role("link", name="Find short breaks")).to_be_visible()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_search_on_a_phone_shows_the_results_first(open_page, demo, javascript):
    page = open_page(PHONE, javascript)
    page.goto("/offers")
    first_result = page.locator(".app-result h2").first
    expect(first_result).to_be_visible()
    assert first_result.bounding_box()["y"] < PHONE["height"], "the first result is below the first screen"
    type_of_break = page.get_by_label("Type of break")
    filters = page.locator("summary", has_text="Filters")
    expect(filters).to_be_visible()
    if javascript:  # folded above the results
        expect(type_of_break).to_be_hidden()
        assert filters.bounding_box()["y"] < first_result.bounding_box()["y"]
        filters.click()
        expect(type_of_break).to_be_visible()
    else:  # open, after the results
        expect(type_of_break).to_be_visible()
        assert type_of_break.bounding_box()["y"] > first_result.bounding_box()["y"]

    type_of_break.select_option(label="Overnight short break")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("summary", has_text="Filters (1 applied)")).to_be_visible()
    titles = page.locator(".app-result h2").all_inner_texts()
    assert titles and all("Splash Saturday swimming" not in title for title in titles)


def test_search_on_a_phone_with_an_error_keeps_the_filters_open(open_page, demo):
    page = open_page(PHONE)
    page.goto("/offers?age=200")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    expect(page.get_by_label("Child's age")).to_be_visible()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_search_on_a_wide_screen_keeps_the_filters_beside_the_results(open_page, demo, javascript):
    page = open_page(DESKTOP, javascript)
    page.goto("/offers")
    expect(page.locator("summary", has_text="Filters")).to_be_hidden()
    type_of_break = page.get_by_label("Type of break")
    first_result = page.locator(".app-result h2").first
    expect(type_of_break).to_be_visible()
    expect(first_result).to_be_visible()
    assert type_of_break.bounding_box()["x"] < first_result.bounding_box()["x"]
    assert abs(type_of_break.bounding_box()["y"] - first_result.bounding_box()["y"]) < 300


def test_a_wide_table_scrolls_in_its_own_focusable_region_on_a_phone(open_page, demo):
    page = open_page(PHONE)
    sign_in(page, demo.tom)
    page.goto(f"/budgets/{demo.bens_budget_id}")
    region = page.get_by_role("region", name="Balances per funding stream")
    expect(region).to_have_attribute("tabindex", "0")
    assert region.evaluate("r => r.scrollWidth > r.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    region.focus()
    page.keyboard.press("ArrowRight")
    for _ in range(20):  # smooth scrolling takes a moment
        if region.evaluate("r => r.scrollLeft") > 0:
            break
        page.wait_for_timeout(100)
    assert region.evaluate("r => r.scrollLeft") > 0, "the arrow key does not scroll the table"

    page.set_viewport_size(DESKTOP)  # the table fits: no extra tab stop
    expect(region).not_to_have_attribute("tabindex", "0")
