"""The bookings list shows upcoming stays first (soonest first), then past ones (latest first),
each with its start and end (issue #17, item 10)."""

import re
from datetime import timedelta

from marketplace.bookings import operations as bookings
from marketplace.core.clock import utcnow
from marketplace.core.templating import uk_date


def _rows(html: str, caption: str) -> list[str]:
    table = html.split(f">{caption}</caption>", 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", table, re.S)[1:]


def test_upcoming_soonest_first_then_past_latest_first_with_end_dates(client, session, world, sign_in):
    later = world.make_slot(days_ahead=20)
    sooner = world.make_slot(days_ahead=5)
    done = world.make_slot(days_ahead=3)
    long_ago = world.make_slot(days_ahead=4)
    made = {}
    for name, slot in (("later", later), ("sooner", sooner), ("done", done), ("long_ago", long_ago)):
        made[name] = bookings.book(session, actor=world.parent, slot=slot, budget=world.budget, units=1)
    # two stays are over: move their dates into the past (as time passing would)
    now = utcnow().replace(microsecond=0)
    done.starts_at, done.ends_at = now - timedelta(days=2), now - timedelta(days=1)
    long_ago.starts_at, long_ago.ends_at = now - timedelta(days=30), now - timedelta(days=29)
    session.commit()
    sign_in(world.parent)
    page = client.get("/bookings").get_data(as_text=True)
    assert page.index(">Upcoming</caption>") < page.index(">Past</caption>")
    upcoming, past = _rows(page, "Upcoming"), _rows(page, "Past")
    assert [f'/bookings/{made[n].id}"' in r for n, r in zip(("sooner", "later"), upcoming, strict=True)] == [
        True
    ] * 2
    assert [f'/bookings/{made[n].id}"' in r for n, r in zip(("done", "long_ago"), past, strict=True)] == [
        True
    ] * 2
    assert uk_date(sooner.ends_at) in upcoming[0] and uk_date(long_ago.ends_at) in past[1]
    assert '<th scope="col" class="govuk-table__header">Ends</th>' in page
