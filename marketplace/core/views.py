"""Pages that belong to no domain: home and the bare health check."""

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from marketplace.core.dashboard import panels_for
from marketplace.core.db import db

bp = Blueprint("core", __name__)


@bp.get("/")
def home():
    return render_template("core/home.html")


@bp.get("/healthz")
def healthz():
    db.session.execute(db.text("SELECT 1"))
    return {"status": "ok"}


@bp.get("/dashboard")
def dashboard():
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.sign_in"))
    role = current_user.role.value
    if role == "family" and current_user.family is not None:
        return redirect(url_for("accounts.family_home", slug=current_user.family.slug))
    return render_template(f"core/dashboard_{role}.html", panels=panels_for(role, current_user))


@bp.get("/api/docs")
def api_docs():
    """The JSON API's reference for people: the OpenAPI document, printed route by route."""
    from marketplace.core.openapi import build_document, readable

    doc = build_document()
    return render_template("core/api_docs.html", doc=doc, operations=readable(doc))
