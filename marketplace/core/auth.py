"""Who is asking: sessions (Flask-Login) for pages, bearer tokens or sessions for the API."""

from collections.abc import Callable
from functools import wraps

from flask import Flask, g, redirect, request, url_for
from flask_login import LoginManager, current_user

from marketplace.core.errors import Forbidden, Unauthorised, wants_json

login_manager = LoginManager()


def register_auth(app: Flask) -> None:
    """Flask-Login for the app. Who a session or a bearer token names is the accounts domain's
    business: its loaders are registered by create_app (accounts.login.register_loaders)."""
    login_manager.init_app(app)
    login_manager.login_view = "accounts.sign_in"
    login_manager.login_message = "Sign in to see that page."
    login_manager.login_message_category = "info"

    @app.before_request
    def _who_is_asking_is_decided_per_request():
        # Flask-Login caches the user on `g`, which lives as long as the app context; tests (and any
        # code) that reuse one app context across requests must not inherit the last caller.
        g.pop("_login_user", None)
        g.pop("authenticated_by_token", None)

    @login_manager.unauthorized_handler
    def _unauthorised():
        if wants_json():
            raise Unauthorised("Sign in, or send an API token as 'Authorization: Bearer TOKEN'.")
        return redirect(url_for("accounts.sign_in", next=request.full_path.rstrip("?")))


def bearer_token() -> str | None:
    """The bearer token an API request names, or None (pages never take one)."""
    header = request.headers.get("Authorization", "")
    if not request.path.startswith("/api/") or not header.startswith("Bearer "):
        return None
    return header[len("Bearer ") :].strip()


def authenticated_by_token() -> bool:
    """Whether this request's caller was recognised by a valid bearer token."""
    return bool(current_user.is_authenticated and g.get("authenticated_by_token"))


def signed_in(view: Callable) -> Callable:
    """The caller must be signed in (pages redirect to sign-in; the API answers 401)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    return wrapper


def roles_required(*roles: str) -> Callable:
    """The caller must be signed in with one of `roles` (admins always pass)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @signed_in
        def wrapper(*args, **kwargs):
            if current_user.role.value not in roles and current_user.role.value != "admin":
                raise Forbidden("Your account cannot use this page.")
            return view(*args, **kwargs)

        return wrapper

    return decorator
