"""Everything that changes budgets, streams, support plans and RAS. Operations flush; callers commit."""

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from marketplace.accounts.models import Child, Family, Organisation, OrgKind, Role
from marketplace.budgets.books import find_stream_account, funder_allocations_account, stream_account
from marketplace.budgets.models import (
    Budget,
    BudgetAmendment,
    BudgetStatus,
    FundingStream,
    ManagementOption,
    OutcomeStatus,
    RasAnswer,
    RasAssessment,
    RasQuestion,
    ResourceAllocationSystem,
    StreamKind,
    SupportOutcome,
    TimeFrame,
)
from marketplace.catalog.models import Category
from marketplace.core import audit
from marketplace.core.clock import financial_year, today, utcnow
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.money import MAX_PENCE, format_pence
from marketplace.ledger import operations as ledger
from marketplace.ledger.models import Account

CATEGORIES = frozenset(c.value for c in Category)  # the catalogue's taxonomy
MAX_TERMS_DAYS = 365
EARLIEST_PERIOD = date(2000, 1, 1)  # a budget's period lies in this window (rule 8)
LATEST_PERIOD = date(2099, 12, 31)

# Which status may follow which. A budget may be withdrawn (closed) before it is active; a
# closed budget is final.
TRANSITIONS: dict[BudgetStatus, set[BudgetStatus]] = {
    BudgetStatus.INDICATIVE: {BudgetStatus.AGREED, BudgetStatus.CLOSED},
    BudgetStatus.AGREED: {BudgetStatus.ACTIVE, BudgetStatus.CLOSED},
    BudgetStatus.ACTIVE: {BudgetStatus.CLOSED},
    BudgetStatus.CLOSED: set(),
}


# ---- budgets --------------------------------------------------------------------------------


def create_budget(
    session: Session,
    *,
    child: Child,
    streams: list[dict],
    actor=None,
    period_start: date | None = None,
    period_end: date | None = None,
    status: BudgetStatus | str = BudgetStatus.ACTIVE,
) -> Budget:
    """Create a budget with its streams and allocate each stream's amount through the ledger.

    `streams`: dicts with kind, funder (a commissioner Organisation), amount (pence), and optional
    po_number, payment_terms_days, categories, management. Kinds are unique within a budget.
    The period defaults to the financial year containing today (or `period_start`).
    """
    errors = _check_period(period_start, period_end)
    if not errors:
        default_start, default_end = financial_year(period_start or today())
        period_start = period_start or default_start
        period_end = period_end or default_end
        if period_end < period_start:
            errors["period_end"] = ["The period must end on or after it starts"]
    errors.update(_check_streams(streams))
    errors.update(_check_funders_agree(actor, streams))
    if BudgetStatus(status) is BudgetStatus.CLOSED:
        errors["status"] = ["A new budget cannot be closed"]
    if errors:
        raise ValidationFailed("Check the budget's funding streams", fields=errors)
    budget = Budget(
        child=child,
        family_id=child.family_id,
        period_start=period_start,
        period_end=period_end,
        status=BudgetStatus(status),
    )
    session.add(budget)
    for position, spec in enumerate(streams):
        budget.streams.append(
            FundingStream(
                position=position,
                kind=StreamKind(spec["kind"]),
                funder=spec["funder"],
                amount=spec["amount"],
                po_number=spec.get("po_number", ""),
                payment_terms_days=spec.get("payment_terms_days", 30),
                categories=sorted(set(spec.get("categories", []))),
                management=ManagementOption(spec.get("management", ManagementOption.MANAGED)),
            )
        )
    session.flush()
    for stream in budget.streams:
        if stream.amount:
            ledger.transfer(
                session,
                funder_allocations_account(session, stream.funder),
                stream_account(session, stream),
                stream.amount,
                "allocation",
                reference=("funding_stream", stream.id),
                idempotency_key=f"funding_stream:{stream.id}:allocation",
                effective_date=period_start,
            )
    audit.record(session, actor, "budget.created", budget, allocated=budget.allocated)
    return budget


def _check_funders_agree(actor, streams: list[dict]) -> dict[str, list[str]]:
    """A commissioner commits only its own organisation's money: every stream must be funded by
    one of the actor's organisations (another funder has not agreed to it, and its allocation
    account would be drawn on without it being asked). An admin (or the system, actor=None) may
    set up any stream, on the funders' behalf."""
    if actor is None or getattr(actor, "role", None) is Role.ADMIN:
        return {}
    own = set(getattr(actor, "organisation_ids", None) or ())
    errors: dict[str, list[str]] = {}
    for i, spec in enumerate(streams):
        funder = spec.get("funder")
        if isinstance(funder, Organisation) and funder.id not in own:
            errors[f"streams.{i}.funder"] = [
                f"Each stream must be funded by your organisation: {funder.name} has not agreed to "
                "commit this money, so leave the stream out until it does"
            ]
    return errors


def _check_period(start, end) -> dict[str, list[str]]:
    """A budget's period (either end, where given) lies within a sane window of the calendar:
    no year 1 or 9999, whose neighbouring days and financial years do not exist."""
    errors: dict[str, list[str]] = {}
    for name, value in (("period_start", start), ("period_end", end)):
        if value is not None and (
            not isinstance(value, date) or not EARLIEST_PERIOD <= value <= LATEST_PERIOD
        ):
            errors[name] = [
                f"Enter a date between {EARLIEST_PERIOD.strftime('%-d %B %Y')} and "
                f"{LATEST_PERIOD.strftime('%-d %B %Y')}"
            ]
    return errors


def _check_streams(streams: list[dict]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not streams:
        errors["streams"] = ["A budget needs at least one funding stream"]
    seen = set()
    for i, spec in enumerate(streams):
        kind = spec.get("kind")
        if kind not in {k.value for k in StreamKind}:
            errors[f"streams.{i}.kind"] = ["Choose social_care, education, health or charity"]
        elif kind in seen:
            errors[f"streams.{i}.kind"] = ["Each kind of stream appears once in a budget"]
        seen.add(kind)
        funder = spec.get("funder")
        if not isinstance(funder, Organisation) or funder.kind is not OrgKind.COMMISSIONER:
            errors[f"streams.{i}.funder"] = ["The funder must be a commissioning organisation"]
        amount = spec.get("amount")
        if not _is_pence(amount, allow_zero=True):
            errors[f"streams.{i}.amount"] = ["Enter the allocation as a whole number of pence"]
        terms = spec.get("payment_terms_days", 30)
        if not isinstance(terms, int) or isinstance(terms, bool) or not 0 <= terms <= MAX_TERMS_DAYS:
            errors[f"streams.{i}.payment_terms_days"] = [f"Enter a number of days from 0 to {MAX_TERMS_DAYS}"]
        bad = [c for c in spec.get("categories", []) if c not in CATEGORIES]
        if bad:
            errors[f"streams.{i}.categories"] = ["Use the catalogue's categories, like overnight_short_break"]
        if spec.get("management", "managed") not in {m.value for m in ManagementOption}:
            errors[f"streams.{i}.management"] = ["Choose managed, isf, direct_payment or third_party"]
    return errors


def _is_pence(value, *, allow_zero: bool) -> bool:
    return (
        isinstance(value, int)
        and not isinstance(value, bool)
        and (value > 0 or allow_zero and value == 0)
        and value < MAX_PENCE
    )


def change_budget_status(
    session: Session, budget: Budget, new_status: BudgetStatus | str, *, actor=None
) -> Budget:
    """Move a budget along indicative → agreed → active → closed (closing is allowed from any
    open state). Any other move is refused with a 409 naming both states; a budget with money
    still held for bookings cannot be closed."""
    try:
        target = BudgetStatus(new_status)
    except ValueError:
        raise ValidationFailed(
            "Choose a status", fields={"status": ["Choose indicative, agreed, active or closed"]}
        ) from None
    # Lock the budget row: booking and confirming lock it too (before the streams' accounts), so a
    # booking either commits its hold first (and closing is refused) or waits and finds it closed.
    # NO KEY UPDATE (key_share): rows that merely refer to the budget are not held up.
    budget = session.scalar(
        select(Budget)
        .where(Budget.id == budget.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    current = budget.status
    if target not in TRANSITIONS[current]:
        raise Conflict(
            f"A budget that is {current.value} cannot become {target.value}",
            fields={
                "status": [
                    f"From {current.value} a budget can become: "
                    f"{', '.join(sorted(s.value for s in TRANSITIONS[current])) or 'nothing'}"
                ]
            },
            code="illegal_transition",
        )
    if target is BudgetStatus.CLOSED:
        accounts = [a for a in (find_stream_account(session, s) for s in budget.streams) if a is not None]
        for account in ledger.lock_accounts(session, *accounts):  # their holds, read fresh
            if ledger.balance(account).pending:
                raise Conflict(
                    "Money is still held for bookings on this budget; resolve them before closing it",
                    code="money_held",
                )
    budget.status = target
    audit.record(session, actor, "budget.status_changed", budget, old=current.value, new=target.value)
    session.flush()
    return budget


# ---- amendments -----------------------------------------------------------------------------

AMENDABLE = ("amount", "po_number", "payment_terms_days", "categories")


def amend_stream(
    session: Session, stream: FundingStream, *, actor, reason: str, **changes
) -> list[BudgetAmendment]:
    """Change a stream's amount, PO number, payment terms or categories, never silently: each
    changed field is recorded (who, when, old, new, reason). A new amount moves the difference
    through the ledger — a top-up from the funder, or a reduction back to it, which is refused
    (409) if it would take the stream below what is already held or spent."""
    budget = stream.budget
    errors = _check_amendment(reason, changes)
    if errors:
        raise ValidationFailed("Check the amendment", fields=errors)
    # Serialise amendments of one stream: the old values and the delta moved through the ledger
    # must be read under the same lock that the write happens under. Locks follow the bookings'
    # order (bookings.operations: the family row, ..., then the stream accounts by id): the family
    # first, so a booking on this budget waits for the amendment or the amendment for it. The
    # stream row is locked FOR NO KEY UPDATE, which a booking's payment row referencing it (a KEY
    # SHARE lock) does not wait for: a plain FOR UPDATE here deadlocked against a booking that
    # held the stream's account and was inserting its payment.
    session.execute(select(Family.id).where(Family.id == budget.family_id).with_for_update()).scalar_one()
    session.execute(
        select(FundingStream)
        .where(FundingStream.id == stream.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).scalar_one()
    if budget.is_closed:
        raise Conflict("This budget is closed; it cannot be amended", code="budget_closed")
    if changes.get("categories") is not None:
        changes["categories"] = sorted(set(changes["categories"]))
    changed = {f: v for f, v in changes.items() if v is not None and getattr(stream, f) != v}
    if not changed:
        raise ValidationFailed("Nothing was changed", fields={"reason": ["Change at least one field"]})
    delta = changed["amount"] - stream.amount if "amount" in changed else 0
    if delta:
        accounts = _lock_for_amount_change(session, stream, delta)
    rows = [
        BudgetAmendment(
            budget_id=budget.id,
            stream=stream,
            actor_id=getattr(actor, "id", None),
            field=field,
            old_value=getattr(stream, field),
            new_value=new,
            reason=reason.strip(),
        )
        for field, new in changed.items()
    ]
    session.add_all(rows)
    session.flush()
    if delta:
        amount_row = next(r for r in rows if r.field == "amount")
        _move_amendment_money(session, accounts, delta, amount_row)
    for field, new in changed.items():
        setattr(stream, field, new)
    audit.record(session, actor, "budget.stream_amended", budget, stream=stream.id, fields=sorted(changed))
    session.flush()
    return rows


def _check_amendment(reason, changes) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    unknown = set(changes) - set(AMENDABLE)
    if unknown:
        raise TypeError(f"cannot amend {sorted(unknown)}")
    if not isinstance(reason, str) or not reason.strip():
        errors["reason"] = ["Say why the stream is being changed"]
    amount = changes.get("amount")
    if amount is not None and not _is_pence(amount, allow_zero=True):
        errors["amount"] = ["Enter the new amount as a whole number of pence"]
    terms = changes.get("payment_terms_days")
    if terms is not None and (
        not isinstance(terms, int) or isinstance(terms, bool) or not 0 <= terms <= MAX_TERMS_DAYS
    ):
        errors["payment_terms_days"] = [f"Enter a number of days from 0 to {MAX_TERMS_DAYS}"]
    po = changes.get("po_number")
    if po is not None and (not isinstance(po, str) or len(po) > 60):
        errors["po_number"] = ["A purchase-order number is at most 60 characters"]
    categories = changes.get("categories")
    if categories is not None and any(c not in CATEGORIES for c in categories):
        errors["categories"] = ["Use the catalogue's categories, like overnight_short_break"]
    return errors


def _lock_for_amount_change(session: Session, stream: FundingStream, delta: int) -> tuple[Account, Account]:
    """Lock the funder's and the stream's accounts; refuse a reduction below what is held or spent."""
    funder = funder_allocations_account(session, stream.funder)
    account = stream_account(session, stream)
    ledger.lock_accounts(session, funder, account)
    available = ledger.balance(account).available
    if -delta > available:
        committed = stream.amount - available
        raise Conflict(
            f"The {stream.kind.value.replace('_', ' ')} stream cannot be reduced by {format_pence(-delta)}: "
            f"{format_pence(committed)} is already held or spent, so the lowest it can go is "
            f"{format_pence(committed)}",
            fields={"amount": [f"Enter at least {format_pence(committed)}"]},
            code="below_committed",
        )
    return funder, account


def _move_amendment_money(
    session: Session, accounts: tuple[Account, Account], delta: int, row: BudgetAmendment
) -> None:
    funder, account = accounts
    reference = ("budget_amendment", row.id)
    key = f"budget_amendment:{row.id}"
    if delta > 0:
        ledger.transfer(session, funder, account, delta, "top_up", reference=reference, idempotency_key=key)
    else:
        ledger.transfer(
            session, account, funder, -delta, "reduction", reference=reference, idempotency_key=key
        )


# ---- support plan ---------------------------------------------------------------------------


def add_outcome(
    session: Session, budget: Budget, *, actor, description: str, time_frame: str, review_date: date
) -> SupportOutcome:
    """Add an outcome to the budget's support plan. It needs a description, a time frame and a
    review date no earlier than the budget's start; a closed budget's plan is final."""
    errors = _check_outcome(description, time_frame, review_date, budget)
    if errors:
        raise ValidationFailed("Check the outcome", fields=errors)
    if budget.is_closed:
        raise Conflict("This budget is closed; its support plan cannot change", code="budget_closed")
    outcome = SupportOutcome(
        budget=budget,
        description=description.strip(),
        time_frame=TimeFrame(time_frame),
        review_date=review_date,
        created_by_id=getattr(actor, "id", None),
    )
    session.add(outcome)
    session.flush()
    audit.record(session, actor, "support_outcome.added", outcome, budget=budget.id)
    return outcome


def _check_outcome(description, time_frame, review_date, budget) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not isinstance(description, str) or not description.strip():
        errors["description"] = ["Describe the outcome"]
    elif len(description) > 2000:
        errors["description"] = ["Keep the outcome to 2,000 characters"]
    if time_frame not in {t.value for t in TimeFrame}:
        errors["time_frame"] = ["Choose short, medium or long"]
    if not isinstance(review_date, date):
        errors["review_date"] = ["Enter a review date"]
    elif review_date < budget.period_start:
        errors["review_date"] = ["The review date must be on or after the budget starts"]
    elif review_date > LATEST_PERIOD:
        errors["review_date"] = [f"Enter a review date up to {LATEST_PERIOD.strftime('%-d %B %Y')}"]
    return errors


def update_outcome(
    session: Session,
    outcome: SupportOutcome,
    *,
    actor,
    status: str | None = None,
    review_date: date | None = None,
) -> SupportOutcome:
    """Record progress on an outcome (its status) or move its review date; each change is audited."""
    errors: dict[str, list[str]] = {}
    if status is not None and status not in {s.value for s in OutcomeStatus}:
        errors["status"] = ["Choose a status from the list"]
    if review_date is not None and review_date < outcome.budget.period_start:
        errors["review_date"] = ["The review date must be on or after the budget starts"]
    elif review_date is not None and review_date > LATEST_PERIOD:
        errors["review_date"] = [f"Enter a review date up to {LATEST_PERIOD.strftime('%-d %B %Y')}"]
    if status is None and review_date is None:
        errors["status"] = ["Change the status or the review date"]
    if errors:
        raise ValidationFailed("Check the outcome", fields=errors)
    if outcome.budget.is_closed:
        raise Conflict("This budget is closed; its support plan cannot change", code="budget_closed")
    old = {"status": outcome.status.value, "review_date": outcome.review_date.isoformat()}
    if status is not None:
        outcome.status = OutcomeStatus(status)
    if review_date is not None:
        outcome.review_date = review_date
    outcome.updated_at = utcnow()
    audit.record(
        session,
        actor,
        "support_outcome.updated",
        outcome,
        old=old,
        new={"status": outcome.status.value, "review_date": outcome.review_date.isoformat()},
    )
    session.flush()
    return outcome


def outcome_for_budget(session: Session, budget_id: int, outcome_id: int) -> SupportOutcome | None:
    """The outcome with that id in that budget's support plan (bookings name the outcome they serve)."""
    return session.scalar(
        select(SupportOutcome).where(SupportOutcome.id == outcome_id, SupportOutcome.budget_id == budget_id)
    )


# ---- Resource Allocation System -------------------------------------------------------------


def create_ras(
    session: Session,
    *,
    commissioner: Organisation,
    actor,
    name: str,
    pence_per_point: int,
    questions: list[dict],
) -> ResourceAllocationSystem:
    """A draft RAS: questions in order, each with at least two answers scoring whole points ≥ 0,
    and a whole number of pence per point."""
    errors = _check_ras(commissioner, name, pence_per_point, questions)
    if errors:
        raise ValidationFailed("Check the Resource Allocation System", fields=errors)
    ras = ResourceAllocationSystem(
        commissioner=commissioner, name=name.strip(), pence_per_point=pence_per_point
    )
    session.add(ras)
    for qpos, spec in enumerate(questions):
        question = RasQuestion(position=qpos, text=spec["text"].strip())
        ras.questions.append(question)
        for apos, answer in enumerate(spec["answers"]):
            question.answers.append(
                RasAnswer(position=apos, label=answer["label"].strip(), points=answer["points"])
            )
    session.flush()
    audit.record(session, actor, "ras.created", ras)
    return ras


def _check_ras(commissioner, name, pence_per_point, questions) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not isinstance(commissioner, Organisation) or commissioner.kind is not OrgKind.COMMISSIONER:
        errors["commissioner"] = ["A RAS belongs to a commissioning organisation"]
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        errors["name"] = ["Enter a name of up to 200 characters"]
    if not _is_pence(pence_per_point, allow_zero=False):
        errors["pence_per_point"] = ["Enter a whole number of pence per point, more than zero"]
    if not questions:
        errors["questions"] = ["Add at least one question"]
    for i, spec in enumerate(questions or []):
        if not str(spec.get("text", "")).strip():
            errors[f"questions.{i}.text"] = ["Enter the question"]
        answers = spec.get("answers") or []
        if len(answers) < 2:
            errors[f"questions.{i}.answers"] = ["Give each question at least two answers"]
        for a in answers:
            points = a.get("points")
            if (
                not str(a.get("label", "")).strip()
                or not isinstance(points, int)
                or isinstance(points, bool)
                or points < 0
            ):
                errors[f"questions.{i}.answers"] = [
                    "Each answer needs a label and a whole number of points, 0 or more"
                ]
    return errors


def publish_ras(session: Session, ras: ResourceAllocationSystem, *, actor) -> ResourceAllocationSystem:
    """Publish a draft RAS, retiring the commissioner's previously published one: one live RAS per
    commissioner (a unique constraint backs this). A published or retired RAS never changes."""
    # Serialise publications by one commissioner (two at once both retired the old RAS, then the
    # second broke the one-live-RAS constraint: a 500): lock the commissioner's row (NO KEY
    # UPDATE, so rows referencing it are not held up), then re-read this RAS under the lock.
    session.execute(
        select(Organisation.id).where(Organisation.id == ras.commissioner_id).with_for_update(key_share=True)
    ).scalar_one()
    session.execute(
        select(ResourceAllocationSystem)
        .where(ResourceAllocationSystem.id == ras.id)
        .execution_options(populate_existing=True)
    ).scalar_one()
    if ras.published_at is not None:
        raise Conflict(
            "This RAS has already been published; create a new version to change it", code="already_published"
        )
    session.execute(
        update(ResourceAllocationSystem)
        .where(
            ResourceAllocationSystem.commissioner_id == ras.commissioner_id,
            ResourceAllocationSystem.live.is_(True),
        )
        .values(live=None)
        .execution_options(synchronize_session="fetch")
    )
    session.flush()
    ras.live = True
    ras.published_at = utcnow()
    session.flush()
    audit.record(session, actor, "ras.published", ras)
    return ras


def assess(
    session: Session, ras: ResourceAllocationSystem, *, child: Child, actor, answers: dict[int, int]
) -> RasAssessment:
    """Score a child against a published RAS: one answer per question; indicative allocation =
    total points × pence per point (integers only). The chosen answers are stored as a snapshot."""
    if not ras.live:
        raise Conflict("This RAS is not published; answer the one in use", code="ras_not_published")
    errors: dict[str, list[str]] = {}
    chosen = []
    for question in ras.questions:
        answer_id = answers.get(question.id)
        answer = next((a for a in question.answers if a.id == answer_id), None)
        if answer is None:
            errors[f"q{question.id}"] = [f"Answer: {question.text}"]
            continue
        chosen.append(
            {
                "question_id": str(question.id),
                "question": question.text,
                "answer_id": str(answer.id),
                "answer": answer.label,
                "points": answer.points,
            }
        )
    if errors:
        raise ValidationFailed("Answer every question", fields=errors)
    total = sum(c["points"] for c in chosen)
    assessment = RasAssessment(
        ras=ras,
        child=child,
        family_id=child.family_id,
        assessed_by_id=getattr(actor, "id", None),
        total_points=total,
        pence_per_point=ras.pence_per_point,
        indicative_amount=total * ras.pence_per_point,
        answers=chosen,
    )
    session.add(assessment)
    session.flush()
    audit.record(session, actor, "ras.assessed", assessment, indicative_amount=assessment.indicative_amount)
    return assessment
