"""Accessibility basics on every main page, for each kind of visitor, on the demo data: a <title>,
exactly one <h1>, the skip link to the main content, every form field labelled, no id used twice,
and every error-summary link pointing at something on the page. Uses the Flask test client (no
browser needed), so it runs everywhere."""

from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.bookings.models import Booking
from marketplace.catalog.models import Slot
from marketplace.core.demo import DEMO_PASSWORD, load_demo
from marketplace.isf import operations as isf_ops


class PageFacts(HTMLParser):
    """What the checks need from one page."""

    def __init__(self):
        super().__init__()
        self.title, self.h1s, self.ids, self.duplicate_ids = "", 0, set(), set()
        self.fields, self.labels_for, self.summary_links, self.skip_links = [], set(), [], []
        self._in_title, self._label_depth, self._in_summary = False, 0, False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            (self.duplicate_ids if a["id"] in self.ids else self.ids).add(a["id"])
        if tag == "title":
            self._in_title = True
        elif tag == "h1":
            self.h1s += 1
        elif tag == "label":
            self._label_depth += 1
            if a.get("for"):
                self.labels_for.add(a["for"])
        elif tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit", "button"):
            wrapped = self._label_depth > 0 or "aria-label" in a or "aria-labelledby" in a
            self.fields.append((a.get("name"), a.get("id"), wrapped))
        elif tag == "div" and "govuk-error-summary" in (a.get("class") or "").split():
            self._in_summary = True
        elif tag == "a" and self._in_summary:
            self.summary_links.append(a.get("href", ""))
        elif tag == "a" and "govuk-skip-link" in (a.get("class") or ""):
            self.skip_links.append(a.get("href"))

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        elif tag == "label":
            self._label_depth -= 1
        elif tag == "ul" and self._in_summary:
            self._in_summary = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def problems(html: str) -> list[str]:
    page = PageFacts()
    page.feed(html)
    found = []
    if not page.title.strip():
        found.append("no <title>")
    if page.h1s != 1:
        found.append(f"{page.h1s} <h1> elements")
    if page.skip_links != ["#main-content"] or "main-content" not in page.ids:
        found.append("no skip link to #main-content")
    for name, id_, wrapped in page.fields:
        if not wrapped and (id_ is None or id_ not in page.labels_for):
            found.append(f"field {name!r} has no label")
    if page.duplicate_ids:
        found.append(f"ids used twice: {sorted(page.duplicate_ids)}")
    for href in page.summary_links:
        if not href.startswith("#") or href[1:] not in page.ids:
            found.append(f"error summary link {href!r} points at nothing")
    return found


def _sign_in(client, email):
    client.get("/sign-in")
    with client.session_transaction() as session:
        token = session["_csrf"]
    response = client.post("/sign-in", data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token})
    assert response.status_code == 302, email


def _pages(session, ctx) -> dict[str | None, list[str]]:
    """The main pages of each kind of visitor (None: not signed in), as (method, url, form) tuples."""
    budget, isf, offer = ctx["bens_budget"].id, ctx["amys_isf"].id, ctx["hilltop_overnight"].id
    amys_budget = ctx["amys_isf"].budget_id
    booking = session.scalar(select(Booking.id).order_by(Booking.id.desc()))
    slot = session.scalar(select(Slot.id).where(Slot.offer_id == offer).order_by(Slot.starts_at).offset(5))
    return {
        None: [
            "/",
            "/offers",
            "/offers?category=overnight_short_break&age=10",
            "/offers?age=six&max_price=lots",  # the error summary
            f"/offers/{offer}",
            f"/providers/{ctx['hilltop_overnight'].provider_id}",
            "/sign-in",
        ],
        "tom@bens-family.example": [
            "/families/bens-family",
            f"/offers/{offer}",
            f"/book/{slot}/units?budget_id={budget}",
            f"/book/{slot}/check?budget_id={budget}&units=2",
            "/bookings",
            f"/bookings/{booking}",
            f"/bookings/{booking}/cancel",
            "/budgets",
            f"/budgets/{budget}",
            "/inbox",
            "/ras",
            "/account",
        ],
        "sarah@amys-family.example": [
            "/families/amys-family",
            "/isfs",
            f"/isfs/{isf}",
            f"/budgets/{amys_budget}",
        ],
        "finance@hilltop.example": [
            "/dashboard",
            "/bookings",
            f"/bookings/{booking}",
            "/isfs",
            f"/isfs/{isf}",
            f"/isfs/{isf}/statement",
            "/provider/offers",
            f"/provider/offers/{offer}/edit",
            f"/provider/offers/{offer}/slots",
            "/provider/profile",
        ],
        "sen-team@brightwater.example": [
            "/dashboard",
            "/budgets",
            f"/budgets/{budget}",
            "/budgets/new",
            f"/isfs/{isf}",
            "/ras",
        ],
        "admin@platform.example": ["/dashboard", "/admin/providers", "/budgets", "/isfs"],
    }


VISITORS = [
    None,
    "tom@bens-family.example",
    "sarah@amys-family.example",
    "finance@hilltop.example",
    "sen-team@brightwater.example",
    "admin@platform.example",
]


@pytest.mark.parametrize("visitor", VISITORS, ids=lambda v: (v or "anonymous").split("@")[0])
def test_main_pages_have_title_one_h1_skip_link_and_labelled_fields(client, session, visitor):
    ctx = load_demo(session)
    hilltop = session.scalar(select(User).where(User.email == "finance@hilltop.example"))
    isf_ops.request_release(session, ctx["amys_isf"], amount=25000, reason="Extra nights", actor=hilltop)
    urls = _pages(session, ctx)[visitor]
    if visitor:
        _sign_in(client, visitor)
    found = {}
    for url in urls:
        response = client.get(url)
        expected = 422 if "six" in url else 200
        assert response.status_code == expected, url
        if trouble := problems(response.get_data(as_text=True)):
            found[url] = trouble
    assert found == {}


def _post(client, url, data):
    with client.session_transaction() as flask_session:
        token = flask_session["_csrf"]
    response = client.post(url, data={**data, "csrf_token": token})
    return response.status_code, response.get_data(as_text=True)


def test_refused_forms_link_their_errors_to_the_fields(client, session):
    """Forms refused with errors still pass every check, and each summary link points at the field
    of the form that was sent (pages with two forms asking the same thing included)."""
    ctx = load_demo(session)
    offer, isf = ctx["hilltop_overnight"].id, ctx["amys_isf"].id
    slot = session.scalar(select(Slot.id).where(Slot.offer_id == offer).order_by(Slot.starts_at).offset(5))
    _sign_in(client, "tom@bens-family.example")
    status, html = _post(client, f"/book/{slot}/units", {"units": "lots", "budget_id": ctx["bens_budget"].id})
    assert status == 422 and 'href="#units"' in html and problems(html) == []

    _sign_in(client, "finance@hilltop.example")  # the same browser, now Hilltop's finance officer
    status, html = _post(client, f"/isfs/{isf}/releases", {"amount": "lots", "reason": "Extra nights"})
    assert status == 422 and 'href="#release-amount"' in html and problems(html) == []
    status, html = _post(
        client,
        f"/isfs/{isf}/receipts",
        {"stream_id": "family", "amount": "", "received_on": "soon", "reference": "x"},
    )
    assert status == 422 and 'href="#received_on"' in html and problems(html) == []
    status, html = _post(
        client, f"/provider/offers/{offer}/slots/pattern", {"day": "tomorrow", "capacity": "2"}
    )
    assert status == 422 and 'href="#p_day"' in html and problems(html) == []
