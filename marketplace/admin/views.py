"""The admin console (/admin): users (invite, deactivate, reset sign-in), organisations (with the
catalogue's provider verification), families and their children, and the audit log.

Thin views: parse, load, call one accounts operation, commit, render. Who may: admins only.
"""

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from marketplace.accounts import access, invitations
from marketplace.accounts.models import Family, Organisation, Role, User
from marketplace.accounts.permissions import visible
from marketplace.accounts.schemas import InviteUserForm
from marketplace.admin import presenting, reading
from marketplace.core.api import page_args
from marketplace.core.auth import roles_required
from marketplace.core.db import db
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.schemas import parse

bp = Blueprint("admin", __name__)
ROLES = [(r.value, r.value.capitalize()) for r in Role]


def register(app: Flask) -> None:
    from marketplace.core.dashboard import register_panel
    from marketplace.core.templating import register_nav

    register_nav("admin.console", "Admin", roles=("admin",))
    register_panel("admin", lambda user: ("admin/_panel.html", {}))
    app.jinja_env.filters["audit_detail"] = presenting.describe


def _mail() -> bool:
    return bool(current_app.config.get("MAIL_SMTP_HOST"))


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id) if user_id < 2**31 else None
    return visible(user, user is not None, "user")


@bp.get("/admin")
@roles_required("admin")
def console():
    return render_template("admin/console.html", counts=reading.counts())


# ---- users ---------------------------------------------------------------------------------


@bp.get("/admin/users")
@roles_required("admin")
def users():
    number, _ = page_args()
    q, role, status = (request.args.get(k, "").strip() for k in ("q", "role", "status"))
    errors = {}
    if role and role not in {r.value for r in Role}:
        errors["role"] = ["Choose a kind of account from the list"]
    if status not in ("", "active", "deactivated"):
        errors["status"] = ["Choose active or deactivated"]
    if errors:
        raise ValidationFailed("Check the filters", fields=errors)
    found = reading.page(reading.users_query(q, role, status), number)
    filters = {"q": q, "role": role, "status": status}
    return render_template("admin/users.html", page=found, filters=filters, roles=ROLES)


def _render_invite(errors, form, status=200):
    return render_template(
        "admin/invite.html",
        errors=errors,
        form=form,
        roles=ROLES,
        organisations=reading.invitable_organisations(),
        families=reading.all_families(),
    ), status


@bp.route("/admin/users/invite", methods=["GET", "POST"])
@roles_required("admin")
def invite_user():
    if request.method == "GET":
        return _render_invite({}, {})
    form = request.form.to_dict()
    try:
        data = parse(InviteUserForm(), form, "Check who you are inviting")
        org = (
            db.session.get(Organisation, int(data["organisation"]))
            if data["organisation"].isdigit()
            else None
        )
        family = db.session.get(Family, int(data["family"])) if data["family"].isdigit() else None
        invitation, token = invitations.invite(
            db.session,
            actor=current_user,
            email=data["email"],
            name=data["name"],
            role=data["role"],
            family=family,
            organisation=org,
        )
    except ValidationFailed as err:
        db.session.rollback()
        return _render_invite(err.fields, form, err.status)
    db.session.commit()
    return render_template(
        "accounts/invitation_sent.html",
        invitation=invitation,
        link=url_for("accounts.accept_invitation", invitation_token=token, _external=True),
        mail=_mail(),
        again=url_for("admin.invite_user"),
    )


@bp.post("/admin/users/<int:user_id>/deactivate")
@roles_required("admin")
def deactivate(user_id: int):
    user = _user(user_id)
    try:
        access.deactivate_user(db.session, user, current_user)
    except Conflict as err:
        db.session.rollback()
        flash(err.message, "info")
        return redirect(url_for("admin.users"))
    db.session.commit()
    flash(f"{user.name} is deactivated: they are signed out everywhere and cannot sign in.", "success")
    return redirect(url_for("admin.users", q=user.email))


@bp.post("/admin/users/<int:user_id>/reactivate")
@roles_required("admin")
def reactivate(user_id: int):
    user = _user(user_id)
    access.reactivate_user(db.session, user, current_user)
    db.session.commit()
    flash(f"{user.name} can sign in again.", "success")
    return redirect(url_for("admin.users", q=user.email))


@bp.post("/admin/users/<int:user_id>/reset-sign-in")
@roles_required("admin")
def reset_sign_in(user_id: int):
    user = _user(user_id)
    if user.id == current_user.id:
        flash("To change your own password, use 'Password and API tokens'.", "info")
        return redirect(url_for("admin.users"))
    token = access.reset_sign_in(db.session, user, current_user)
    db.session.commit()
    return render_template(
        "admin/reset_done.html",
        user=user,
        link=url_for("accounts.reset_password", reset_token=token, _external=True),
        mail=_mail(),
    )


# ---- organisations and families -----------------------------------------------------------------


@bp.get("/admin/organisations")
@roles_required("admin")
def organisations():
    return render_template("admin/organisations.html", rows=reading.organisations())


@bp.get("/admin/families")
@roles_required("admin")
def families():
    number, _ = page_args()
    q = request.args.get("q", "").strip()
    found = reading.page(reading.families_query(q), number)
    pending = reading.open_invitations([f.id for f in found.items])
    return render_template("admin/families.html", page=found, q=q, pending=pending)


# ---- the audit log ------------------------------------------------------------------------------


@bp.get("/admin/audit")
@roles_required("admin")
def audit_log():
    number, _ = page_args()
    wanted = reading.AuditFilter(
        **{k: request.args.get(k, "").strip()[:254] for k in ("object_type", "object_id", "user", "action")}
    )
    rows, total = reading.audit_page(wanted, number)
    types, actions = reading.audit_choices()
    last = max(1, -(-total // reading.PER_PAGE))
    return render_template(
        "admin/audit.html",
        rows=rows,
        total=total,
        number=number,
        last=last,
        filters=wanted.__dict__,
        types=types,
        actions=actions,
    )
