"""Sign-in, sign-out and the family home page."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from marketplace.accounts import operations
from marketplace.accounts.models import Family
from marketplace.accounts.permissions import acts_for_family, visible
from marketplace.accounts.schemas import SignInForm
from marketplace.core.auth import signed_in
from marketplace.core.dashboard import panels_for
from marketplace.core.db import db
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.schemas import parse

bp = Blueprint("accounts", __name__)


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
        user = operations.authenticate(db.session, data["email"], data["password"])
    except (ValidationFailed, Conflict) as err:
        db.session.commit()
        return render_template(
            "accounts/sign_in.html", errors=err.fields or {"email": [err.message]}, form=form
        ), err.status
    db.session.commit()  # the failed-attempt count must survive a wrong password
    if user is None:
        message = "The e-mail address or password is not right"
        return render_template("accounts/sign_in.html", errors={"email": [message]}, form=form), 401
    login_user(user)
    return redirect(_safe_next(data.get("next", "")))


@bp.post("/sign-out")
def sign_out():
    logout_user()
    flash("You have signed out.", "success")
    return redirect(url_for("core.home"))


@bp.get("/families/<slug>")
@signed_in
def family_home(slug: str):
    family = db.session.scalar(select(Family).where(Family.slug == slug))
    visible(family, family is not None and acts_for_family(current_user, family.id), "family")
    return render_template(
        "accounts/family_home.html", family=family, panels=panels_for("family", current_user)
    )
