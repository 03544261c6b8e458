"""Budget pages: the family's budget at a glance, commissioners' create/amend, support plans.

Each view loads what the URL names (404 if the caller may not see it), checks the caller may do
the action (403), parses the form, calls one operation, commits and redirects.
"""

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from marketplace.accounts.models import Child, Family, Organisation, OrgKind, Role
from marketplace.accounts.permissions import allowed, visible
from marketplace.budgets import operations
from marketplace.budgets.balances import budget_balances, pounds, statement
from marketplace.budgets.lookups import outcome_for_budget
from marketplace.budgets.models import (
    Budget,
    BudgetAmendment,
    FundingStream,
    ManagementOption,
    OutcomeStatus,
    StreamKind,
    SupportOutcome,
    TimeFrame,
)
from marketplace.budgets.permissions import (
    can_amend_stream,
    can_change_status,
    can_create_budget,
    can_edit_support_plan,
    can_see_budget,
    known_families,
    knows_family,
    visible_budgets,
)
from marketplace.budgets.schemas import (
    KNOWN_CATEGORIES,
    AmendStreamForm,
    NewBudgetForm,
    OutcomeForm,
    OutcomeUpdateForm,
    StatusForm,
    form_dict,
    id_or_none,
    stream_rows,
)
from marketplace.core.auth import roles_required, signed_in
from marketplace.core.db import db
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.money import format_pence
from marketplace.core.people_csv import csv_date, csv_money, write_csv
from marketplace.core.schemas import parse
from marketplace.core.templating import state_label

bp = Blueprint("budgets", __name__)
NEW_BUDGET_ROWS = 2


def load_budget(budget_id: str) -> Budget:
    """The budget named in the URL, or a 404 (also when the caller may not see it)."""
    number = id_or_none(budget_id)
    budget = db.session.get(Budget, number) if number is not None else None
    return visible(budget, can_see_budget(current_user, budget), "budget")


def percent(part: int, whole: int) -> int:
    """Whole-number percentage for the CSS bars (integer arithmetic)."""
    return 0 if whole <= 0 else max(0, min(100, part * 100 // whole))


def stream_choice(budget: Budget, value: str | None) -> FundingStream | None:
    """?stream= by kind (social_care) or id; blank or 'all' means every stream."""
    if not value or value == "all":
        return None
    for stream in budget.streams:
        if value in (stream.kind.value, str(stream.id)):
            return stream
    kinds = ", ".join(s.kind.value for s in budget.streams)
    raise ValidationFailed(
        "There is no such stream in this budget", fields={"stream": [f"Choose one of: {kinds}"]}
    )


# ---- budget pages ---------------------------------------------------------------------------


@bp.get("/budgets")
@signed_in
def index():
    rows = [(b, *budget_balances(db.session, b)) for b in visible_budgets(current_user)]
    return render_template(
        "budgets/index.html", rows=rows, can_create=can_create_budget(current_user), percent=percent
    )


def render_budget(budget: Budget, *, errors=None, form=None, status: int = 200):
    stream = stream_choice(budget, request.args.get("stream"))
    balances, totals = budget_balances(db.session, budget)
    amendments = db.session.scalars(
        select(BudgetAmendment).where(BudgetAmendment.budget_id == budget.id).order_by(BudgetAmendment.id)
    ).all()
    return render_template(
        "budgets/detail.html",
        budget=budget,
        balances=balances,
        totals=totals,
        lines=statement(db.session, budget, stream),
        chosen_stream=stream,
        amendments=amendments,
        percent=percent,
        transitions=sorted(s.value for s in operations.TRANSITIONS[budget.status]),
        can_change_status=can_change_status(current_user, budget),
        can_amend=lambda s: can_amend_stream(current_user, s),
        can_edit_plan=can_edit_support_plan(current_user, budget),
        time_frames=[t.value for t in TimeFrame],
        outcome_statuses=[s.value for s in OutcomeStatus],
        errors=errors or {},
        form=form or {},
    ), status


@bp.get("/budgets/<budget_id>")
@signed_in
def detail(budget_id: str):
    return render_budget(load_budget(budget_id))


@bp.get("/budgets/<budget_id>/statement.csv")
@signed_in
def statement_csv(budget_id: str):
    budget = load_budget(budget_id)
    stream = stream_choice(budget, request.args.get("stream"))
    text = write_csv(
        ["Date", "Stream", "Funder", "Description", "Reference", "Money in", "Money out", "Balance"],
        (
            [
                csv_date(line.day),
                state_label(line.stream.kind),
                line.stream.funder.name,
                line.description,
                line.reference,
                csv_money(line.money_in),
                csv_money(line.money_out),
                csv_money(line.balance),
            ]
            for line in statement(db.session, budget, stream)
        ),
    )
    name = f"budget-{budget.id}-statement{'-' + stream.kind.value if stream else ''}.csv"
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.post("/budgets/<budget_id>/status")
@signed_in
def change_status(budget_id: str):
    budget = load_budget(budget_id)
    allowed(
        can_change_status(current_user, budget), "Only a funding commissioner can change the budget's status."
    )
    data = parse(StatusForm(), request.form, "Choose a status")
    operations.change_budget_status(db.session, budget, data["status"], actor=current_user)
    db.session.commit()
    flash(f"The budget is now {budget.status.value}.", "success")
    return redirect(url_for("budgets.detail", budget_id=budget.id))


# ---- creating and amending ------------------------------------------------------------------


def _commissioners() -> list[Organisation]:
    return list(
        db.session.scalars(
            select(Organisation).where(Organisation.kind == OrgKind.COMMISSIONER).order_by(Organisation.name)
        )
    )


def _render_new(errors, form, status=200):
    defaults = {"streams.0.funder": current_user.organisation.slug if current_user.organisation else ""}
    return render_template(
        "budgets/new.html",
        errors=errors,
        form={**defaults, **form},
        rows=range(NEW_BUDGET_ROWS),
        funders=_commissioners(),
        kinds=[k.value for k in StreamKind],
        managements=[m.value for m in ManagementOption],
        categories=KNOWN_CATEGORIES,
        statuses=["indicative", "agreed", "active"],
        children=[(c, f) for f in known_families(current_user) for c in f.children],
    ), status


def _resolve_new_budget(data: dict):
    """Turn slugs and names into the family's child and funder organisations; errors name the field."""
    errors: dict[str, list[str]] = {}
    child, family = None, None
    if data["child_id"]:
        picked = db.session.get(Child, id_or_none(data["child_id"]) or 0)
        if picked is None or not knows_family(current_user, picked.family):
            errors["child_id"] = ["Choose the child from the list"]
        else:
            child = picked
    elif not data["family"]:
        errors["child_id"] = ["Choose the child the budget is for"]
    else:
        family = db.session.scalar(select(Family).where(Family.slug == data["family"]))
        if family is None:
            errors["family"] = ["There is no family with that reference"]
    if family is not None:
        wanted = data["child"].casefold()
        matches = [c for c in family.children if c.name.casefold() == wanted] if wanted else family.children
        if len(matches) == 1:
            child = matches[0]
        elif knows_family(current_user, family):
            errors["child"] = [
                f"Enter the child's name: {', '.join(c.name for c in family.children) or 'none'}"
            ]
        else:  # a commissioner with no link to the family does not learn its children's names
            errors["child"] = ["Enter the child's name as the family gave it to you"]
    funders = {o.slug: o for o in _commissioners()}
    streams = []
    for i, row in enumerate(data["streams"]):
        funder = funders.get(row["funder"])
        if funder is None:
            errors[f"streams.{i}.funder"] = ["Choose a commissioning organisation"]
        streams.append({**row, "funder": funder})
    # who may commit which funder's money is the operation's rule (create_budget)
    if errors:
        raise ValidationFailed("Check the budget", fields=errors)
    return child, streams


@bp.route("/budgets/new", methods=["GET", "POST"])
@roles_required("commissioner")
def new():
    if request.method == "GET":
        return _render_new({}, {})
    form = form_dict(request.form, lists=("categories",))
    top = {k: v for k, v in form.items() if not k.startswith("streams.")}
    try:
        data = parse(NewBudgetForm(), {**top, "streams": stream_rows(form, NEW_BUDGET_ROWS)})
        child, streams = _resolve_new_budget(data)
        budget = operations.create_budget(
            db.session,
            child=child,
            streams=streams,
            actor=current_user,
            period_start=data["period_start"],
            period_end=data["period_end"],
            status=data["status"],
        )
    except ValidationFailed as err:
        db.session.rollback()
        return _render_new(err.fields, form, 422)
    db.session.commit()
    flash(f"Budget created for {budget.child.name}: {format_pence(budget.allocated)}.", "success")
    return redirect(url_for("budgets.detail", budget_id=budget.id))


def _load_stream(budget: Budget, stream_id: str) -> FundingStream:
    number = id_or_none(stream_id)
    stream = next((s for s in budget.streams if s.id == number), None)
    return visible(stream, stream is not None, "funding stream")


@bp.route("/budgets/<budget_id>/streams/<stream_id>/amend", methods=["GET", "POST"])
@signed_in
def amend(budget_id: str, stream_id: str):
    budget = load_budget(budget_id)
    stream = _load_stream(budget, stream_id)
    allowed(can_amend_stream(current_user, stream), "Only this stream's funder can amend it.")
    if request.method == "GET":
        form = {
            "amount": pounds(stream.amount),
            "po_number": stream.po_number,
            "payment_terms_days": str(stream.payment_terms_days),
            "categories": list(stream.categories or []),
        }
        return _render_amend(budget, stream, {}, form)
    form = form_dict(request.form, lists=("categories",))
    try:
        data = parse(AmendStreamForm(), form, "Check the amendment")
        reason = data.pop("reason")
        operations.amend_stream(db.session, stream, actor=current_user, reason=reason, **data)
    except (ValidationFailed, Conflict) as err:
        db.session.rollback()
        # a refusal (409) is shown against the fields it names, in full
        errors = (
            {name: [err.message] for name in err.fields or ["reason"]} if err.status == 409 else err.fields
        )
        return _render_amend(budget, stream, errors, form, err.status)
    db.session.commit()
    flash(f"The {stream.kind.value.replace('_', ' ')} stream was amended.", "success")
    return redirect(url_for("budgets.detail", budget_id=budget.id))


def _render_amend(budget, stream, errors, form, status=200):
    return render_template(
        "budgets/amend.html",
        budget=budget,
        stream=stream,
        errors=errors,
        form=form,
        categories=sorted(set(KNOWN_CATEGORIES) | set(stream.categories or [])),
    ), status


# ---- support plan ---------------------------------------------------------------------------


@bp.post("/budgets/<budget_id>/outcomes")
@signed_in
def add_outcome(budget_id: str):
    budget = load_budget(budget_id)
    allowed(can_edit_support_plan(current_user, budget), "You cannot change this support plan.")
    form = form_dict(request.form)
    try:
        data = parse(OutcomeForm(), form, "Check the outcome")
        operations.add_outcome(db.session, budget, actor=current_user, **data)
    except ValidationFailed as err:
        db.session.rollback()
        return render_budget(budget, errors=err.fields, form=form, status=422)
    db.session.commit()
    flash("Outcome added to the support plan.", "success")
    return redirect(url_for("budgets.detail", budget_id=budget.id) + "#support-plan")


@bp.post("/budgets/<budget_id>/outcomes/<outcome_id>")
@signed_in
def update_outcome(budget_id: str, outcome_id: str):
    budget = load_budget(budget_id)
    number = id_or_none(outcome_id)
    outcome = outcome_for_budget(db.session, budget.id, number) if number is not None else None
    visible(outcome, isinstance(outcome, SupportOutcome), "outcome")
    allowed(can_edit_support_plan(current_user, budget), "You cannot change this support plan.")
    data = parse(OutcomeUpdateForm(), form_dict(request.form), "Check the outcome")
    operations.update_outcome(db.session, outcome, actor=current_user, **data)
    db.session.commit()
    flash("Outcome updated.", "success")
    return redirect(url_for("budgets.detail", budget_id=budget.id) + "#support-plan")


# ---- navigation and dashboard panels ----------------------------------------------------------


def family_panel(user):
    if user.role is not Role.FAMILY or user.family_id is None:
        return None
    rows = [(b, *budget_balances(db.session, b)) for b in visible_budgets(user)]
    return "budgets/_panel_budgets.html", {"title": "Your budgets", "rows": rows, "percent": percent}


def commissioner_panel(user):
    rows = [(b, *budget_balances(db.session, b)) for b in visible_budgets(user)]
    return "budgets/_panel_budgets.html", {
        "title": "Budgets you fund",
        "rows": rows,
        "percent": percent,
        "can_create": True,
        "ras_link": True,
    }


def admin_panel(user):
    rows = [(b, *budget_balances(db.session, b)) for b in visible_budgets(user)]
    return "budgets/_panel_budgets.html", {"title": "All budgets", "rows": rows, "percent": percent}


def register(app) -> None:
    from marketplace.core.dashboard import register_panel
    from marketplace.core.templating import register_nav

    register_nav("budgets.index", "Budgets", roles=("family", "commissioner", "admin"))
    register_nav("budgets.ras_index", "Resource allocation", roles=("family", "commissioner", "admin"))
    register_panel("family", family_panel)
    register_panel("commissioner", commissioner_panel)
    register_panel("admin", admin_panel)


from marketplace.budgets import family_views, ras_views  # noqa: E402, F401  (they share this blueprint)
