"""What people read about an ISF says money in pounds, dates UK style and states as labels
(issue #17, item 3): arrears in a drawdown line, amendments of its terms, a decided release."""

import io
from datetime import date

from pypdf import PdfReader

from marketplace.isf import jobs, operations
from marketplace.isf.models import IsfDrawdown


def _text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def test_arrears_are_written_in_pounds_on_the_statement_page_csv_and_pdf(
    client, sign_in, make, world, session
):
    world.example_a()
    world.pay(world.social)  # only the social-care quarter: week 8 falls short (example A)
    jobs.run_weekly_drawdowns(session, date(2026, 5, 31))
    world.pay(world.health)
    jobs.run_weekly_drawdowns(session, date(2026, 6, 1))
    arrears = [d for d in session.query(IsfDrawdown).all() if d.arrears]
    assert [d.arrears for d in arrears] == [23_750]
    parent = make.user("family", family=world.family)
    session.commit()
    sign_in(parent)
    period = "from=2026-04-01&to=2026-06-30"
    page = client.get(f"/isfs/{world.isf.id}/statement?{period}").get_data(as_text=True)
    csv_text = client.get(f"/isfs/{world.isf.id}/statement.csv?{period}").get_data(as_text=True)
    pdf = _text(client.get(f"/isfs/{world.isf.id}/statement.pdf?{period}").data)
    for text in (page, csv_text):
        assert "(including arrears of £237.50)" in text
        assert "23750" not in text and "pence" not in text
    assert "Period 1 April 2026 to 30 June 2026" in pdf and "2026-04-01" not in pdf
    assert "Brightwater Council Social care" in pdf and "social_care" not in pdf
    assert "8% of every drawdown" in pdf and "8.00%" not in pdf


def test_amended_terms_read_in_pounds_percent_and_words(client, sign_in, make, world, session):
    isf = world.example_a()
    operations.amend_isf(
        session,
        isf,
        reason="New plan",
        changes={"weekly_amount": 60_000, "top_slice_bp": 750, "end_date": date(2027, 6, 30)},
    )
    parent = make.user("family", family=world.family)
    session.commit()
    sign_in(parent)
    page = client.get(f"/isfs/{isf.id}").get_data(as_text=True)
    assert "weekly amount £570.00 → £600.00" in page
    assert "top-slice 8% → 7.5%" in page
    assert "end date 31 March 2027 → 30 June 2027" in page
    assert "top_slice_bp" not in page and "57000" not in page and "2027-06-30" not in page


def test_a_decision_note_that_repeats_the_decision_is_not_shown_twice(client, sign_in, make, world, session):
    isf = world.example_a()
    world.pay_quarter_one()
    release = operations.request_release(session, isf, amount=25_000, reason="Extra nights")
    operations.approve_release(session, release, organisation=world.council, note="Approved")
    parent = make.user("family", family=world.family)
    session.commit()
    sign_in(parent)
    page = client.get(f"/isfs/{isf.id}/review?from=2026-04-01&to=2026-06-30").get_data(as_text=True)
    assert "Extra nights: <strong>Approved</strong></li>" in page
    assert "(Approved)" not in page
