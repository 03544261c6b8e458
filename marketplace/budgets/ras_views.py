"""Resource Allocation System pages: a commissioner sets one up and publishes it; a family (or a
worker with them) answers it and sees the indicative allocation and how it was reached."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.accounts.permissions import allowed, visible
from marketplace.budgets import operations
from marketplace.budgets.models import RasAssessment, ResourceAllocationSystem
from marketplace.budgets.permissions import (
    assessable_children,
    assessment_visibility,
    can_manage_ras,
    can_see_assessment,
    can_see_ras,
)
from marketplace.budgets.schemas import AssessForm, RasForm, answers_from_form, form_dict, id_or_none
from marketplace.budgets.views import bp
from marketplace.core.auth import roles_required, signed_in
from marketplace.core.db import db
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.schemas import parse

EXAMPLE_QUESTIONS = """How much help does your child need with personal care?
- Little or none = 0
- Some help every day = 4
- Help with everything, day and night = 8

How often are you woken at night to care for your child?
- Rarely = 0
- Most nights = 3
- Several times every night = 6"""


def _load_ras(ras_id: str) -> ResourceAllocationSystem:
    number = id_or_none(ras_id)
    ras = db.session.get(ResourceAllocationSystem, number) if number is not None else None
    return visible(ras, can_see_ras(current_user, ras), "Resource Allocation System")


@bp.get("/ras")
@signed_in
def ras_index():
    mine = []
    if current_user.role is Role.COMMISSIONER:
        mine = db.session.scalars(
            select(ResourceAllocationSystem)
            .where(ResourceAllocationSystem.commissioner_id.in_(current_user.organisation_ids))
            .order_by(ResourceAllocationSystem.id.desc())
        ).all()
    published = db.session.scalars(
        select(ResourceAllocationSystem).where(ResourceAllocationSystem.live.is_(True))
    ).all()
    published = [r for r in published if can_see_ras(current_user, r)]
    assessments = db.session.scalars(
        select(RasAssessment)
        .where(assessment_visibility(current_user))
        .order_by(RasAssessment.id.desc())
        .limit(100)
    ).all()
    return render_template(
        "budgets/ras_index.html",
        mine=mine,
        published=published,
        assessments=assessments,
        can_create=current_user.role is Role.COMMISSIONER,
    )


@bp.route("/ras/new", methods=["GET", "POST"])
@roles_required("commissioner")
def ras_new():
    allowed(
        current_user.role is Role.COMMISSIONER, "Only a commissioner sets up a Resource Allocation System."
    )
    if request.method == "GET":
        return render_template("budgets/ras_new.html", errors={}, form={"questions": EXAMPLE_QUESTIONS})
    form = form_dict(request.form)
    try:
        data = parse(RasForm(), form, "Check the Resource Allocation System")
        ras = operations.create_ras(
            db.session, commissioner=current_user.organisation, actor=current_user, **data
        )
    except ValidationFailed as err:
        db.session.rollback()
        return render_template("budgets/ras_new.html", errors=_ras_fields(err.fields), form=form), 422
    db.session.commit()
    flash("Draft saved. Check it, then publish it.", "success")
    return redirect(url_for("budgets.ras_detail", ras_id=ras.id))


def _ras_fields(fields: dict) -> dict:
    """Errors about one question are shown against the questions box."""
    out: dict[str, list[str]] = {}
    for name, messages in fields.items():
        key = "questions" if name.startswith("questions.") else name
        out.setdefault(key, []).extend(messages)
    return out


@bp.get("/ras/<ras_id>")
@signed_in
def ras_detail(ras_id: str):
    ras = _load_ras(ras_id)
    return render_template("budgets/ras_detail.html", ras=ras, can_manage=can_manage_ras(current_user, ras))


@bp.post("/ras/<ras_id>/publish")
@signed_in
def ras_publish(ras_id: str):
    ras = _load_ras(ras_id)
    allowed(can_manage_ras(current_user, ras), "Only the commissioner who owns this RAS can publish it.")
    operations.publish_ras(db.session, ras, actor=current_user)
    db.session.commit()
    flash(f"{ras.name} is published; it replaces any earlier version.", "success")
    return redirect(url_for("budgets.ras_detail", ras_id=ras.id))


def _render_assess(ras, children, errors, form, status=200):
    return render_template(
        "budgets/ras_assess.html", ras=ras, children=children, errors=errors, form=form
    ), status


@bp.route("/ras/<ras_id>/assess", methods=["GET", "POST"])
@signed_in
def ras_assess(ras_id: str):
    ras = _load_ras(ras_id)
    if not ras.live:
        raise Conflict("This RAS is not published; answer the one in use.", code="ras_not_published")
    children = assessable_children(current_user)
    allowed(bool(children), "Your account cannot answer a RAS for any child.")
    if request.method == "GET":
        return _render_assess(ras, children, {}, {})
    form = form_dict(request.form)
    try:
        data = parse(AssessForm(), form, "Answer every question")
        child = next((c for c in children if c.id == data["child"]), None)
        if child is None:
            raise ValidationFailed("Choose the child", fields={"child": ["Choose the child from the list"]})
        assessment = operations.assess(
            db.session, ras, child=child, actor=current_user, answers=answers_from_form(form)
        )
    except ValidationFailed as err:
        db.session.rollback()
        return _render_assess(ras, children, err.fields, form, 422)
    db.session.commit()
    return redirect(url_for("budgets.ras_assessment", assessment_id=assessment.id))


@bp.get("/ras/assessments/<assessment_id>")
@signed_in
def ras_assessment(assessment_id: str):
    number = id_or_none(assessment_id)
    assessment = db.session.get(RasAssessment, number) if number is not None else None
    visible(assessment, can_see_assessment(current_user, assessment), "assessment")
    return render_template("budgets/ras_assessment.html", assessment=assessment)
