"""Every page each demo person can reach, on a 390 px wide phone: nothing scrolls sideways and
axe-core finds no serious or critical accessibility violation (issue #17 item 8, "Prove it").

One browser, one context per person. The crawl follows same-site links (GET only) from the page
the person lands on after signing in, skips downloads (PDF, CSV, XML), the API and sign-out, and
stops at MAX_PAGES per person. To keep the run short it visits at most PER_KIND pages of one kind
(/offers/3 and /offers/7 are one kind) per person, checks overflow on each, and runs axe once per
kind per role (the two families share, as do the two commissioners)."""

import re
from importlib import resources
from urllib.parse import urldefrag, urlsplit

import pytest

from marketplace.core.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.real_commits]

PHONE = {"width": 390, "height": 844}
MAX_PAGES = 40
PER_KIND = 3
PEOPLE = [  # (e-mail, role)
    ("sarah@amys-family.example", "family"),
    ("tom@bens-family.example", "family"),
    ("finance@hilltop.example", "provider"),
    ("sen-team@brightwater.example", "commissioner"),
    ("chc@brightwater-icb.example", "commissioner"),
    ("admin@platform.example", "admin"),
]
SKIP = re.compile(r"(\.(pdf|csv|xml|json)$)|^/(api|openreferral|static)(/|$)|sign-out")
LINKS = """() => Array.from(document.querySelectorAll('a[href]'), a => a.href)"""
OVERFLOW = """() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
  widest: Array.from(document.querySelectorAll('body *'))
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
    .slice(-3).map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ')[0] : '')
      + ' ' + Math.round(e.getBoundingClientRect().right) + 'px')})"""


def kind_of_page(path):
    """/offers/12/slots and /offers/7/slots are the same kind of page."""
    return re.sub(r"/\d+(?=/|$)", "/<id>", path)


def serious_violations(page, axe_source):
    page.evaluate(axe_source)
    violations = page.evaluate(
        "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map("
        "v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 2).map(n => n.target.join(' '))})))"
    )
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def crawl(page, base, axe_source, problems, axed):
    """Visits the pages; `axed` holds the kinds of page axe has already checked for this role."""
    kinds, visited = {}, []
    queue, queued = ["/"], {"/"}
    while queue and len(visited) < MAX_PAGES:
        target = queue.pop(0)
        kind = kind_of_page(urlsplit(target).path)
        if kinds.get(kind, 0) >= PER_KIND:
            continue
        response = page.goto(base + target)
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        visited.append(target)
        kinds[kind] = kinds.get(kind, 0) + 1
        if response.status >= 400:
            problems.append(f"{target}: HTTP {response.status}")
            continue
        width = page.evaluate(OVERFLOW)
        if width["scroll"] > width["inner"]:
            problems.append(f"{target}: {width['scroll']} px wide at {width['inner']} px ({width['widest']})")
        if kind not in axed:
            axed.add(kind)
            for v in serious_violations(page, axe_source):
                problems.append(f"{target}: axe {v['impact']} {v['id']} at {v['nodes']}")
        for href in page.evaluate(LINKS):
            url = urlsplit(urldefrag(href)[0])
            if f"{url.scheme}://{url.netloc}" != base:
                continue
            path = url.path + (f"?{url.query}" if url.query else "")
            if path not in queued and not SKIP.search(url.path):
                queued.add(path)
                queue.append(path)
    return visited


def test_every_page_fits_a_phone_and_passes_axe(browser, live_server, demo):
    axe_source = resources.files("axe_playwright_python").joinpath("axe.min.js").read_text()
    problems, counts, axed = [], {}, {}
    for email, role in PEOPLE:
        context = browser.new_context(base_url=live_server, viewport=PHONE, java_script_enabled=True)
        context.set_default_timeout(10000)
        page = context.new_page()
        page.goto("/sign-in")
        page.get_by_label("E-mail address").fill(email)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        assert "/sign-in" not in page.url, f"{email} could not sign in"
        mine = []
        visited = crawl(page, live_server, axe_source, mine, axed.setdefault(role, set()))
        counts[email] = len(visited)
        problems += [f"{email} {problem}" for problem in mine]
        context.close()
    # the checks can fail: a page that does scroll sideways, an image with no text alternative
    context = browser.new_context(base_url=live_server, viewport=PHONE)
    page = context.new_page()
    page.goto("/")
    page.evaluate("""() => { const img = document.createElement('img'); img.src = '/static/favicon.svg';
      img.style.width = '600px'; document.querySelector('main').append(img); }""")
    assert page.evaluate(OVERFLOW)["scroll"] > PHONE["width"]
    assert "image-alt" in [v["id"] for v in serious_violations(page, axe_source)]
    context.close()

    assert all(count >= 5 for count in counts.values()), counts  # the crawl found the menu's pages
    assert problems == [], "\n".join(problems)
