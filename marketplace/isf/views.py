"""ISF pages: lists and detail for providers, families and commissioners; forms for receipts,
releases and decisions; statements (page, CSV, PDF) and the quarterly review pack."""

from datetime import timedelta

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import exists, select

from marketplace.accounts.models import Role
from marketplace.accounts.permissions import visible
from marketplace.budgets.models import Budget, FundingStream, ManagementOption
from marketplace.core.auth import signed_in
from marketplace.core.clock import today
from marketplace.core.dashboard import register_panel
from marketplace.core.db import db
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.money import format_bp, format_pence
from marketplace.core.people_csv import csv_date, csv_money, write_csv
from marketplace.core.schemas import parse
from marketplace.core.templating import register_nav, state_label
from marketplace.isf import operations, pdf, permissions, reading, statements
from marketplace.isf.api import stream_or_family
from marketplace.isf.models import ContingencyRelease, Isf
from marketplace.isf.schemas import AmendForm, DecisionForm, PeriodIn, ReceiptForm, ReleaseForm, SetupForm

bp = Blueprint("isf", __name__)
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def register(app) -> None:
    register_nav("isf.list_isfs", "ISFs", roles=("family", "provider", "commissioner", "admin"))
    for role in ("provider", "commissioner", "admin", "family"):
        register_panel(role, isf_panel)


def isf_panel(user):
    """Dashboard panel: the ISFs the user may see, with balances, parked funds and pending releases."""
    if not user.is_authenticated or (user.role is Role.FAMILY and user.family_id is None):
        return None
    isfs = db.session.scalars(permissions.visible_isfs(user).limit(50)).all()
    if not isfs:
        return None
    rows = [reading.summary(db.session, i) for i in isfs]
    pending = {i.id: len(reading.pending_releases(db.session, i)) for i in isfs}
    explained = (
        {i.id: reading.explain_available(db.session, i, today()) for i in isfs}
        if user.role is Role.FAMILY
        else {}
    )
    return "isf/_panel.html", {
        "isfs": rows,
        "pending": pending,
        "role": user.role.value,
        "explained": explained,
    }


@bp.get("/isfs")
@signed_in
def list_isfs():
    isfs = db.session.scalars(permissions.visible_isfs(current_user)).all()
    rows = [reading.summary(db.session, i) for i in isfs]
    return render_template("isf/list.html", isfs=rows, awaiting=_budgets_awaiting_isf(current_user))


def _budgets_awaiting_isf(user) -> list[Budget]:
    """Budgets the commissioner funds that have streams managed as an ISF but no ISF yet."""
    if user.role is not Role.COMMISSIONER:
        return []
    query = (
        select(Budget)
        .join(FundingStream, FundingStream.budget_id == Budget.id)
        .where(
            FundingStream.management == ManagementOption.ISF,
            FundingStream.funder_id.in_(user.organisation_ids),
            ~exists().where(Isf.budget_id == Budget.id),
        )
        .distinct()
        .order_by(Budget.id)
    )
    return list(db.session.scalars(query))


@bp.route("/budgets/<int:budget_id>/isf/new", methods=["GET", "POST"])
@signed_in
def set_up_isf(budget_id: int):
    """A funding commissioner sets up the ISF; the provider then agrees (DESIGN: agreed by both)."""
    budget = db.session.get(Budget, budget_id)
    may_see = budget is not None and current_user.role is Role.COMMISSIONER
    visible(budget, may_see and bool(current_user.organisation_ids & budget.funder_ids), "budget")
    org = next(o for o in current_user.organisations if o.id in budget.funder_ids)
    form = request.form.to_dict() if request.method == "POST" else SetupForm.initial(budget)
    errors, status = {}, 200
    if request.method == "POST":
        try:
            data = parse(SetupForm(), form)
            isf = operations.set_up_isf(
                db.session, budget=budget, commissioner=org, actor=current_user, **data
            )
        except (ValidationFailed, Conflict) as err:
            db.session.rollback()
            errors, status = err.fields or {"_form": [err.message]}, err.status
        else:
            db.session.commit()
            flash(f"ISF set up. {isf.provider.name} needs to agree it before anything is drawn.", "success")
            return redirect(url_for("isf.isf_detail", isf_id=isf.id))
    return render_template(
        "isf/new.html",
        budget=budget,
        streams=[st for st in budget.streams if st.management is ManagementOption.ISF],
        providers=reading.verified_providers(db.session),
        form=form,
        errors=errors,
        weekdays=WEEKDAYS,
    ), status


@bp.route("/isfs/<int:isf_id>/amend", methods=["GET", "POST"])
@signed_in
def amend(isf_id: int):
    """Either party changes the terms; every change is kept with who and why."""
    isf = permissions.get_visible(current_user, isf_id)
    permissions.agreeing_organisation(current_user, isf)
    errors = {}
    form = (
        request.form.to_dict()
        if request.method == "POST"
        else {
            "weekly_amount": format_pence(isf.weekly_amount, symbol=False),
            "contingency_bp": format_bp(isf.contingency_bp).rstrip("%"),
            "top_slice_bp": format_bp(isf.top_slice_bp).rstrip("%"),
            "surplus_threshold_weeks": str(isf.surplus_threshold_weeks),
            "end_date": str(isf.end_date),
        }
    )
    if request.method == "POST":
        try:
            data = parse(AmendForm(), {k: v for k, v in form.items() if v != ""})
            reason = data.pop("reason")
            operations.amend_isf(db.session, isf, reason=reason, changes=data, actor=current_user)
        except (ValidationFailed, Conflict) as err:
            db.session.rollback()
            errors = err.fields or {"_form": [err.message]}
        else:
            db.session.commit()
            flash("The ISF's terms are changed; the change is recorded.", "success")
            return redirect(url_for("isf.isf_detail", isf_id=isf.id))
    return render_template("isf/amend.html", isf=isf, form=form, errors=errors), (422 if errors else 200)


def _detail(isf: Isf, errors=None, form=None, status=200):
    view = reading.detail(db.session, isf)
    is_holder = current_user.role is Role.PROVIDER and isf.provider_id in current_user.organisation_ids
    is_funder = current_user.role is Role.COMMISSIONER and bool(
        current_user.organisation_ids & isf.funder_ids
    )
    flagged_to = is_holder or is_funder or current_user.role is Role.ADMIN
    return render_template(
        "isf/detail.html",
        isf=view,
        history=statements.balance_history(db.session, isf),
        weekday=WEEKDAYS[isf.drawdown_weekday],
        is_holder=is_holder,
        is_funder=is_funder,
        overdue=reading.overdue_instalments(db.session, isf, today()) if flagged_to else [],
        explained=reading.explain_available(db.session, isf, today()),
        errors=errors or {},
        form=form or {},
        today=today(),
    ), status


@bp.get("/isfs/<int:isf_id>")
@signed_in
def isf_detail(isf_id: int):
    return _detail(permissions.get_visible(current_user, isf_id))


def _form_action(isf: Isf, action, message: str):
    """Run `action()` for a form post; on bad input or a refusal show the page with the errors."""
    try:
        action()
    except (ValidationFailed, Conflict) as err:
        db.session.rollback()
        return _detail(isf, err.fields or {"_form": [err.message]}, request.form.to_dict(), err.status)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("isf.isf_detail", isf_id=isf.id))


@bp.post("/isfs/<int:isf_id>/receipts")
@signed_in
def record_receipt(isf_id: int):
    isf = permissions.get_visible(current_user, isf_id)
    permissions.require_holder(current_user, isf)

    def action():
        data = parse(ReceiptForm(), request.form.to_dict(), "Check the receipt")
        operations.record_receipt(
            db.session,
            isf,
            stream=stream_or_family(isf, data["stream_id"]),
            amount=data["amount"],
            received_on=data["received_on"],
            reference=data["reference"],
            actor=current_user,
        )

    return _form_action(isf, action, "Receipt recorded.")


@bp.post("/isfs/<int:isf_id>/releases")
@signed_in
def request_release(isf_id: int):
    isf = permissions.get_visible(current_user, isf_id)
    permissions.require_holder(current_user, isf)

    def action():
        data = parse(ReleaseForm(), request.form.to_dict(), "Check the release request")
        operations.request_release(
            db.session, isf, amount=data["amount"], reason=data["reason"], actor=current_user
        )

    return _form_action(isf, action, "Contingency release requested. The commissioner will decide it.")


@bp.post("/isfs/<int:isf_id>/releases/<int:release_id>/<any(approve, refuse):decision>")
@signed_in
def decide_release(isf_id: int, release_id: int, decision: str):
    isf = permissions.get_visible(current_user, isf_id)
    release = db.session.get(ContingencyRelease, release_id)
    permissions.visible(release, release is not None and release.isf_id == isf.id, "release")
    organisation = permissions.funding_organisation(current_user, isf)
    operation = operations.approve_release if decision == "approve" else operations.refuse_release

    def action():
        data = parse(DecisionForm(), request.form.to_dict(), "Check the decision")
        operation(db.session, release, organisation=organisation, actor=current_user, note=data["note"])

    return _form_action(
        isf, action, f"Release {'approved and paid' if decision == 'approve' else 'refused'}."
    )


@bp.get("/isfs/<int:isf_id>/unpark")
@signed_in
def unpark_preview(isf_id: int):
    """What un-parking will post (weeks, amounts, shortfall), for the provider to confirm."""
    isf = permissions.get_visible(current_user, isf_id)
    permissions.require_holder(current_user, isf)
    if not isf.is_parked:
        flash("This ISF is not parked: the weekly drawdown runs as usual.", "success")
        return redirect(url_for("isf.isf_detail", isf_id=isf.id))
    return _unpark_page(isf)


def _unpark_page(isf: Isf, errors=None, status=200):
    return render_template(
        "isf/unpark.html", isf=isf, plan=operations.preview_catch_up(db.session, isf), errors=errors or {}
    ), status


@bp.post("/isfs/<int:isf_id>/unpark")
@signed_in
def unpark(isf_id: int):
    """Un-park once the provider has seen and confirmed the weeks it posts (`weeks`, the number
    shown); a changed catch-up posts nothing and shows the new one."""
    isf = permissions.get_visible(current_user, isf_id)
    permissions.require_holder(current_user, isf)
    weeks = request.form.get("weeks", "")
    if not isf.is_parked:
        flash("This ISF is not parked: the weekly drawdown runs as usual.", "success")
        return redirect(url_for("isf.isf_detail", isf_id=isf.id))
    if not weeks.isdigit():
        message = "Check what un-parking will post, then confirm it"
        return _unpark_page(isf, {"confirm": [message]}, 422)
    try:
        operations.unpark_isf(db.session, isf, actor=current_user, expected_weeks=int(weeks))
    except Conflict as err:
        db.session.rollback()
        return _unpark_page(isf, {"confirm": [err.message]}, err.status)
    db.session.commit()
    flash(f"Un-parked: {weeks} weeks posted and caught up.", "success")
    return redirect(url_for("isf.isf_detail", isf_id=isf.id))


@bp.post("/isfs/<int:isf_id>/agree")
@signed_in
def agree(isf_id: int):
    isf = permissions.get_visible(current_user, isf_id)
    organisation = permissions.agreeing_organisation(current_user, isf)
    return _form_action(
        isf, lambda: operations.agree_isf(db.session, isf, organisation, current_user), "Agreement recorded."
    )


# ---- statements and review pack -----------------------------------------------------------------


def _period(isf: Isf, default_weeks: int) -> tuple:
    args = request.args.to_dict()
    if not args.get("from") and not args.get("to"):
        end = today()
        return max(isf.start_date, end - timedelta(weeks=default_weeks) + timedelta(days=1)), end
    data = parse(PeriodIn(), args, "Check the period")
    return data["from_"], data["to"]


@bp.get("/isfs/<int:isf_id>/statement")
@bp.get("/isfs/<int:isf_id>/statement.<any(csv, pdf):fmt>")
@signed_in
def statement(isf_id: int, fmt: str = "html"):
    isf = permissions.get_visible(current_user, isf_id)
    start, end = _period(isf, 13)
    stmt = statements.statement(db.session, isf, start, end)
    name = f"isf-{isf.id}-statement-{start.isoformat()}-{end.isoformat()}"
    if fmt == "csv":
        return Response(
            _statement_csv(stmt),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if fmt == "pdf":
        return Response(
            pdf.statement_pdf(isf, stmt),
            mimetype="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'},
        )
    return render_template("isf/statement.html", isf=isf, s=stmt)


STATEMENT_CSV_COLUMNS = {  # the statement line's key -> the heading people read
    "date": "Date",
    "type": "Type",
    "description": "Description",
    "funder": "Funder",
    "amount": "Amount",
    "available_change": "Change in available",
    "contingency_change": "Change in contingency",
    "top_slice": "Top-slice",
    "delivery": "Delivery",
    "shortfall": "Shortfall",
}
STATEMENT_CSV_TOTALS = {
    "receipts": "Receipts",
    "contingency_set_aside": "Set aside for contingency",
    "drawn": "Drawn",
    "top_slice": "Top-slice",
    "delivery": "Delivery",
    "contingency_released": "Contingency released",
    "shortfall": "Shortfall",
}


def _statement_cell(key: str, value) -> str:
    if key == "date":
        return csv_date(value)
    if key == "type":
        return state_label(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return csv_money(value)
    return "" if value is None else str(value)


def _statement_csv(stmt: dict) -> str:
    """The statement for people's spreadsheets (core.people_csv: £1,234.56, DD/MM/YYYY)."""
    rows = [[_statement_cell(c, line[c]) for c in STATEMENT_CSV_COLUMNS] for line in stmt["lines"]]
    rows.append([])
    rows += [["Total", label, "", "", csv_money(stmt[key])] for key, label in STATEMENT_CSV_TOTALS.items()]
    for when in ("opening", "closing"):
        rows.append([when.capitalize(), "Available", "", "", csv_money(stmt[when]["available"])])
        rows.append([when.capitalize(), "Contingency", "", "", csv_money(stmt[when]["contingency"])])
    for f in stmt["funders"]:
        rows.append(["Funder", state_label(f["stream"]), "", f["funder"], csv_money(f["receipts"]), "",
                     csv_money(f["contingency_set_aside"]), "", csv_money(f["share_of_drawn"])])  # fmt: skip
    return write_csv(list(STATEMENT_CSV_COLUMNS.values()), rows)


@bp.get("/isfs/<int:isf_id>/review")
@bp.get("/isfs/<int:isf_id>/review.<any(pdf):fmt>")
@signed_in
def review(isf_id: int, fmt: str = "html"):
    isf = permissions.get_visible(current_user, isf_id)
    start, end = _period(isf, 13)
    pack = statements.review_pack(db.session, isf, start, end)
    if fmt == "pdf":
        return Response(
            pdf.review_pdf(isf, pack),
            mimetype="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="isf-{isf.id}-review-{end.isoformat()}.pdf"'
            },
        )
    return render_template("isf/review.html", isf=isf, r=pack)
