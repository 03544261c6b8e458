"""Dates typed as people write them (31/12/2026) are accepted wherever a date is typed, and the
examples in hints and messages are dates in the future (issue #17, item 10)."""

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from marketplace.catalog.models import Slot
from marketplace.core.clock import business_date, today
from marketplace.core.schemas import Date, TypedDate, parse_date


@pytest.mark.parametrize(
    "text,day",
    [
        ("31/12/2026", date(2026, 12, 31)),
        ("1/2/2027", date(2027, 2, 1)),
        (" 05/12/2026 ", date(2026, 12, 5)),
        ("2026-12-31", date(2026, 12, 31)),
    ],
)
def test_dates_are_read_as_people_and_programs_write_them(text, day):
    assert parse_date(text) == day
    assert TypedDate().deserialize(text) == day


@pytest.mark.parametrize("text", ["31/13/2026", "12/31/2026", "2026-1-5", "tomorrow", "", "31.12.2026"])
def test_what_is_not_a_date_is_refused_with_a_future_example(text):
    with pytest.raises(Exception) as refused:
        TypedDate().deserialize(text)
    example = re.search(r"Enter a date like (\d\d/\d\d/\d{4})", str(refused.value))
    assert example, str(refused.value)
    assert datetime.strptime(example.group(1), "%d/%m/%Y").date() > today()


def test_json_bodies_keep_iso_dates_as_the_contract_says():
    assert Date().deserialize("2026-12-31") == date(2026, 12, 31)
    with pytest.raises(Exception, match="Not a valid date"):
        Date().deserialize("31/12/2026")


def _hint_dates(html: str) -> list[date]:
    hints = re.findall(r'class="govuk-hint"[^>]*>([^<]*)<', html)
    return [
        datetime.strptime(found, "%d/%m/%Y").date()
        for h in hints
        for found in re.findall(r"\d{2}/\d{2}/\d{4}", h)
    ]


def test_search_takes_uk_dates_and_its_hints_are_future_dates(client, make):
    offer = make.offer()
    make.slot(offer)
    page = client.get("/offers").get_data(as_text=True)
    hinted = _hint_dates(page)
    assert len(hinted) == 2 and all(d > today() for d in hinted)
    until = today() + timedelta(days=60)
    found = client.get(f"/offers?available_from={today():%d/%m/%Y}&available_to={until:%d/%m/%Y}")
    assert found.status_code == 200 and b"govuk-error-summary" not in found.data
    assert offer.title.encode() in found.data
    refused = client.get("/offers?available_from=31/13/2026")
    assert refused.status_code == 422 and b'href="#available_from"' in refused.data
    offer_page = client.get(f"/offers/{offer.id}?from={today():%d/%m/%Y}")
    assert offer_page.status_code == 200 and b"govuk-error-summary" not in offer_page.data
    assert all(d > today() for d in _hint_dates(offer_page.get_data(as_text=True)))


def test_a_provider_adds_a_slot_on_a_date_typed_uk_style(client, make, sign_in, csrf, session):
    profile = make.provider()
    offer = make.offer(profile)
    staff = make.user("provider", org=profile.organisation)
    session.commit()
    sign_in(staff)
    form = client.get(f"/provider/offers/{offer.id}/slots").get_data(as_text=True)
    assert all(d > today() for d in _hint_dates(form)) and _hint_dates(form)
    added = client.post(
        f"/provider/offers/{offer.id}/slots",
        data={
            "csrf_token": csrf(),
            "day": f"{today() + timedelta(days=40):%d/%m/%Y}",
            "start_time": "17:00",
            "end_time": "10:00",
            "capacity": "2",
        },
    )
    assert added.status_code == 302
    starts = session.scalars(select(Slot.starts_at).where(Slot.offer_id == offer.id)).all()
    assert any(business_date(s) == today() + timedelta(days=40) for s in starts)
