"""Ways in, for people without an account: accepting an invitation, choosing a new password from
a reset link, confirming an e-mail address, and a provider's application to join."""

from flask import current_app, flash, redirect, render_template, request, url_for

from marketplace.accounts import access, invitations, operations
from marketplace.accounts.models import Role
from marketplace.accounts.schemas import AcceptInvitationForm, NewPasswordForm
from marketplace.accounts.views import bp, start_session
from marketplace.core.db import db
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.schemas import parse


def mail_configured() -> bool:
    return bool(current_app.config.get("MAIL_SMTP_HOST"))


# ---- invitations ---------------------------------------------------------------------------


def _render_invitation(invitation, token, errors, form, status=200):
    return render_template(
        "accounts/invitation.html", invitation=invitation, token=token, errors=errors, form=form
    ), status


@bp.route("/invitations/<invitation_token>", methods=["GET", "POST"])
def accept_invitation(invitation_token: str):
    """Whom the invitation is for; they choose their password and their account is made."""
    token = invitation_token
    invitation = invitations.find_invitation(db.session, token)
    if request.method == "GET":
        return _render_invitation(invitation, token, {}, {"name": invitation.name})
    form = request.form.to_dict()
    try:
        data = parse(AcceptInvitationForm(), form, "Choose your password")
        user = invitations.accept_invitation(db.session, token, name=data["name"], password=data["password"])
    except (ValidationFailed, Conflict) as err:
        db.session.rollback()
        invitation = invitations.find_invitation(db.session, token)
        return _render_invitation(invitation, token, err.fields or {"_form": [err.message]}, form, err.status)
    db.session.commit()
    start_session(user)
    flash("Your account is ready. You are signed in.", "success")
    return redirect(url_for("core.dashboard"))


# ---- a new password from a reset link -----------------------------------------------------------


@bp.route("/reset-password/<reset_token>", methods=["GET", "POST"])
def reset_password(reset_token: str):
    token = reset_token
    user = access.user_for_reset(db.session, token)
    if request.method == "GET":
        return render_template("accounts/reset_password.html", user=user, errors={}, form={})
    form = request.form.to_dict()
    try:
        data = parse(NewPasswordForm(), form, "Choose your password")
        user = access.choose_new_password(db.session, token, data["password"])
    except ValidationFailed as err:
        db.session.rollback()
        page = render_template("accounts/reset_password.html", user=user, errors=err.fields, form={})
        return page, err.status
    db.session.commit()
    start_session(user)
    flash("Your new password is set. You are signed in.", "success")
    return redirect(url_for("core.dashboard"))


@bp.route("/confirm-email/<confirm_token>", methods=["GET", "POST"])
def confirm_email(confirm_token: str):
    """The link shows a button; pressing it confirms the address (a mail scanner that fetches
    the link confirms nothing, and no GET writes)."""
    if request.method == "GET":
        user = access.user_for_confirmation(db.session, confirm_token)
        return render_template("accounts/confirm_email.html", user=user)
    user = access.confirm_email(db.session, confirm_token)
    db.session.commit()
    return render_template("accounts/confirm_email.html", user=user, confirmed=True)


# ---- a provider applies to join -----------------------------------------------------------


JOIN_FIELDS = (
    "organisation_name", "name", "email", "password", "password_again", "description",
    "charity_number", "company_number", "ofsted_urn", "cqc_location_id", "contact_phone",
    "website", "address", "postcode",
)  # fmt: skip


@bp.route("/join/provider", methods=["GET", "POST"])
def join_as_provider():
    from marketplace.catalog.applications import apply_to_join

    if request.method == "GET":
        return render_template("accounts/join_provider.html", errors={}, form={})
    form = {k: request.form.get(k, "") for k in JOIN_FIELDS}
    try:
        if form["password"] != form["password_again"]:
            raise ValidationFailed(
                "Check your application", fields={"password_again": ["The two passwords are not the same"]}
            )
        access.throttle(db.session, "join", request.remote_addr or "unknown", free=5)
        apply_to_join(db.session, form)
    except ValidationFailed as err:
        db.session.rollback()
        form.pop("password"), form.pop("password_again")
        return render_template("accounts/join_provider.html", errors=err.fields, form=form), err.status
    except operations.Throttled as err:
        db.session.rollback()
        page = render_template("accounts/join_provider.html", errors=err.fields, form=form)
        return page, err.status, {"Retry-After": str(err.retry_after)}
    db.session.commit()
    # the same page whether or not the address already had an account (no enumeration)
    return render_template(
        "accounts/join_received.html",
        email=operations.normalise_email(form["email"]),
        organisation=form["organisation_name"],
        mail=mail_configured(),
        role=Role.PROVIDER,
    )
