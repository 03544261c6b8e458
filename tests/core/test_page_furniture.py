"""Every page links a favicon that the app serves, and a page's back link sits inside a labelled
navigation landmark (issue #17, item 10)."""

import re


def test_every_page_links_a_favicon_that_is_served(client):
    page = client.get("/offers").get_data(as_text=True)
    icon = re.search(r'<link rel="icon" href="([^"]+)"', page)
    assert icon and icon.group(1).startswith("/static/")
    served = client.get(icon.group(1))
    assert served.status_code == 200 and b"<svg" in served.data


def test_the_back_link_is_inside_a_labelled_nav_and_pages_without_one_have_no_empty_nav(
    client, make, session
):
    offer = make.offer()
    session.commit()
    page = client.get(f"/offers/{offer.id}").get_data(as_text=True)
    nav = re.search(r'<nav class="app-back-nav" aria-label="Back">(.*?)</nav>', page, re.S)
    assert nav and 'class="govuk-back-link"' in nav.group(1)
    assert page.count("govuk-back-link") == 1  # not also outside the landmark
    assert 'aria-label="Back"' not in client.get("/offers").get_data(as_text=True)
