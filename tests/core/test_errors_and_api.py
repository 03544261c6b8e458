"""The error shape of CONTRACT.md, and friendly pages instead of stack traces."""


def test_401_without_credentials(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    body = response.get_json()
    assert body["error"]["code"] == "unauthorised"
    assert "Bearer" in body["error"]["message"]


def test_401_with_a_wrong_token(client):
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer mkt_not-a-real-token"})
    assert response.status_code == 401


def test_token_auth(client, make, bearer):
    user = make.user("provider")
    response = client.get("/api/v1/me", headers=bearer(user))
    assert response.status_code == 200
    body = response.get_json()
    assert body["email"] == user.email
    assert body["id"] == str(user.id)
    assert body["role"] == "provider"


def test_404_shape(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_html_404_is_a_page_not_a_trace(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert b"Page not found" in response.data
    assert b"Traceback" not in response.data


def test_500_is_friendly(app):
    from marketplace import create_app

    fresh = create_app(
        {
            "ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": app.config["SECRET_KEY"],
        }
    )

    @fresh.get("/__boom")
    def boom():
        raise RuntimeError("secret internals")

    response = fresh.test_client().get("/__boom")
    assert response.status_code == 500
    assert b"secret internals" not in response.data
    assert b"Sorry, something went wrong" in response.data


def test_openapi_document_lists_routes(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert "/api/v1/me" in doc["paths"]
    assert doc["components"]["schemas"]["Error"]["properties"]["error"]


def test_api_post_with_cookie_needs_json(client, make, sign_in):
    user = make.user("family")
    sign_in(user)
    response = client.post("/api/v1/me", data="x=1", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf_failed"


def test_403_and_422_shapes(client, make, bearer, session):
    """A signed-in user doing what they may not (403) and sending bad input (422) get the contract's shape."""
    from marketplace.catalog import operations as catalog
    from marketplace.catalog.models import Category, Setting, Unit

    profile = catalog.provider_profile(session, make.org("provider"))
    offer = catalog.create_offer(
        session,
        profile,
        dict(
            title="Day",
            description="",
            category=Category.DAY_SESSION,
            setting=Setting.COMMUNITY,
            unit=Unit.DAY,
            price=100,
        ),
        None,
    )
    family = make.user("family")
    forbidden = client.post(f"/api/v1/offers/{offer.id}/slots", json={}, headers=bearer(family))
    assert forbidden.status_code == 403
    assert forbidden.get_json()["error"]["code"] == "forbidden" and forbidden.get_json()["error"]["message"]
    bad = client.post("/api/v1/bookings", json={"units": "many"}, headers=bearer(family))
    assert bad.status_code == 422
    error = bad.get_json()["error"]
    assert error["code"] == "validation_failed"
    assert {"slot_id", "budget_id", "units"} <= set(error["fields"])
    assert all(isinstance(messages, list) and messages for messages in error["fields"].values())
