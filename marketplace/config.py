"""Configuration from the environment."""

import os
import secrets
from pathlib import Path

WEAK_SECRETS = {"", "dev", "secret", "changeme", "change-me", "password", "development", "secret-key"}
MIN_SECRET_LENGTH = 32


class ConfigError(RuntimeError):
    pass


def database_url(instance_path: str) -> str:
    """DATABASE_URL, or a SQLite file under instance/. PostgreSQL always goes through psycopg 3."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return "sqlite:///" + str(Path(instance_path) / "marketplace.db")
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def secret_key(env: str, instance_path: str) -> str:
    """SECRET_KEY is required outside development and testing, and must not be weak."""
    key = os.environ.get("SECRET_KEY", "")
    if env in ("development", "testing") and not key:
        path = Path(instance_path) / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
        return path.read_text().strip()
    if key.lower() in WEAK_SECRETS or len(key) < MIN_SECRET_LENGTH or len(set(key)) < 8:
        raise ConfigError(
            f"SECRET_KEY is missing or weak. Set SECRET_KEY to at least {MIN_SECRET_LENGTH} random characters, "
            'e.g. SECRET_KEY=$(python -c "import secrets; print(secrets.token_urlsafe(48))").'
        )
    return key


def trusted_proxies() -> int:
    raw = os.environ.get("TRUSTED_PROXIES", "0").strip() or "0"
    if not raw.isdigit() or int(raw) > 10:
        raise ConfigError(f"TRUSTED_PROXIES must be a number of proxies from 0 to 10, not {raw!r}.")
    return int(raw)


def load_config(instance_path: str, overrides: dict | None = None) -> dict:
    overrides = dict(overrides or {})
    env = overrides.get("ENV") or os.environ.get("MARKETPLACE_ENV", "production")
    production = env not in ("development", "testing")
    config = {
        "ENV": env,
        "SQLALCHEMY_DATABASE_URI": overrides.pop("SQLALCHEMY_DATABASE_URI", None)
        or database_url(instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "CSRF_ENABLED": True,
        "PUBLIC_URL": os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000"),
        "MAIL_SMTP_HOST": os.environ.get("MAIL_SMTP_HOST", ""),
        "MAIL_SMTP_PORT": int(os.environ.get("MAIL_SMTP_PORT", "25") or 25),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "no-reply@short-breaks.example"),
        # How many proxies in front of the app set X-Forwarded-For/-Proto/-Host (0: none, so
        # those headers are ignored). The sign-in throttle and HSTS need the client's real address
        # and scheme: behind one TLS proxy, TRUSTED_PROXIES=1.
        "TRUSTED_PROXIES": trusted_proxies(),
        "STRIPE_API_KEY": os.environ.get("STRIPE_API_KEY", ""),
        "STRIPE_API_BASE": os.environ.get("STRIPE_API_BASE", ""),
        "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
    }
    config.update(overrides)
    if "SECRET_KEY" not in overrides:
        config["SECRET_KEY"] = secret_key(env, instance_path)
    return config
