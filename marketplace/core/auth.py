"""Who is asking: sessions (Flask-Login) for pages, bearer tokens or sessions for the API."""

from collections.abc import Callable
from functools import wraps

from flask import Flask, g, redirect, request, url_for
from flask_login import LoginManager, current_user

from marketplace.core.db import db
from marketplace.core.errors import Forbidden, Unauthorised, wants_json

login_manager = LoginManager()


def register_auth(app: Flask) -> None:
    from marketplace.accounts.models import User
    from marketplace.accounts.operations import user_for_token

    login_manager.init_app(app)
    login_manager.login_view = "accounts.sign_in"
    login_manager.login_message = "Sign in to see that page."
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def _load_user(user_id: str):
        user = db.session.get(User, int(user_id))
        return user if user is not None and user.is_active else None

    @login_manager.request_loader
    def _load_from_bearer(req):
        header = req.headers.get("Authorization", "")
        if not req.path.startswith("/api/") or not header.startswith("Bearer "):
            return None
        return user_for_token(db.session, header[len("Bearer ") :].strip())

    @app.before_request
    def _who_is_asking_is_decided_per_request():
        # Flask-Login caches the user on `g`, which lives as long as the app context; tests (and any
        # code) that reuse one app context across requests must not inherit the last caller.
        g.pop("_login_user", None)

    @login_manager.unauthorized_handler
    def _unauthorised():
        if wants_json():
            raise Unauthorised("Sign in, or send an API token as 'Authorization: Bearer TOKEN'.")
        return redirect(url_for("accounts.sign_in", next=request.full_path.rstrip("?")))


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
