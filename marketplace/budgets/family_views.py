"""A commissioner (or admin) invites a family's parent or carer: for a family it already knows,
or a new family with its first child. The family is then in its pickers (a budget for the child)."""

from flask import current_app, render_template, request, url_for
from flask_login import current_user

from marketplace.accounts import invitations
from marketplace.accounts.schemas import InviteFamilyForm
from marketplace.budgets.permissions import known_families
from marketplace.budgets.views import bp
from marketplace.core.auth import roles_required
from marketplace.core.db import db
from marketplace.core.errors import ValidationFailed
from marketplace.core.schemas import parse


def _render(errors, form, status=200):
    return render_template(
        "budgets/invite_family.html", families=known_families(current_user), errors=errors, form=form
    ), status


@bp.route("/invite-family", methods=["GET", "POST"])
@roles_required("commissioner")
def invite_family():
    if request.method == "GET":
        return _render({}, {})
    form = request.form.to_dict()
    try:
        data = parse(InviteFamilyForm(), form, "Check who you are inviting")
        family = None
        if data["family"]:
            family = next((f for f in known_families(current_user) if str(f.id) == data["family"]), None)
            if family is None:
                raise ValidationFailed(
                    "Check the family", fields={"family": ["Choose a family from the list"]}
                )
        invitation, token = invitations.invite_family(
            db.session,
            actor=current_user,
            email=data["email"],
            name=data["name"],
            family=family,
            family_name=data["family_name"],
            child_name=data["child_name"],
            date_of_birth=data["date_of_birth"],
            area=data["area"].strip() or None,
        )
    except ValidationFailed as err:
        db.session.rollback()
        return _render(err.fields, form, err.status)
    db.session.commit()
    return render_template(
        "accounts/invitation_sent.html",
        invitation=invitation,
        link=url_for("accounts.accept_invitation", invitation_token=token, _external=True),
        mail=bool(current_app.config.get("MAIL_SMTP_HOST")),
        again=url_for("budgets.invite_family"),
    )
