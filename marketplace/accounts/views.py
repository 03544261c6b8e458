"""Sign-in, sign-out, the account's password and API tokens, and the family home page."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from marketplace.accounts import invoicing_details, operations
from marketplace.accounts.models import ApiToken, Family, Organisation, OrgKind
from marketplace.accounts.permissions import acts_for_family, acts_for_organisation, visible
from marketplace.accounts.schemas import PasswordForm, SignInForm
from marketplace.core.auth import signed_in
from marketplace.core.csrf import csrf_token
from marketplace.core.dashboard import panels_for
from marketplace.core.db import db
from marketplace.core.errors import ValidationFailed
from marketplace.core.schemas import parse

bp = Blueprint("accounts", __name__)


def start_session(user) -> None:
    """A fresh session for `user`: nothing carried over from before sign-in, a new CSRF token."""
    session.clear()
    login_user(user)
    csrf_token()


def _safe_next(target: str) -> str:
    parts = urlsplit(target or "")
    if (
        target
        and not parts.scheme
        and not parts.netloc
        and target.startswith("/")
        and not target.startswith("//")
    ):
        return target
    return url_for("core.dashboard")


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    if request.method == "GET":
        return render_template(
            "accounts/sign_in.html", errors={}, form={"next": request.args.get("next", "")}
        )
    form = request.form.to_dict()
    try:
        data = parse(SignInForm(), form, "Enter your e-mail address and password")
        user = operations.authenticate(
            db.session, data["email"], data["password"], client=request.remote_addr or "unknown"
        )
    except ValidationFailed as err:
        return render_template("accounts/sign_in.html", errors=err.fields, form=form), err.status
    except operations.Throttled as err:
        db.session.rollback()
        page = render_template("accounts/sign_in.html", errors=err.fields, form=form)
        return page, err.status, {"Retry-After": str(err.retry_after)}
    db.session.commit()  # the failure counts must survive a wrong password
    if user is None:
        message = "The e-mail address or password is not right"
        return render_template("accounts/sign_in.html", errors={"email": [message]}, form=form), 401
    start_session(user)
    return redirect(_safe_next(data.get("next", "")))


@bp.post("/sign-out")
def sign_out():
    """Sign out everywhere: every session of this user ends, so a copied cookie stops working."""
    if current_user.is_authenticated:
        operations.end_sessions(db.session, current_user)
        db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("core.home"))


# ---- the signed-in user's own account ------------------------------------------------------


@bp.get("/account")
@signed_in
def settings():
    return render_account(errors={}, form={})


def render_account(errors, form, status=200):
    tokens = [
        {"token": t, "expires_at": operations.token_expiry(t), "live": operations.token_is_live(t)}
        for t in operations.tokens_of(db.session, current_user)
    ]
    return render_template("accounts/settings.html", tokens=tokens, errors=errors, form=form), status


@bp.post("/account/password")
@signed_in
def change_password():
    form = request.form.to_dict()
    try:
        data = parse(PasswordForm(), form, "Check your passwords")
        operations.change_password(db.session, current_user, data["current_password"], data["new_password"])
    except ValidationFailed as err:
        db.session.rollback()
        return render_account(err.fields, {}, err.status)
    user = current_user._get_current_object()
    db.session.commit()
    start_session(user)  # this device stays signed in; every other session has ended
    flash("Your password is changed. You are signed out everywhere else.", "success")
    return redirect(url_for("accounts.settings"))


@bp.post("/account/tokens/<int:token_id>/revoke")
@signed_in
def revoke_token(token_id: int):
    token = db.session.get(ApiToken, token_id)
    visible(token, token is not None and token.user_id == current_user.id, "token")
    operations.revoke_api_token(db.session, token, current_user)
    db.session.commit()
    flash(f"Token {token.id} is revoked: it no longer works.", "success")
    return redirect(url_for("accounts.settings"))


@bp.get("/families/<slug>")
@signed_in
def family_home(slug: str):
    family = db.session.scalar(select(Family).where(Family.slug == slug))
    visible(family, family is not None and acts_for_family(current_user, family.id), "family")
    return render_template(
        "accounts/family_home.html", family=family, panels=panels_for("family", current_user)
    )


# ---- an organisation's invoicing details ---------------------------------------------------


def _organisation_for(org_id: int) -> Organisation:
    """The organisation, if the caller is its staff (or an admin); otherwise a 404."""
    org = db.session.get(Organisation, org_id)
    return visible(org, org is not None and acts_for_organisation(current_user, org.id), "organisation")


def _render_organisation(org, errors, form, status=200):
    return render_template(
        "accounts/organisation.html",
        org=org,
        is_provider=org.kind is OrgKind.PROVIDER,
        errors=errors,
        form=form,
    ), status


@bp.get("/organisations/<int:org_id>/invoicing")
@signed_in
def organisation_settings(org_id: int):
    org = _organisation_for(org_id)
    form = {name: getattr(org, name) or "" for name in invoicing_details.INVOICING_FIELDS}
    if org.kind is OrgKind.PROVIDER:
        form["invoice_prefix"] = invoicing_details.invoice_prefix(org)  # the one in use, if not chosen
    return _render_organisation(org, {}, form)


@bp.post("/organisations/<int:org_id>/invoicing")
@signed_in
def update_organisation_settings(org_id: int):
    org = _organisation_for(org_id)
    form = request.form.to_dict()
    try:
        invoicing_details.update_invoicing_details(db.session, org, form, current_user)
    except ValidationFailed as err:
        db.session.rollback()
        return _render_organisation(org, err.fields, form, err.status)
    db.session.commit()
    flash(f"{org.name}'s invoicing details are saved.", "success")
    return redirect(url_for("accounts.organisation_settings", org_id=org.id))


from marketplace.accounts import signup_views  # noqa: E402, F401  (ways in share this blueprint)
