"""Who may sign in: an admin deactivates, reactivates or resets someone's sign-in; a reset link
sets a new password once; a confirmation link confirms an e-mail address; public forms are
throttled per client address. The only code that changes these; operations flush, callers commit.

A reset link names the user's session generation, which using it (or any later sign-out or
reset) raises, so it works once. Links are signed as invitations are (accounts.invitations).
"""

import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from marketplace.accounts import operations
from marketplace.accounts.invitations import LinkNotValid, _read, _signer
from marketplace.accounts.models import ApiToken, Role, User
from marketplace.core import audit
from marketplace.core.clock import utcnow
from marketplace.core.errors import Conflict, Forbidden
from marketplace.core.notifications import email_address

RESET_LIFETIME = timedelta(hours=24)
CONFIRM_LIFETIME = timedelta(days=7)


# ---- resetting someone's sign-in, deactivating ------------------------------------------------


def reset_token(user: User) -> str:
    return _signer("reset").dumps({"u": user.id, "g": user.session_generation})


def _revoke_tokens(session: Session, user: User, actor: User) -> None:
    for token in session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)):
        operations.revoke_api_token(session, token, actor)


def _admin_only(actor: User) -> None:
    if actor is None or actor.role is not Role.ADMIN:
        raise Forbidden("Only administrators manage other people's accounts.")


def reset_sign_in(session: Session, user: User, actor: User) -> str:
    """An admin ends every session and API token of `user`, makes the old password stop working
    and sends a link to choose a new one (valid for RESET_LIFETIME, once). Returns its token."""
    _admin_only(actor)
    user.password_hash = generate_password_hash(secrets.token_urlsafe(32), method=operations.PASSWORD_METHOD)
    _revoke_tokens(session, user, actor)
    operations.end_sessions(session, user)
    audit.record(session, actor, "user.sign_in_reset", user)
    token = reset_token(user)
    email_address(
        session,
        user.email,
        "Choose a new password",
        "An administrator has reset your sign-in to the Short Breaks Marketplace. "
        "Choose a new password with this link; it works once, for 24 hours.",
        f"/reset-password/{token}",
    )
    return token


def user_for_reset(session: Session, token: str) -> User:
    data = _read("reset", token, RESET_LIFETIME, "password")
    user = session.get(User, data.get("u")) if isinstance(data.get("u"), int) else None
    if user is None or not user.is_active or user.session_generation != data.get("g"):
        raise LinkNotValid("This password link has already been used. Ask an administrator for a new one.")
    return user


def choose_new_password(session: Session, token: str, password: str) -> User:
    """Set the password a reset link asks for; the link stops working (the sessions' generation moves on)."""
    user = user_for_reset(session, token)
    operations.check_password_strength(password)
    user.password_hash = generate_password_hash(password, method=operations.PASSWORD_METHOD)
    user.email_confirmed_at = user.email_confirmed_at or utcnow()
    audit.record(session, user, "user.password_reset", user)
    operations.end_sessions(session, user)
    return user


def deactivate_user(session: Session, user: User, actor: User) -> None:
    """Stop `user` signing in: every session and API token ends now. An admin cannot lock themself out."""
    _admin_only(actor)
    if user.id == actor.id:
        raise Conflict("You cannot deactivate your own account.", fields={"user": ["That is you"]})
    if not user.is_active_account:
        return
    user.is_active_account = False
    _revoke_tokens(session, user, actor)
    operations.end_sessions(session, user)
    audit.record(session, actor, "user.deactivated", user)


def reactivate_user(session: Session, user: User, actor: User) -> None:
    """Let `user` sign in again (with their password; their old tokens stay revoked)."""
    _admin_only(actor)
    if user.is_active_account:
        return
    user.is_active_account = True
    session.flush()
    audit.record(session, actor, "user.reactivated", user)


# ---- confirming an e-mail address -------------------------------------------------------------


def confirmation_token(user: User) -> str:
    return _signer("confirm").dumps({"u": user.id, "e": user.email})


def send_confirmation(session: Session, user: User) -> str:
    """Queue the e-mail that asks `user` to confirm the address is theirs."""
    token = confirmation_token(user)
    email_address(
        session,
        user.email,
        "Confirm your e-mail address",
        "Confirm this is your e-mail address for the Short Breaks Marketplace with this link.",
        f"/confirm-email/{token}",
    )
    return token


def user_for_confirmation(session: Session, token: str) -> User:
    data = _read("confirm", token, CONFIRM_LIFETIME, "confirmation")
    user = session.get(User, data.get("u")) if isinstance(data.get("u"), int) else None
    if user is None or user.email != data.get("e"):
        raise LinkNotValid("This confirmation link is not valid. Check you copied all of it.")
    return user


def confirm_email(session: Session, token: str) -> User:
    """Mark the address confirmed (confirming twice changes nothing)."""
    user = user_for_confirmation(session, token)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        session.flush()
        audit.record(session, user, "user.email_confirmed", user)
    return user


# ---- throttling public forms ------------------------------------------------------------------


def throttle(session: Session, form: str, client: str, free: int) -> None:
    """Count one use of a public form from the client address; past `free` uses the address must
    wait (doubling, as for sign-in) before the next is accepted. Raises operations.Throttled."""
    now = utcnow()
    (row,) = operations._locked_throttles(session, (f"{form}:ip:{client[:300]}",))
    if row.last_failure_at is not None and now - row.last_failure_at > operations.FORGET_FAILURES_AFTER:
        row.failures, row.blocked_until = 0, None
    if row.blocked_until is not None and row.blocked_until > now:
        wait = row.blocked_until - now
        raise operations.Throttled(
            "Too many attempts from your network",
            fields={
                "_form": [
                    f"Too many attempts from your network. Try again in {int(wait.total_seconds() // 60) + 1} minutes."
                ]
            },
            retry_after=int(wait.total_seconds()) + 1,
        )
    row.failures += 1
    row.last_failure_at = now
    delay = operations._delay(row.failures, free)
    row.blocked_until = now + delay if delay else None
    session.flush()
