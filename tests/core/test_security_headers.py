"""Response headers: a Content-Security-Policy with no inline script, no framing, nosniff, a
referrer policy, HSTS over HTTPS, and no-store on budgets, ISFs and invoices and on every
answer to a signed-in caller."""

import re
from pathlib import Path

import marketplace


def test_every_page_carries_the_security_headers(client):
    response = client.get("/offers")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP: HSTS would be ignored
    api = client.get("/api/v1/offers")
    assert "frame-ancestors 'none'" in api.headers["Content-Security-Policy"]
    assert api.headers["X-Content-Type-Options"] == "nosniff"


def test_hsts_over_https(client):
    response = client.get("/offers", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_no_template_has_inline_script_style_blocks_or_event_handlers():
    """The policy allows neither: a <style> block is dropped by the browser (the budget bars lost
    their colours when one slipped through), so all styles live in static/app.css."""
    templates = Path(marketplace.TEMPLATES_DIR)
    offenders = []
    for path in templates.rglob("*.html"):
        text = path.read_text()
        for match in re.finditer(r"<script\b[^>]*>", text):
            if "src=" not in match.group(0):
                offenders.append(f"{path.name}: inline <script>")
        if re.search(r"<style\b", text):
            offenders.append(f"{path.name}: inline <style> block")
        if re.search(r"\son[a-z]+\s*=", text):
            offenders.append(f"{path.name}: on...= handler")
        if "javascript:" in text:
            offenders.append(f"{path.name}: javascript: URL")
    assert offenders == []


def test_budget_pages_and_json_are_not_stored(client, make, sign_in, bearer):
    commissioner = make.user("commissioner")
    headers = bearer(commissioner)
    api = client.get("/api/v1/budgets", headers=headers)
    assert api.status_code == 200
    assert api.headers["Cache-Control"] == "no-store"
    # even the refusal of a caller who is not signed in is not kept
    assert client.get("/api/v1/isfs").headers["Cache-Control"] == "no-store"
    sign_in(commissioner)
    page = client.get("/budgets")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"


def test_signed_in_pages_are_not_stored_public_ones_may_be(client, make, sign_in):
    assert "no-store" not in client.get("/offers").headers.get("Cache-Control", "")
    sign_in(make.user("family"))
    assert client.get("/dashboard", follow_redirects=True).headers["Cache-Control"] == "no-store"
    assert client.get("/offers").headers["Cache-Control"] == "no-store"
