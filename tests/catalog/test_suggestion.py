"""A misspelt search that finds nothing suggests the near word from the catalogue (issue #17,
item 10): "overnigth" -> "Did you mean overnight?", linking to that search."""

from html import unescape

from marketplace.catalog.suggest import suggest


def test_a_misspelt_word_suggests_the_catalogues_word(client, make):
    make.offer(title="Overnight short break")
    page = client.get("/offers?q=overnigth&age=10").get_data(as_text=True)
    assert "0 offers found" in page
    assert "Did you mean" in page and ">overnight</a>?" in page
    link = unescape(page[page.index('id="suggestion"') :].split('href="', 1)[1].split('"', 1)[0])
    assert "q=overnight" in link and "age=10" in link  # the same search, the word corrected
    followed = client.get(link).get_data(as_text=True)
    assert "1 offer found" in followed and "Did you mean" not in followed


def test_no_suggestion_when_the_search_finds_something_or_nothing_is_near(client, make, session):
    make.offer(title="Overnight short break")
    assert "Did you mean" not in client.get("/offers?q=overnight").get_data(as_text=True)
    assert "Did you mean" not in client.get("/offers?q=zzqx").get_data(as_text=True)
    assert suggest(session, "short overnigth") == "short overnight"
    assert suggest(session, "hydrotherepy") == "hydrotherapy"  # from the category labels
    assert suggest(session, "") is None
