"""Who may reach what: every route of the app's URL map × every role, against the table below.

The table says, for each route and method, which roles are ALLOWED; every other role must be
REFUSED: 401/403/404, or (a page) a redirect to sign-in. "Allowed" means not refused: a page or
JSON (2xx), a redirect elsewhere, or a 409/422 for the empty form or body we send (the matrix is
about refusals, so a state-changing POST is sent empty or with nothing but its CSRF token, and
each test's transaction is rolled back). A 500 always fails. A route of the URL map without a
row fails `test_every_route_has_a_row`, so a new route cannot ship without saying who may use it.

The world (tests/core/roles_world.py) is built once for the module and committed; pages are
called with a session signed in through the sign-in form, /api/v1 with a bearer token.

Cells marked KNOWN_HOLES are routes that today let in a role the table says they should refuse:
they are xfail (strict) so the day one is closed the suite says so and the mark must go.
"""

import os
from urllib.parse import urlsplit

import pytest
from flask import Flask

from marketplace.accounts import operations as accounts_ops
from marketplace.core.db import db
from tests.conftest import empty_every_table
from tests.core.roles_world import ROLES, build_world, sign_in_client

ANYONE = frozenset(ROLES)
SIGNED_IN = ANYONE - {"anonymous"}
NOBODY = frozenset()


def only(*roles: str) -> frozenset:
    unknown = set(roles) - ANYONE
    assert not unknown, unknown
    return frozenset(roles)


# Who is concerned with the world's things.
FAMILY_SIDE = only("family", "admin")
PROVIDER_SIDE = only("provider", "admin")
FUNDER_SIDE = only("commissioner", "admin")
BUDGET_PARTIES = only("family", "commissioner", "admin")
BOOKING_PARTIES = only("family", "provider", "admin")
BOOKING_VIEWERS = only("family", "provider", "commissioner", "admin")  # the funder sees what it pays for
ISF_PARTIES = only("family", "provider", "commissioner", "admin")
ISF_AGREERS = only("provider", "commissioner")
INVOICE_PARTIES = only("provider", "commissioner", "admin")  # the issuer and the payer (the council)
# a thread is between the parties themselves: admins (and a booking's funder) may see, not join
MESSAGE_BOOKING_PARTIES = only("family", "provider")
MESSAGE_ISF_PARTIES = only("family", "provider", "commissioner")
ANY_PROVIDER = only("provider", "other_provider", "admin")
ANY_COMMISSIONER = only("commissioner", "other_commissioner", "admin")

# "METHOD rule" -> the roles allowed. Every other role must be refused.
EXPECTED: dict[str, frozenset] = {
    # ---- open pages and feeds
    "GET /": ANYONE,
    "GET /healthz": ANYONE,
    "GET /static/<path:filename>": ANYONE,
    "GET /sign-in": ANYONE,
    "POST /sign-in": ANYONE,  # the form itself (an empty one is a 422)
    "POST /sign-out": ANYONE,  # signing out when not signed in just goes home
    "GET /api/docs": ANYONE,
    "GET /offers": ANYONE,
    "GET /offers/<int:offer_id>": ANYONE,
    "GET /providers/<int:profile_id>": ANYONE,  # verified providers only (404 otherwise)
    "GET /openreferral/": ANYONE,
    "GET /openreferral/organizations": ANYONE,
    "GET /openreferral/organizations/<oruk_id>": ANYONE,
    "GET /openreferral/services": ANYONE,
    "GET /openreferral/services/<oruk_id>": ANYONE,
    "GET /openreferral/taxonomies": ANYONE,
    "GET /openreferral/taxonomy_terms": ANYONE,
    # ---- ways in (issue #17): a link's token is the key, whoever holds it; an empty form is a 422
    "GET /invitations/<invitation_token>": ANYONE,
    "POST /invitations/<invitation_token>": ANYONE,
    "GET /reset-password/<reset_token>": ANYONE,
    "POST /reset-password/<reset_token>": ANYONE,
    "GET /confirm-email/<confirm_token>": ANYONE,
    "POST /confirm-email/<confirm_token>": ANYONE,
    "GET /join/provider": ANYONE,
    "POST /join/provider": ANYONE,
    # a commissioner (any) or an admin invites a family; which families it may name is checked inside
    "GET /invite-family": ANY_COMMISSIONER,
    "POST /invite-family": ANY_COMMISSIONER,
    # ---- anyone signed in
    "GET /dashboard": SIGNED_IN,
    "GET /inbox": SIGNED_IN,
    "POST /inbox/read": SIGNED_IN,
    "GET /account": SIGNED_IN,
    "POST /account/password": SIGNED_IN,  # an empty form is a 422
    "GET /organisations/<int:org_id>/invoicing": PROVIDER_SIDE,  # its staff (Hilltop's) and admins
    "POST /organisations/<int:org_id>/invoicing": PROVIDER_SIDE,
    # only the token's owner revokes it (the world's spare token is the family's)
    "POST /account/tokens/<int:token_id>/revoke": only("family"),
    "GET /bookings": SIGNED_IN,  # each sees only their own (checked in tests/bookings)
    "GET /budgets": SIGNED_IN,
    "GET /isfs": SIGNED_IN,
    "GET /families/<slug>": FAMILY_SIDE,
    # ---- booking, as the family
    # choosing a budget: any family (and admin) may start; the later steps carry Ben's budget
    "GET /book/<int:slot_id>": only("family", "other_family", "admin"),
    "POST /book/<int:slot_id>": only("family", "other_family", "admin"),
    "GET /book/<int:slot_id>/units": FAMILY_SIDE,
    "POST /book/<int:slot_id>/units": FAMILY_SIDE,
    "GET /book/<int:slot_id>/outcome": FAMILY_SIDE,
    "POST /book/<int:slot_id>/outcome": FAMILY_SIDE,
    "GET /book/<int:slot_id>/check": FAMILY_SIDE,
    "POST /book/<int:slot_id>/check": FAMILY_SIDE,
    "GET /bookings/<int:booking_id>": BOOKING_VIEWERS,
    "GET /bookings/<int:booking_id>/messages": MESSAGE_BOOKING_PARTIES,
    "POST /bookings/<int:booking_id>/messages": MESSAGE_BOOKING_PARTIES,
    "POST /bookings/<int:booking_id>/<any(confirm, decline, deliver, 'no-show', bump):action>": PROVIDER_SIDE,
    "GET /bookings/<int:booking_id>/cancel": BOOKING_PARTIES,
    "POST /bookings/<int:booking_id>/cancel": BOOKING_PARTIES,
    # ---- budgets and support plans
    "GET /budgets/new": ANY_COMMISSIONER,
    "POST /budgets/new": ANY_COMMISSIONER,
    "GET /budgets/<budget_id>": BUDGET_PARTIES,
    "GET /budgets/<budget_id>/statement.csv": BUDGET_PARTIES,
    "POST /budgets/<budget_id>/outcomes": BUDGET_PARTIES,
    "POST /budgets/<budget_id>/outcomes/<outcome_id>": BUDGET_PARTIES,
    "POST /budgets/<budget_id>/status": FUNDER_SIDE,
    "GET /budgets/<budget_id>/streams/<stream_id>/amend": FUNDER_SIDE,
    "POST /budgets/<budget_id>/streams/<stream_id>/amend": FUNDER_SIDE,
    "GET /budgets/<int:budget_id>/isf/new": only("commissioner"),
    "POST /budgets/<int:budget_id>/isf/new": only("commissioner"),
    # a published RAS is for families and commissioners to read; a family answers it for its own
    # children, a commissioner for the children it funds
    "GET /ras": SIGNED_IN,
    "GET /ras/new": only("commissioner", "other_commissioner"),
    "POST /ras/new": only("commissioner", "other_commissioner"),
    "GET /ras/<ras_id>": only("family", "other_family", "commissioner", "other_commissioner", "admin"),
    "GET /ras/<ras_id>/assess": only("family", "other_family", "commissioner", "admin"),
    "POST /ras/<ras_id>/assess": only("family", "other_family", "commissioner", "admin"),
    "POST /ras/<ras_id>/publish": FUNDER_SIDE,
    "GET /ras/assessments/<assessment_id>": only("family", "commissioner", "admin"),
    # ---- ISFs
    "GET /isfs/<int:isf_id>": ISF_PARTIES,
    "GET /isfs/<int:isf_id>/messages": MESSAGE_ISF_PARTIES,
    "POST /isfs/<int:isf_id>/messages": MESSAGE_ISF_PARTIES,
    "GET /isfs/<int:isf_id>/statement": ISF_PARTIES,
    "GET /isfs/<int:isf_id>/statement.<any(csv, pdf):fmt>": ISF_PARTIES,
    "GET /isfs/<int:isf_id>/review": ISF_PARTIES,
    "GET /isfs/<int:isf_id>/review.<any(pdf):fmt>": ISF_PARTIES,
    # the ISF's money and terms: only its two parties act (an admin reads but does not act)
    "POST /isfs/<int:isf_id>/agree": ISF_AGREERS,
    "GET /isfs/<int:isf_id>/amend": ISF_AGREERS,
    "POST /isfs/<int:isf_id>/amend": ISF_AGREERS,
    "POST /isfs/<int:isf_id>/receipts": only("provider"),
    "POST /isfs/<int:isf_id>/releases": only("provider"),
    "POST /isfs/<int:isf_id>/releases/<int:release_id>/<any(approve, refuse):decision>": only("commissioner"),
    "GET /isfs/<int:isf_id>/unpark": only("provider"),  # what un-parking will post, to confirm
    "POST /isfs/<int:isf_id>/unpark": only("provider"),
    # ---- the provider's side of the catalogue
    # a provider's own pages: an admin belongs to no provider, so has none
    "GET /provider/offers": ANY_PROVIDER - {"admin"},
    "GET /provider/offers/new": ANY_PROVIDER - {"admin"},
    "POST /provider/offers/new": ANY_PROVIDER - {"admin"},
    "GET /provider/profile": ANY_PROVIDER - {"admin"},
    "POST /provider/profile": ANY_PROVIDER - {"admin"},
    "GET /provider/offers/<int:offer_id>/edit": PROVIDER_SIDE,
    "POST /provider/offers/<int:offer_id>/edit": PROVIDER_SIDE,
    "POST /provider/offers/<int:offer_id>/archive": PROVIDER_SIDE,
    "POST /provider/offers/<int:offer_id>/publish": PROVIDER_SIDE,
    "GET /provider/offers/<int:offer_id>/slots": PROVIDER_SIDE,
    "POST /provider/offers/<int:offer_id>/slots": PROVIDER_SIDE,
    "POST /provider/offers/<int:offer_id>/slots/pattern": PROVIDER_SIDE,
    "POST /provider/slots/<int:slot_id>/close": PROVIDER_SIDE,
    "GET /admin/providers": only("admin"),
    # the admin console (issue #17 item 9)
    "GET /admin": only("admin"),
    "GET /admin/users": only("admin"),
    "GET /admin/users/invite": only("admin"),
    "POST /admin/users/invite": only("admin"),
    "POST /admin/users/<int:user_id>/deactivate": only("admin"),
    "POST /admin/users/<int:user_id>/reactivate": only("admin"),
    "POST /admin/users/<int:user_id>/reset-sign-in": only("admin"),
    "GET /admin/organisations": only("admin"),
    "GET /admin/families": only("admin"),
    "GET /admin/audit": only("admin"),
    "POST /admin/providers/<int:org_id>/verification": only("admin"),
    # ---- the JSON API
    "GET /api/v1/openapi.json": ANYONE,
    "GET /api/v1/me": SIGNED_IN,
    "GET /api/v1/offers": ANYONE,
    "GET /api/v1/offers/<int:offer_id>": ANYONE,
    "GET /api/v1/offers/<int:offer_id>/slots": ANYONE,
    "POST /api/v1/offers/<int:offer_id>/slots": PROVIDER_SIDE,
    "GET /api/v1/budgets": SIGNED_IN,
    "GET /api/v1/budgets/<budget_id>": BUDGET_PARTIES,
    "GET /api/v1/bookings": SIGNED_IN,
    "POST /api/v1/bookings": SIGNED_IN,  # an empty body is a 422 for anyone signed in
    "GET /api/v1/bookings/<int:booking_id>": BOOKING_VIEWERS,
    "GET /api/v1/bookings/<int:booking_id>/messages": MESSAGE_BOOKING_PARTIES,
    "POST /api/v1/bookings/<int:booking_id>/messages": MESSAGE_BOOKING_PARTIES,
    "POST /api/v1/bookings/<int:booking_id>/confirm": PROVIDER_SIDE,
    "POST /api/v1/bookings/<int:booking_id>/decline": PROVIDER_SIDE,
    "POST /api/v1/bookings/<int:booking_id>/deliver": PROVIDER_SIDE,
    "POST /api/v1/bookings/<int:booking_id>/no-show": PROVIDER_SIDE,
    "POST /api/v1/bookings/<int:booking_id>/bump": PROVIDER_SIDE,
    "POST /api/v1/bookings/<int:booking_id>/cancel": BOOKING_PARTIES,
    "GET /api/v1/isfs": SIGNED_IN,
    "GET /api/v1/isfs/<int:isf_id>": ISF_PARTIES,
    "GET /api/v1/isfs/<int:isf_id>/statement": ISF_PARTIES,
    "POST /api/v1/isfs/<int:isf_id>/agree": ISF_AGREERS,
    "POST /api/v1/isfs/<int:isf_id>/receipts": only("provider"),
    "POST /api/v1/isfs/<int:isf_id>/releases": only("provider"),
    "POST /api/v1/isfs/<int:isf_id>/releases/<int:release_id>/approve": only("commissioner"),
    "POST /api/v1/isfs/<int:isf_id>/releases/<int:release_id>/refuse": only("commissioner"),
    "POST /api/v1/isfs/<int:isf_id>/unpark": only("provider"),
    "GET /api/v1/invoices": SIGNED_IN,
    "GET /api/v1/invoices/<int:invoice_id>": INVOICE_PARTIES,
    "GET /api/v1/invoices/<int:invoice_id>.csv": INVOICE_PARTIES,
    "GET /api/v1/invoices/<int:invoice_id>.pdf": INVOICE_PARTIES,
    "GET /api/v1/invoices/<int:invoice_id>.xml": INVOICE_PARTIES,
    "GET /invoices": SIGNED_IN,
    "GET /invoices.csv": SIGNED_IN,  # the caller's own list (filtered), as a CSV
    "GET /invoices/<int:invoice_id>": INVOICE_PARTIES,
    "GET /invoices/<int:invoice_id>.csv": INVOICE_PARTIES,
    "GET /invoices/<int:invoice_id>.pdf": INVOICE_PARTIES,
    "GET /invoices/<int:invoice_id>.xml": INVOICE_PARTIES,
    "GET /invoices/run": only("provider", "other_provider"),  # provider staff run their own
    "POST /invoices/run": only("provider", "other_provider"),
    # ---- credit notes: seen by the invoice's parties; issued only by its issuer (not the payer, not an admin)
    "GET /api/v1/credit-notes": SIGNED_IN,
    "GET /api/v1/credit-notes/<int:credit_note_id>": INVOICE_PARTIES,
    "GET /api/v1/credit-notes/<int:credit_note_id>.csv": INVOICE_PARTIES,
    "GET /api/v1/credit-notes/<int:credit_note_id>.pdf": INVOICE_PARTIES,
    "GET /api/v1/credit-notes/<int:credit_note_id>.xml": INVOICE_PARTIES,
    "POST /api/v1/invoices/<int:invoice_id>/credit-notes": only("provider"),
    "GET /credit-notes/<int:credit_note_id>": INVOICE_PARTIES,
    "GET /credit-notes/<int:credit_note_id>.csv": INVOICE_PARTIES,
    "GET /credit-notes/<int:credit_note_id>.pdf": INVOICE_PARTIES,
    "GET /credit-notes/<int:credit_note_id>.xml": INVOICE_PARTIES,
    "GET /invoices/<int:invoice_id>/credit-notes/new": only("provider"),
    "POST /invoices/<int:invoice_id>/credit-notes": only("provider"),
    # ---- payments received: the issuing provider records and reverses; the payer only reads
    "POST /api/v1/invoices/<int:invoice_id>/payments": only("provider"),
    # an empty body is a 422 for providers, and for payers' staff recording a payment they made
    "POST /api/v1/payments": only("provider", "other_provider", "commissioner", "other_commissioner"),
    "GET /api/v1/payments": SIGNED_IN,  # each sees only its own (checked in tests/invoicing)
    "GET /api/v1/payments/<int:payment_id>": INVOICE_PARTIES,
    "POST /api/v1/payments/<int:payment_id>/reversal": only("provider"),
    "GET /payments": SIGNED_IN,
    "GET /payments/new": only("provider", "other_provider"),
    "POST /payments/new": only("provider", "other_provider"),
    "GET /payments/<int:payment_id>": INVOICE_PARTIES,
    "POST /payments/<int:payment_id>/reversal": only("provider"),
    # ---- remittance advice import: any provider imports its own; an import is seen by its provider
    "GET /payments/remittances/new": only("provider", "other_provider"),
    "POST /payments/remittances/new": only("provider", "other_provider"),  # no file: a 422
    "POST /payments/remittances/confirm": only("provider", "other_provider"),  # no preview: a 422
    "GET /payments/remittances/<int:import_id>": PROVIDER_SIDE,
    "GET /payments/remittances/<int:import_id>/not-recorded.csv": PROVIDER_SIDE,
    # ---- the payer's side (issue #15): a commissioner's invoices to pay and the payments it made
    "GET /invoices/to-pay": only("commissioner", "other_commissioner"),
    "GET /payments/made/new": only("commissioner", "other_commissioner"),
    "POST /payments/made/new": only("commissioner", "other_commissioner"),  # an empty form is a 422
    # ---- getting paid late (issue #15): each organisation's own aged debt; a provider's claims
    "GET /invoices/aged-debt": only("provider", "other_provider"),
    "GET /invoices/aged-debt/invoices": only("provider", "other_provider"),
    "GET /invoices/chasing": only("provider", "other_provider"),
    "GET /invoices/aged-creditors": only("commissioner", "other_commissioner"),
    "GET /invoices/aged-creditors/invoices": only("commissioner", "other_commissioner"),
    "GET /invoices/<int:invoice_id>/claim.pdf": PROVIDER_SIDE,  # the issuer's to send, never the payer's
    "GET /api/v1/aged-debt": SIGNED_IN - {"admin"},  # a provider's debtors, a payer's creditors
    # statements of account: Hilltop's with the council (each role's list shows only its own)
    "GET /statements": SIGNED_IN,
    "GET /statements/<int:provider_id>/<any(org, family):payer_kind>/<int:payer_id>": INVOICE_PARTIES,
    "GET /statements/<int:provider_id>/<any(org, family):payer_kind>/<int:payer_id>.csv": INVOICE_PARTIES,
    "GET /statements/<int:provider_id>/<any(org, family):payer_kind>/<int:payer_id>.pdf": INVOICE_PARTIES,
    "GET /api/v1/statements/<int:provider_id>/<any(org, family):payer_kind>/<int:payer_id>": INVOICE_PARTIES,
    "POST /invoices/<int:invoice_id>/remind": only("provider"),  # the issuer's staff (an admin reads only)
    # ---- card payments (payments/): only the family pays its own; the booking's provider and an
    # admin read. The world's invoice is addressed to the council, so nobody pays it by card.
    "POST /invoices/<int:invoice_id>/pay-by-card": NOBODY,
    "POST /book/<int:slot_id>/top-up": only("family", "other_family"),  # 409 here: card payment is off
    "POST /bookings/<int:booking_id>/pay-top-up": only("family"),  # 409 here: card payment is off
    "GET /card-payments": only("family", "other_family", "provider", "other_provider", "admin"),
    "GET /card-payments/<int:card_payment_id>": BOOKING_PARTIES,
    "POST /card-payments/<int:card_payment_id>/intent": only("family"),  # 409 here: card payment is off
    "POST /card-payments/<int:card_payment_id>/card": only("family"),
    "GET /card-payments/<int:card_payment_id>/return": only("family"),
    "POST /card-payments/<int:card_payment_id>/check": only("family"),
    # no webhook secret in the matrix's app, so a 404 for all; with one, only a body signed with
    # it is taken (tests/payments/test_webhook.py)
    "POST /payments/stripe/webhook": NOBODY,
}

# (row, role) -> why: today's code lets this role in although the table says it should not.
KNOWN_HOLES: dict[tuple[str, str], str] = {}

# URL arguments that are not ids of the world: the value each takes.
_CHOICES = {"action": "confirm", "decision": "approve"}
_FORMATS = {"isf.statement": "csv", "isf.review": "pdf"}
# Query strings some steps need to get past "which budget?" (the booking steps carry the budget).
_QUERY = {
    "bookings.choose_units": "budget_id={budget_id}&units=1",
    "bookings.choose_outcome": "budget_id={budget_id}&units=1",
    "bookings.check_booking": "budget_id={budget_id}&units=1",
    "api.isf_api.get_statement": "from=2026-04-01&to=2027-03-31",
}


def _rows(app: Flask):
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield f"{method} {rule.rule}", rule, method


def _url(rule, ids: dict) -> str:
    values = {}
    for name in rule.arguments:
        if name in _CHOICES:
            values[name] = _CHOICES[name]
        elif name == "fmt":
            values[name] = _FORMATS[rule.endpoint]
        elif name == "oruk_id":
            values[name] = (
                ids["service_oruk_id"] if rule.endpoint == "openreferral.service" else ids["oruk_id"]
            )
        else:
            values[name] = ids[name]
    url = rule.build(values, append_unknown=False)[1]
    query = _QUERY.get(rule.endpoint)
    return f"{url}?{query.format(**ids)}" if query else url


def _refused(response) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    if response.status_code in (301, 302, 303, 307, 308):
        return urlsplit(response.headers["Location"]).path == "/sign-in"
    return False


@pytest.fixture(scope="module")
def world(app):
    """The world, committed once for the module; each role's client and token. Emptied after."""
    with app.app_context():
        w = build_world(db.session)
        tokens = {role: accounts_ops.create_api_token(db.session, user) for role, user in w.users.items()}
        accounts_ops.create_api_token(db.session, w.users["family"])  # the spare, to revoke
        w.ids["token_id"] = accounts_ops.tokens_of(db.session, w.users["family"])[-1].id
        db.session.commit()
        clients = {}
        for role in ROLES:
            client, token = sign_in_client(app, w.users.get(role))
            cookie = client.get_cookie("session")
            clients[role] = (cookie.value if cookie else None, token)
        db.session.commit()
        db.session.remove()
    w.tokens = tokens
    w.clients = clients
    yield w
    with app.app_context():
        db.session.remove()
        empty_every_table()


def call(app: Flask, world, row: str, role: str):
    method, _, _path = row.partition(" ")
    rule = next(r for key, r, _m in _rows(app) if key == row)
    url = _url(rule, world.ids)
    cookie, token = world.clients[role]
    client = (
        app.test_client()
    )  # a fresh cookie jar each call: signing out must not sign the role out for good
    if cookie is not None:
        client.set_cookie("session", cookie)
    if rule.rule.startswith("/api/v1"):
        headers = {"Authorization": f"Bearer {world.tokens[role]}"} if role != "anonymous" else {}
        if method == "POST":
            return client.post(url, json={}, headers=headers)
        return client.get(url, headers=headers)
    if method == "POST":
        return client.post(url, data={"csrf_token": token})
    return client.get(url)


def _cells():
    # The rows are the table's; test_every_route_has_a_row ties them to the URL map.
    for row in EXPECTED:
        for role in ROLES:
            marks = []
            if (row, role) in KNOWN_HOLES:
                marks.append(pytest.mark.xfail(reason=KNOWN_HOLES[(row, role)], strict=True))
            yield pytest.param(row, role, id=f"{row} as {role}", marks=marks)


def test_every_route_has_a_row(app):
    rows = {key for key, _, _ in _rows(app)}
    missing = rows - set(EXPECTED)
    assert not missing, f"routes with no row in the authorisation matrix: {sorted(missing)}"
    assert set(EXPECTED) - rows == set(), "rows for routes the app no longer has"
    assert {row for row, _ in KNOWN_HOLES} <= rows


@pytest.mark.parametrize(("row", "role"), list(_cells()))
def test_route_as_role(app, world, row, role):
    response = call(app, world, row, role)
    assert response.status_code < 500, f"{row} as {role}: {response.status_code}"
    assert response.status_code != 400, f"{row} as {role}: 400 {response.get_data(as_text=True)[:300]}"
    should_allow = role in EXPECTED[row]
    refused = _refused(response)
    if os.environ.get("MATRIX_DUMP"):
        print(f"\nMATRIX {row!r} {role} {response.status_code} {'refused' if refused else 'allowed'}")
    if should_allow:
        assert not refused, f"{row} refused {role} ({response.status_code}), who should be allowed"
        if row.startswith("GET "):  # a page or document the role may read is shown (or redirects on)
            assert response.status_code < 400, f"{row} as {role}: {response.status_code}"
    else:
        assert refused, f"{row} let {role} in ({response.status_code}), who should be refused"


def test_every_role_of_the_app_is_in_the_matrix():
    """A new role (a broker, say) fails here until the world has one and the table says what it may do."""
    from marketplace.accounts.models import Role

    covered = {role.removeprefix("other_") for role in ROLES} - {"anonymous"}
    assert {r.value for r in Role} <= covered
