"""ISF pages and API: who may see and do what, bad input, statements and documents."""

from datetime import date

import pytest
from flask import g

from marketplace.isf import jobs, operations

PERIOD = "from=2026-04-01&to=2026-06-30"


@pytest.fixture
def amy(world, session, make):
    isf = world.example_a()
    world.pay_quarter_one()
    jobs.run_weekly_drawdowns(session, date(2026, 4, 29))
    world.release = operations.request_release(session, isf, amount=25_000, reason="Extra nights")
    world.users = {
        "holder": make.user("provider", org=world.hilltop),
        "family": make.user("family", family=world.family),
        "funder": make.user("commissioner", org=world.icb),
        "admin": make.user("admin"),
        "other_provider": make.user("provider", org=world.other_provider),
        "other_family": make.user("family"),
        "other_commissioner": make.user("commissioner", org=world.other_council),
    }
    session.commit()
    return world


def signed_in_client(app, user):
    """A fresh test client signed in as `user` (so users never share a session)."""
    from tests.conftest import PASSWORD

    forget_user()
    client = app.test_client()
    client.get("/sign-in")
    with client.session_transaction() as sess:
        token = sess["_csrf"]
    client.post("/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    with client.session_transaction() as sess:
        token = sess["_csrf"]  # sign-in starts a new session with a new CSRF token
    return client, token


READS = [
    "/api/v1/isfs/{id}",
    "/api/v1/isfs/{id}/statement?" + PERIOD,
    "/isfs/{id}",
    "/isfs/{id}/statement?" + PERIOD,
    "/isfs/{id}/statement.csv?" + PERIOD,
    "/isfs/{id}/statement.pdf?" + PERIOD,
    "/isfs/{id}/review?" + PERIOD,
    "/isfs/{id}/review.pdf?" + PERIOD,
]
SEES = {"holder": True, "family": True, "funder": True, "admin": True,
        "other_provider": False, "other_family": False, "other_commissioner": False}  # fmt: skip


def test_who_may_read_every_route(app, bearer, amy):
    for who, sees in SEES.items():
        forget_user()
        client, _ = signed_in_client(app, amy.users[who])
        headers = bearer(amy.users[who])
        for url in READS:
            url = url.format(id=amy.isf.id)
            response = client.get(url, headers=headers if url.startswith("/api/") else None)
            assert response.status_code == (200 if sees else 404), (who, url)
        listed = client.get("/api/v1/isfs", headers=headers).json
        assert len(listed) == (1 if sees else 0), who
        page = client.get("/isfs").data.decode()
        assert ("Amy" in page) is sees, who


def test_anonymous_callers_are_refused(client, amy):
    assert client.get(f"/api/v1/isfs/{amy.isf.id}").status_code == 401
    assert client.get(f"/isfs/{amy.isf.id}").status_code == 302


ACTIONS = {
    "receipt": (
        "/receipts",
        {"stream_id": "STREAM", "amount": 1000, "received_on": "2026-05-01", "reference": "X1"},
    ),
    "release": ("/releases", {"amount": 1000, "reason": "Respite"}),
    "approve": ("/releases/RELEASE/approve", {"note": "ok"}),
    "refuse": ("/releases/RELEASE/refuse", {"note": "no"}),
    "unpark": ("/unpark", {}),
    "agree": ("/agree", {}),
}
ALLOWED = {
    "receipt": {"holder"},
    "release": {"holder"},
    "approve": {"funder"},
    "refuse": {"funder"},
    "unpark": {"holder"},
    "agree": {"holder", "funder"},
}


def forget_user():
    """Tests run inside one app context, so Flask-Login's per-request `g._login_user` would
    carry the previous caller into the next request; each request in production has its own."""
    g.pop("_login_user", None)


def test_who_may_act_through_the_api(client, bearer, amy):
    for who in SEES:
        forget_user()
        headers = bearer(amy.users[who])
        for action, (path, body) in ACTIONS.items():
            path = path.replace("RELEASE", str(amy.release.id))
            body = {k: (str(amy.social.id) if v == "STREAM" else v) for k, v in body.items()}
            response = client.post(f"/api/v1/isfs/{amy.isf.id}{path}", json=body, headers=headers)
            if not SEES[who]:
                assert response.status_code == 404, (who, action)
            elif who not in ALLOWED[action]:
                assert response.status_code == 403, (who, action)
            else:  # 409: un-parking a fund that is not parked; refusing a release already approved
                assert response.status_code in (200, 201, 409), (who, action, response.json)


def test_who_may_act_through_the_pages(app, amy):
    actions = [
        "receipts",
        "releases",
        "releases/RELEASE/approve",
        "releases/RELEASE/refuse",
        "unpark",
        "agree",
    ]
    for who, status in (
        ("family", 403),
        ("admin", 403),
        ("other_provider", 404),
        ("other_commissioner", 404),
    ):
        client, token = signed_in_client(app, amy.users[who])
        for action in actions:
            path = action.replace("RELEASE", str(amy.release.id))
            response = client.post(f"/isfs/{amy.isf.id}/{path}", data={"csrf_token": token, "note": "x"})
            assert response.status_code == status, (who, action)
    client, token = signed_in_client(app, amy.users["holder"])
    for action in ("releases/RELEASE/approve", "releases/RELEASE/refuse"):
        response = client.post(f"/isfs/{amy.isf.id}/{action.replace('RELEASE', str(amy.release.id))}",
                               data={"csrf_token": token, "note": "x"})  # fmt: skip
        assert response.status_code == 403


BAD_RECEIPTS = [
    ({"stream_id": "STREAM", "amount": -5, "received_on": "2026-05-01", "reference": "A"}, "amount"),
    ({"stream_id": "STREAM", "amount": 10.5, "received_on": "2026-05-01", "reference": "A"}, "amount"),
    ({"stream_id": "STREAM", "amount": 100, "received_on": "yesterday", "reference": "A"}, "received_on"),
    ({"stream_id": "STREAM", "amount": 100, "received_on": "2026-05-01", "reference": ""}, "reference"),
    ({"stream_id": "999999", "amount": 100, "received_on": "2026-05-01", "reference": "A"}, "stream_id"),
    ({"amount": 100, "received_on": "2026-05-01", "reference": "A"}, "stream_id"),
]
BAD_PERIODS = [
    ("from=2026-04-01", "to"),
    ("to=2026-04-01", "from"),
    ("from=x&to=2026-04-01", "from"),
    ("from=2026-05-01&to=2026-04-01", "to"),
]


def test_bad_input_is_422_naming_the_field(client, bearer, amy):
    headers = bearer(amy.users["holder"])
    for body, field in BAD_RECEIPTS:
        body = {k: (str(amy.social.id) if v == "STREAM" else v) for k, v in body.items()}
        response = client.post(f"/api/v1/isfs/{amy.isf.id}/receipts", json=body, headers=headers)
        assert response.status_code == 422 and field in response.json["error"]["fields"], body
    for query, field in BAD_PERIODS:
        response = client.get(f"/api/v1/isfs/{amy.isf.id}/statement?{query}", headers=headers)
        assert response.status_code == 422 and field in response.json["error"]["fields"], query
    response = client.get(f"/isfs/{amy.isf.id}/statement.csv?from=2026-05-01&to=2026-04-01", headers=headers)
    assert response.status_code in (302, 422)
    assert amy.available() == 513_000  # nothing was written


def test_bad_release_request_is_422_and_the_page_shows_an_error_summary(client, sign_in, csrf, bearer, amy):
    response = client.post(
        f"/api/v1/isfs/{amy.isf.id}/releases",
        json={"amount": 0, "reason": ""},
        headers=bearer(amy.users["holder"]),
    )
    assert response.status_code == 422 and {"amount", "reason"} <= set(response.json["error"]["fields"])
    sign_in(amy.users["holder"])
    page = client.post(
        f"/isfs/{amy.isf.id}/releases", data={"csrf_token": csrf(), "amount": "lots", "reason": ""}
    )
    assert page.status_code == 422
    assert b"govuk-error-summary" in page.data and b"Enter an amount in pounds and pence" in page.data


def test_statement_api_follows_the_contract(client, bearer, amy):
    body = client.get(
        f"/api/v1/isfs/{amy.isf.id}/statement?from=2026-04-01&to=2026-04-30",
        headers=bearer(amy.users["funder"]),
    ).json
    assert body["opening"] == {"available": 0, "contingency": 0}
    assert (body["receipts"], body["contingency_set_aside"]) == (780_000, 39_000)
    assert (body["drawn"], body["top_slice"], body["delivery"]) == (228_000, 18_240, 209_760)
    assert (body["contingency_released"], body["shortfall"]) == (0, 0)
    assert body["closing"] == {"available": 513_000, "contingency": 39_000}
    assert body["isf_id"] == str(amy.isf.id) and body["from"] == "2026-04-01"
    assert [f["receipts"] for f in body["funders"]] == [455_000, 260_000, 65_000]
    assert sum(f["share_of_drawn"] for f in body["funders"]) == 228_000
    assert [line["type"] for line in body["lines"]] == ["receipt"] * 3 + ["drawdown"] * 4


def test_statement_balances_reconcile_over_any_period(client, bearer, amy, session):
    operations.approve_release(session, amy.release, organisation=amy.icb, note="ok")
    session.commit()
    headers = bearer(amy.users["admin"])
    for period in ("from=2026-04-01&to=2026-04-15", "from=2026-04-16&to=2030-01-01"):
        s = client.get(f"/api/v1/isfs/{amy.isf.id}/statement?{period}", headers=headers).json
        assert (
            s["opening"]["available"] + s["receipts"] - s["contingency_set_aside"] - s["drawn"]
            == s["closing"]["available"]
        )
        assert (
            s["opening"]["contingency"] + s["contingency_set_aside"] - s["contingency_released"]
            == s["closing"]["contingency"]
        )


def test_detail_api_shows_schedule_and_releases(client, bearer, amy):
    body = client.get(f"/api/v1/isfs/{amy.isf.id}", headers=bearer(amy.users["family"])).json
    assert (body["weekly_amount"], body["contingency_bp"], body["top_slice_bp"]) == (57_000, 500, 800)
    assert body["provider"]["name"] == "Hilltop Children's Hospice" and body["child"]["name"] == "Amy"
    assert body["balances"] == {"available": 513_000, "contingency": 39_000}
    assert [i["amount"] for i in body["funding_schedule"][:3]] == [455_000, 260_000, 65_000]
    assert len(body["drawdowns"]) == 4 and body["releases"][0]["status"] == "requested"


def test_commissioner_approves_on_the_page_and_family_sees_it(client, sign_in, csrf, amy):
    sign_in(amy.users["funder"])
    page = client.get(f"/isfs/{amy.isf.id}").data.decode()
    assert "Approve and pay £250.00" in page
    response = client.post(
        f"/isfs/{amy.isf.id}/releases/{amy.release.id}/approve", data={"csrf_token": csrf(), "note": "Agreed"}
    )
    assert response.status_code == 302
    assert amy.contingency() == 14_000
    client.post("/sign-out", data={"csrf_token": csrf()})
    sign_in(amy.users["family"])
    family_page = client.get(f"/isfs/{amy.isf.id}").data.decode()
    assert "£250.00: Approved" in family_page and "Extra nights" in family_page
    assert "8% of every drawdown" in family_page  # the management share is disclosed
    home = client.get(f"/families/{amy.family.slug}").data.decode()
    assert "Your Individual Service Fund" in home and "management share" in home


def test_provider_page_flags_parked_funds_and_unparks(client, sign_in, csrf, amy, session):
    operations.park_isf(session, amy.isf, "13 weeks to catch up")
    session.commit()
    sign_in(amy.users["holder"])
    assert "Parked" in client.get("/dashboard").data.decode()
    page = client.get(f"/isfs/{amy.isf.id}").data.decode()
    assert "Un-park: check what it will post" in page and "<svg" in page
    preview = client.get(f"/isfs/{amy.isf.id}/unpark").data.decode()
    assert "Post " in preview and amy.isf.is_parked  # shown, not yet done
    weeks = len(operations.preview_catch_up(session, amy.isf).weeks)
    client.post(f"/isfs/{amy.isf.id}/unpark", data={"csrf_token": csrf(), "weeks": str(weeks)})
    assert not amy.isf.is_parked


def test_documents(client, sign_in, amy, session):
    from marketplace.budgets import operations as budgets

    budgets.add_outcome(
        session,
        amy.isf.budget,
        actor=None,
        description="Amy goes to the youth club weekly",
        time_frame="medium",
        review_date=date(2026, 9, 1),
    )
    sign_in(amy.users["family"])
    csv_text = client.get(f"/isfs/{amy.isf.id}/statement.csv?{PERIOD}").data.decode()
    assert csv_text.splitlines()[0].startswith("Date,Type,Description,Funder,Amount")
    # dates and money as every CSV for people writes them (core.people_csv)
    assert "06/04/2026,Drawdown,Drawdown for the week of 6 April 2026,,£570.00,-£570.00" in csv_text
    pdf = client.get(f"/isfs/{amy.isf.id}/statement.pdf?{PERIOD}")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    review = client.get(f"/isfs/{amy.isf.id}/review?from=2026-04-06&to=2026-07-05").data.decode()
    assert "Quarterly review" in review and "Amy goes to the youth club weekly" in review
    # £5,130.00 (9.0 weeks) is available only because the job has not run since 29 April: no warning
    assert "has not yet run for 9 weeks" in review and "clawback threshold" not in review
    jobs.run_weekly_drawdowns(session, date(2026, 7, 5), catch_up_limit=None)
    operations.record_receipt(  # a real surplus: the family pays in £20,000.00
        session, amy.isf, stream=None, amount=2_000_000, received_on=date(2026, 6, 1), reference="GIFT-1"
    )
    session.commit()
    review = client.get(f"/isfs/{amy.isf.id}/review?from=2026-04-06&to=2026-07-05").data.decode()
    assert "clawback threshold" in review and "not yet run" not in review
    assert client.get(f"/isfs/{amy.isf.id}/review.pdf?{PERIOD}").data.startswith(b"%PDF")


def test_openapi_documents_the_isf_routes(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"/api/v1/isfs", "/api/v1/isfs/{id}", "/api/v1/isfs/{id}/statement"} <= set(paths)
