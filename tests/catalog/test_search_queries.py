"""Search costs a fixed number of statements, however many offers, providers and areas a page shows:
the count, the ranking, the page's offers (provider and organisation joined), their providers' areas
and their funding streams."""

from contextlib import contextmanager

from sqlalchemy import event

from marketplace.catalog.api import hit_json
from marketplace.catalog.search import OfferFilters, search_offers
from marketplace.core.db import db


@contextmanager
def counted_statements():
    """The SQL statements sent while the block runs (transaction control left out)."""
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_a_page_of_results_and_its_json_take_five_statements(app, session, catalog, make_offer, make_slot):
    providers = [
        catalog.provider(f"Provider {n}", councils=["Brightwater", "Eastshire"], districts=["BW1"])
        for n in range(3)
    ]
    for n in range(9):
        offer = make_offer(providers[n % 3], title=f"Break {n}", funding_streams=["social_care", "health"])
        make_slot(offer, days_ahead=n + 1)
    session.commit()
    session.expunge_all()  # nothing cached: every attribute the response shows must come from the five

    with app.test_request_context(), counted_statements() as statements:
        result = search_offers(session, OfferFilters(per_page=6))
        items = [hit_json(hit) for hit in result.hits]

    assert len(statements) == 5, "\n\n".join(statements)
    assert result.total == 9 and len(items) == 6
    assert items[0]["provider"]["councils"] == ["Brightwater", "Eastshire"]
    assert items[0]["funding_streams"] == ["social_care", "health"]
