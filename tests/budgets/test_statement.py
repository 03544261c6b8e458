"""The statement of every movement, per stream and combined, on the page and as CSV."""

import csv
import io

from marketplace.budgets import operations as budgets
from marketplace.budgets.balances import statement


def rows(response):
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_statement_lines_carry_a_running_balance(session, world, spend):
    spend(world.social, 59000, world.hospice)
    budgets.amend_stream(session, world.health, actor=None, reason="More", amount=160000)
    combined = statement(session, world.budget)
    assert [
        (line.stream.kind.value, line.code, line.money_in, line.money_out, line.balance) for line in combined
    ] == [
        ("social_care", "allocation", 300000, 0, 300000),
        ("health", "allocation", 150000, 0, 450000),
        ("social_care", "post", 0, 59000, 391000),
        ("health", "top_up", 10000, 0, 401000),
    ]
    health = statement(session, world.budget, world.health)
    assert [line.balance for line in health] == [150000, 160000]
    assert health[1].description == "Top-up from NHS Brightwater ICB"


def test_csv_export_combined_and_per_stream(client, session, world, sign_in, spend):
    spend(world.social, 59000, world.hospice)
    session.commit()
    sign_in(world.parent)
    response = client.get(f"/budgets/{world.budget.id}/statement.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    table = rows(response)
    assert table[0] == [
        "Date",
        "Stream",
        "Funder",
        "Description",
        "Reference",
        "Money in",
        "Money out",
        "Balance",
    ]
    # one money format for every CSV meant for people: £1,234.56; dates DD/MM/YYYY; names, not ids
    assert table[1] == [
        "01/04/2026",
        "Social care",
        "Brightwater Council",
        "Allocation from Brightwater Council",
        f"PO {world.social.po_number}",
        "£3,000.00",
        "£0.00",
        "£3,000.00",
    ]
    assert [r[7] for r in table[1:]] == ["£3,000.00", "£4,500.00", "£3,910.00"]
    health = rows(client.get(f"/budgets/{world.budget.id}/statement.csv?stream=health"))
    assert [r[1] for r in health[1:]] == ["Health"] and health[1][7] == "£1,500.00"
    by_id = rows(client.get(f"/budgets/{world.budget.id}/statement.csv?stream={world.social.id}"))
    assert [r[7] for r in by_id[1:]] == ["£3,000.00", "£2,410.00"]


def test_unknown_stream_is_a_422_naming_the_field(client, world, sign_in):
    sign_in(world.parent)
    response = client.get(f"/budgets/{world.budget.id}/statement.csv?stream=education")
    assert response.status_code == 422
    assert b'href="#stream"' in response.data
    assert client.get(f"/budgets/{world.budget.id}?stream=lottery").status_code == 422


def test_budget_page_shows_balances_chart_and_statement(client, session, world, sign_in, spend):
    spend(world.social, 59000, world.hospice, post=False)
    session.commit()
    sign_in(world.parent)
    page = client.get(f"/budgets/{world.budget.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "£3,910.00" in text and "£590.00" in text  # available and held, example B
    assert 'class="app-stack__held" style="width: 13%"' in text  # 590/4500 of the total bar
    assert "Allocation from NHS Brightwater ICB" in text
    assert "Ben sleeps over with friends" in text
    assert "Amend the" not in text and "Mark as" not in text  # the family does not amend
    health_only = client.get(f"/budgets/{world.budget.id}?stream=health").get_data(as_text=True)
    assert "Health stream" in health_only and "Allocation from Brightwater Council" not in health_only
