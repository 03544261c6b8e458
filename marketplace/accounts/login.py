"""Flask-Login's loaders: the user a session cookie or an API bearer token names."""

from flask import g
from flask_login import LoginManager

from marketplace.accounts.models import User
from marketplace.accounts.operations import user_for_token
from marketplace.core.auth import bearer_token
from marketplace.core.db import db


def load_user(session_id: str) -> User | None:
    """The user a session names, or None."""
    # An API call that names a bearer token is judged by the token alone, never by a cookie
    # that happens to come with it.
    if bearer_token() is not None:
        return None
    # "id.generation" (User.get_id): a session from before the user's last sign-out or
    # password change names an older generation and is refused.
    user_id, _, generation = session_id.partition(".")
    if not user_id.isdigit() or not generation.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or user.session_generation != int(generation):
        return None
    return user


def load_from_bearer(req) -> User | None:
    """The user an API request's bearer token belongs to, or None."""
    secret = bearer_token()
    if secret is None:
        return None
    user = user_for_token(db.session, secret)
    g.authenticated_by_token = user is not None
    return user


def register_loaders(login_manager: LoginManager) -> None:
    login_manager.user_loader(load_user)
    login_manager.request_loader(load_from_bearer)
