import pytest

from marketplace.config import ConfigError, database_url, load_config


def test_postgres_urls_always_use_psycopg3(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    assert database_url(str(tmp_path)) == "postgresql+psycopg://u@h/db"
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    assert database_url(str(tmp_path)) == "postgresql+psycopg://u@h/db"


def test_default_is_sqlite_under_instance(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert database_url(str(tmp_path)) == f"sqlite:///{tmp_path}/marketplace.db"


@pytest.mark.parametrize("key", ["", "dev", "changeme", "a" * 40, "short-but-random"])
def test_production_refuses_weak_secret_keys(monkeypatch, tmp_path, key):
    monkeypatch.setenv("SECRET_KEY", key)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config(str(tmp_path), {"ENV": "production"})


def test_production_accepts_a_strong_key_and_secure_cookies(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "k3J9-xQ2pLw8ZrT5vN1mB7cY4hG6dF0sA2eR")
    config = load_config(str(tmp_path), {"ENV": "production"})
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True


def test_development_makes_its_own_key(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = load_config(str(tmp_path), {"ENV": "development"})["SECRET_KEY"]
    assert len(first) >= 32
    assert load_config(str(tmp_path), {"ENV": "development"})["SECRET_KEY"] == first


@pytest.mark.parametrize("value", ["-1", "two", "11"])
def test_trusted_proxies_must_be_a_small_number(monkeypatch, tmp_path, value):
    monkeypatch.setenv("TRUSTED_PROXIES", value)
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        load_config(str(tmp_path), {"ENV": "testing"})


@pytest.mark.parametrize("proxies", [0, 1])
def test_behind_a_trusted_proxy_the_forwarded_scheme_and_address_count(app, proxies):
    """Behind a TLS proxy the app sees plain HTTP from the proxy: with TRUSTED_PROXIES=1 it reads
    the client's scheme and address from the proxy's headers (HSTS, the sign-in throttle); with 0,
    anybody could send those headers, so they are ignored."""
    from flask import request

    from marketplace import create_app

    behind = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "x" * 40,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "TRUSTED_PROXIES": proxies,
        }
    )
    seen = {}

    @behind.after_request
    def note(response):
        seen["addr"] = request.remote_addr
        return response

    response = behind.test_client().get(
        "/static/app.css", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    )
    assert ("Strict-Transport-Security" in response.headers) is bool(proxies)
    assert (seen["addr"] == "203.0.113.7") is bool(proxies)
