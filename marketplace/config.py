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


# The reference rate of the Late Payment of Commercial Debts (Interest) Act 1998, by half-year:
# (first day of the half-year, basis points). The rate for January–June is the Bank of England
# base rate in force on the 31 December before; for July–December, the one in force on 30 June.
# Statutory interest runs at 8% (800 bp) over it. Each half-year starts on 1 January or 1 July; a
# half-year not listed keeps the last listed rate. These are the demo's configured values: the
# operator keeps the table up to date with the Bank's published base rate (or sets
# LATE_PAYMENT_REFERENCE_RATES="2027-01-01=400,2027-07-01=375" in the environment).
LATE_PAYMENT_REFERENCE_RATES: list[tuple[str, int]] = [
    ("2026-01-01", 400),
    ("2026-07-01", 400),
    ("2027-01-01", 400),
    ("2027-07-01", 400),
]


def reference_rates() -> list[tuple[str, int]]:
    """LATE_PAYMENT_REFERENCE_RATES from the environment ("YYYY-MM-DD=BP,..."), else the table above.
    Checked when the app starts: half-years in order, each on 1 January or 1 July, 0 to 10,000 bp."""
    raw = os.environ.get("LATE_PAYMENT_REFERENCE_RATES", "").strip()
    if not raw:
        return list(LATE_PAYMENT_REFERENCE_RATES)
    table = []
    for item in raw.split(","):
        day, _, bp = item.strip().partition("=")
        if not bp.strip().isdigit():
            raise ConfigError(f"LATE_PAYMENT_REFERENCE_RATES: {item.strip()!r} is not DATE=BASIS_POINTS.")
        table.append((day.strip(), int(bp)))
    return table


def check_reference_rates(table) -> None:
    """Refuse a reference-rate table that would give wrong interest."""
    from datetime import date

    starts = []
    for day, bp in table:
        try:
            start = date.fromisoformat(day)
        except (TypeError, ValueError):
            raise ConfigError(f"LATE_PAYMENT_REFERENCE_RATES: {day!r} is not a date (YYYY-MM-DD).") from None
        if (start.month, start.day) not in ((1, 1), (7, 1)):
            raise ConfigError(f"LATE_PAYMENT_REFERENCE_RATES: {day} must be 1 January or 1 July.")
        if not isinstance(bp, int) or isinstance(bp, bool) or not 0 <= bp <= 10000:
            raise ConfigError(f"LATE_PAYMENT_REFERENCE_RATES: {day}'s rate must be 0 to 10000 basis points.")
        starts.append(start)
    if not starts or starts != sorted(set(starts)):
        raise ConfigError(
            "LATE_PAYMENT_REFERENCE_RATES: list at least one half-year, in date order, once each."
        )


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
        # Card payments (marketplace/payments). Without the secret and publishable keys card
        # payment is switched off and the pages say so. STRIPE_API_BASE points the client at a
        # local Stripe-compatible server (tests: localstripe); STRIPE_JS_URL is where the page
        # loads Stripe.js from (its origin is allowed in the payment pages' CSP).
        "STRIPE_SECRET_KEY": os.environ.get("STRIPE_SECRET_KEY", "") or os.environ.get("STRIPE_API_KEY", ""),
        "STRIPE_PUBLISHABLE_KEY": os.environ.get("STRIPE_PUBLISHABLE_KEY", ""),
        "STRIPE_API_BASE": os.environ.get("STRIPE_API_BASE", ""),
        "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
        "STRIPE_JS_URL": os.environ.get("STRIPE_JS_URL", "https://js.stripe.com/v3/"),
        # how long a booking waits for its card top-up before the sweep releases it
        "CARD_TOP_UP_MINUTES": int(os.environ.get("CARD_TOP_UP_MINUTES", "30") or 30),
        "LATE_PAYMENT_REFERENCE_RATES": reference_rates(),
    }
    config.update(overrides)
    check_reference_rates(config["LATE_PAYMENT_REFERENCE_RATES"])
    if "SECRET_KEY" not in overrides:
        config["SECRET_KEY"] = secret_key(env, instance_path)
    return config
