"""No machine value reaches a person (issue #17, item 3): the demo data is loaded and, for each
demo sign-in (and a visitor not signed in), every page reachable by following links within the
site is read (GET only, bounded), with every PDF (its text, through pypdf) and CSV linked from
them. None may show a raw pence figure ("36750 pence", or a bare 29500 where £295.00 is meant),
a stored enum value (`social_care`, or "In home care" where the label is "Care at home"), an ISO
date, a percentage with needless zeros ("50.00%"), a label repeated as its own gloss ("approved
(Approved)") or a sentence with its figure missing ("Care delivered: of …")."""

import csv
import enum
import io
import re
from collections import Counter
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from marketplace.accounts import demo as accounts_demo
from marketplace.accounts import models as accounts_models
from marketplace.bookings import models as bookings_models
from marketplace.budgets import models as budgets_models
from marketplace.budgets.models import FundingStream
from marketplace.catalog import demo as catalog_demo
from marketplace.catalog import models as catalog_models
from marketplace.catalog.models import Offer
from marketplace.core.demo import DEMO_PASSWORD, load_demo
from marketplace.invoicing import models as invoicing_models
from marketplace.invoicing.models import Invoice
from marketplace.isf import models as isf_models
from marketplace.isf.models import Isf

MAX_PAGES = 160  # per visitor: the demo's pages, with room to spare
MAX_PER_PATTERN = 3  # /bookings/1, /bookings/2, /bookings/3 say the same things about labels
SKIP = ("/static/", "/sign-out", "/api/", "/openreferral")

ISO_DATE = re.compile(r"\b(19|20|21)\d\d-[01]\d-[0-3]\d\b")
PENCE_WORD = re.compile(r"\b\d[\d,]*\s*pence\b", re.IGNORECASE)
NEEDLESS_ZEROS = re.compile(r"\b\d+\.(\d0|0\d?)%")
SELF_GLOSS = re.compile(r"\b([A-Za-z][A-Za-z ]{2,30}) \(\1\)", re.IGNORECASE)
MISSING_FIGURE = re.compile(r":\s+of\b")
CSV_PLAIN_AMOUNT = re.compile(r"^-?\d+(\.\d\d)?$")  # "3000.00" or "39000" where people read £3,000.00
BARE_NUMBER = re.compile(r"(?<![£\d.,/\w-])(\d{4,})(?![\d.,/\w%-])")


def _enums():
    for module in (
        accounts_models,
        bookings_models,
        budgets_models,
        catalog_models,
        invoicing_models,
        isf_models,
    ):
        for thing in vars(module).values():
            if (
                isinstance(thing, type)
                and issubclass(thing, enum.Enum)
                and thing.__module__ == module.__name__
            ):
                yield thing


def _forbidden_words() -> set[str]:
    """snake_case enum values, and the generic reading of an enum value whose label differs
    ("In home care" where people read "Care at home")."""
    words = set()
    for kind in _enums():
        for member in kind:
            value = str(member.value)
            if "_" in value:
                words.add(value)
            label = getattr(member, "label", None)
            generic = value.replace("_", " ")
            if isinstance(label, str) and "_" in value and label.lower() != generic.lower():
                words.add(generic)
    return words


FORBIDDEN = _forbidden_words()
FORBIDDEN_RE = re.compile(
    r"(?<![\w/.-])(" + "|".join(sorted(map(re.escape, FORBIDDEN), key=len, reverse=True)) + r")(?![\w/.-])",
    re.IGNORECASE,
)


class Page(HTMLParser):
    """The text a person reads (not scripts, not attribute values) and the links on a page."""

    def __init__(self):
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._hidden += 1
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "img" and a.get("alt"):
            self.text.append(a["alt"])
        if tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
            self.text.append(a["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.text.append(data.strip())


def _known_pence(session) -> set[int]:
    """Pence figures of the demo people would recognise as money if written in pounds."""
    amounts = set(session.scalars(select(FundingStream.amount)))
    amounts |= set(session.scalars(select(Offer.price)))
    amounts |= set(session.scalars(select(Isf.weekly_amount)))
    amounts |= set(session.scalars(select(Invoice.total)))
    return {a for a in amounts if a and a >= 10000 and not 1900 <= a <= 2199}


def csv_problems(rows: list[list[str]]) -> list[str]:
    """Every CSV meant for people gives money one way, £1,234.56 (README): never a plain number
    of pounds or pence. Small whole numbers (quantities, line numbers, days) are fine."""
    return [
        f"amount not written as £1,234.56: {cell!r} in {row!r}"[:200]
        for row in rows[1:]
        for cell in row
        if CSV_PLAIN_AMOUNT.match(cell) and ("." in cell or int(cell) >= 1000)
    ]


def problems_in(text: str, known_pence: set[int]) -> list[str]:
    """What a person should never read in this text."""
    found = []
    for pattern, what in (
        (PENCE_WORD, "pence figure"),
        (ISO_DATE, "ISO date"),
        (NEEDLESS_ZEROS, "percentage with needless zeros"),
        (SELF_GLOSS, "label glossed by itself"),
        (MISSING_FIGURE, "figure missing before 'of'"),
        (FORBIDDEN_RE, "enum value"),
    ):
        found += [f"{what}: {_around(text, m)}" for m in pattern.finditer(text)]
    for m in BARE_NUMBER.finditer(text):
        if int(m.group(1)) in known_pence:
            found.append(f"pence figure without a unit: {_around(text, m)}")
    return found


def _around(text: str, match) -> str:
    return repr(text[max(0, match.start() - 40) : match.end() + 40])


def _pattern(url: str) -> str:
    path = urlsplit(url).path
    return re.sub(r"/[0-9]+(?=/|\.|$)", "/N", re.sub(r"/[A-Z]+-[0-9A-Z-]+", "/REF", path)) + (
        "?" if urlsplit(url).query else ""
    )


def _sign_in(client, email):
    client.get("/sign-in")
    with client.session_transaction() as flask_session:
        token = flask_session["_csrf"]
    response = client.post("/sign-in", data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token})
    assert response.status_code == 302, email


def crawl(client, start: list[str], known_pence: set[int]) -> tuple[dict[str, list[str]], Counter]:
    """Breadth-first over same-site links from `start`; returns the problems found per URL and
    how many of each kind of document were read."""
    queue, seen, per_pattern = list(start), set(start), Counter()
    found: dict[str, list[str]] = {}
    read = Counter()
    while queue and sum(read.values()) < MAX_PAGES:
        url = queue.pop(0)
        response = client.get(url)
        assert response.status_code < 500, url
        if response.status_code != 200:
            continue
        kind = response.mimetype
        links: list[str] = []
        if kind == "text/html":
            page = Page()
            page.feed(response.get_data(as_text=True))
            text, links = "\n".join(page.text), page.links
        elif kind == "application/pdf":
            text = "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(response.data)).pages)
        elif kind == "text/csv":
            text = "\n".join(
                " | ".join(row) for row in csv.reader(io.StringIO(response.get_data(as_text=True)))
            )
        else:
            continue
        read[kind] += 1
        if trouble := problems_in(text, known_pence):
            found[url] = found.get(url, []) + trouble
        for href in links:
            target, _ = urldefrag(urljoin(url, href))
            parts = urlsplit(target)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                if not target.startswith("http://localhost/"):
                    continue
                target = target.removeprefix("http://localhost")
            if target in seen or any(target.startswith(s) for s in SKIP):
                continue
            pattern = _pattern(target)
            if per_pattern[pattern] >= MAX_PER_PATTERN:
                continue
            per_pattern[pattern] += 1
            seen.add(target)
            queue.append(target)
    return found, read


# Everyone the demo prints a sign-in for, and a visitor not signed in (None).
VISITORS = [None] + [u[1] for u in accounts_demo.USERS] + [u[1] for u in catalog_demo.EXTRA_USERS]


@pytest.fixture
def demo(session):
    ctx = load_demo(session)
    return ctx


def test_the_crawl_catches_what_it_looks_for():
    known = {36750}
    text = (
        "holds 36750 pence; drawn 36750; 2026-04-06; 50.00%; approved (Approved); "
        "Care delivered: of 2 nights; social_care; In home care"
    )
    kinds = {p.split(":")[0] for p in problems_in(text, known)}
    assert kinds == {
        "pence figure",
        "pence figure without a unit",
        "ISO date",
        "percentage with needless zeros",
        "label glossed by itself",
        "figure missing before 'of'",
        "enum value",
    }
    assert (
        problems_in("£367.50 on 6 April 2026 (06/04/2026), 50% and 12.5%, HIL-000001, Care at home", known)
        == []
    )


def test_every_demo_sign_in_is_crawled(demo):
    assert {email for _role, email, _what in demo["sign_ins"]} <= set(VISITORS)


@pytest.mark.parametrize("visitor", VISITORS, ids=lambda v: (v or "anonymous").split("@")[0])
def test_no_page_pdf_or_csv_of_the_demo_shows_a_machine_value(app, session, demo, visitor):
    client = app.test_client()
    if visitor:
        _sign_in(client, visitor)
    found, read = crawl(client, ["/", "/dashboard", "/offers"], _known_pence(session))
    assert read["text/html"] >= 3, read
    assert found == {}, f"{visitor or 'visitor not signed in'}: {found}"
