"""The only code that changes ISFs and moves their money. Operations flush; callers commit.

The weekly drawdown's per-fund posting lives here too (`post_due_drawdowns`); the job that
batches funds into transactions under an advisory lock is `isf.jobs.run_weekly_drawdowns`.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Organisation, OrgKind
from marketplace.budgets.books import stream_account
from marketplace.budgets.models import Budget, FundingStream, ManagementOption
from marketplace.core import audit
from marketplace.core.clock import today, utcnow
from marketplace.core.errors import Conflict, Forbidden, ValidationFailed
from marketplace.core.money import apply_bp, format_pence
from marketplace.isf import books, schedule
from marketplace.isf.models import (
    AgreementParty,
    ContingencyRelease,
    Isf,
    IsfAgreement,
    IsfAmendment,
    IsfDrawdown,
    IsfFundingCycle,
    IsfReceipt,
    PaymentCycle,
    PaymentTiming,
    ReleaseStatus,
)
from marketplace.ledger import operations as ledger
from marketplace.ledger.batch import Movement, bulk_insert, transfer_many

DEFAULT_CYCLE = (PaymentCycle.QUARTERLY, PaymentTiming.ADVANCE)
RECEIPT_MARGIN = timedelta(days=366)
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)  # an ISF's period lies in this window
AMENDABLE = (
    "weekly_amount",
    "contingency_bp",
    "top_slice_bp",
    "drawdown_weekday",
    "end_date",
    "surplus_threshold_weeks",
    "family_contribution_first",
)


# ---- the agreement ----------------------------------------------------------------------------


def create_isf(
    session: Session,
    *,
    budget: Budget,
    provider: Organisation,
    start_date: date,
    end_date: date,
    weekly_amount: int,
    contingency_bp: int,
    top_slice_bp: int,
    drawdown_weekday: int = 0,
    surplus_threshold_weeks: int = 8,
    family_contribution_first: bool = True,
    cycles: dict[str, tuple[str, str]] | None = None,
    actor=None,
) -> Isf:
    """Set up an ISF over the budget's `isf`-managed streams, held by a provider.

    `cycles` maps a stream kind to (cycle, timing); streams not named are paid quarterly in
    advance. Nothing is drawn until both the provider and a funding commissioner agree.
    """
    terms = dict(
        weekly_amount=weekly_amount,
        contingency_bp=contingency_bp,
        top_slice_bp=top_slice_bp,
        drawdown_weekday=drawdown_weekday,
        surplus_threshold_weeks=surplus_threshold_weeks,
        start_date=start_date,
        end_date=end_date,
    )
    errors = check_terms(terms)
    streams = [s for s in budget.streams if s.management is ManagementOption.ISF]
    if provider is None or provider.kind is not OrgKind.PROVIDER:
        errors["provider"] = ["The ISF must be held by a provider organisation"]
    if not streams:
        errors["budget"] = ["The budget has no funding stream managed as an ISF"]
    chosen = _check_cycles(cycles or {}, streams, errors)
    if errors:
        raise ValidationFailed("Check the ISF's terms", fields=errors)
    # Two set-ups of one budget at once: lock the budget's row (NO KEY UPDATE: rows referencing
    # the budget, like bookings, are not held up) and look again under the lock, so the second
    # waits for the first and gets this 409 instead of the unique constraint's 500.
    session.execute(
        select(Budget.id).where(Budget.id == budget.id).with_for_update(key_share=True)
    ).scalar_one()
    if session.scalar(select(Isf.id).where(Isf.budget_id == budget.id)) is not None:
        raise Conflict(
            "That budget already has an ISF",
            fields={"budget": ["This budget already has an ISF; find it on the ISFs page"]},
            code="isf_exists",
        )
    isf = Isf(
        budget=budget,
        provider=provider,
        family_contribution_first=family_contribution_first,
        **terms,
    )
    for stream in streams:
        cycle, timing = chosen.get(stream.kind.value, DEFAULT_CYCLE)
        isf.cycles.append(IsfFundingCycle(stream=stream, cycle=cycle, timing=timing))
    session.add(isf)
    session.flush()
    audit.record(session, actor, "isf.created", isf, weekly_amount=weekly_amount)
    return isf


def check_terms(terms: dict) -> dict[str, list[str]]:
    """Errors in an ISF's terms, by field (rule 8)."""
    errors: dict[str, list[str]] = {}

    def whole(name, low, high, message):
        value = terms.get(name)
        if name in terms and (
            not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high
        ):
            errors[name] = [message]

    whole("weekly_amount", 1, 10**11, "Enter the weekly drawdown as a whole number of pence above zero")
    whole("contingency_bp", 0, 10000, "Enter basis points from 0 to 10000")
    whole("top_slice_bp", 0, 10000, "Enter basis points from 0 to 10000")
    whole("drawdown_weekday", 0, 6, "Choose a weekday from 0 (Monday) to 6 (Sunday)")
    whole("surplus_threshold_weeks", 1, 52, "Enter a number of weeks from 1 to 52")
    start, end = terms.get("start_date"), terms.get("end_date")
    for name in ("start_date", "end_date"):
        if isinstance(terms.get(name), date) and not EARLIEST <= terms[name] <= LATEST:
            errors[name] = [f"Enter a date between {uk_date(EARLIEST)} and {uk_date(LATEST)}"]
    if "end_date" in terms and (not isinstance(end, date) or (isinstance(start, date) and end < start)):
        errors.setdefault("end_date", ["The ISF must end on or after it starts"])
    return errors


def _check_cycles(cycles, streams, errors) -> dict[str, tuple[PaymentCycle, PaymentTiming]]:
    kinds = {s.kind.value for s in streams}
    chosen = {}
    for kind, (cycle, timing) in cycles.items():
        if kind not in kinds:
            errors[f"cycles.{kind}"] = ["That stream is not managed as an ISF in this budget"]
        elif cycle not in {c.value for c in PaymentCycle} or timing not in {t.value for t in PaymentTiming}:
            errors[f"cycles.{kind}"] = [
                "Choose weekly, four_weekly, monthly or quarterly; advance or arrears"
            ]
        else:
            chosen[kind] = (PaymentCycle(cycle), PaymentTiming(timing))
    return chosen


def agree_isf(session: Session, isf: Isf, organisation: Organisation, user=None) -> IsfAgreement:
    """Record one party's agreement: the holding provider, or a commissioner that funds the ISF.

    Agreeing twice returns the first agreement.
    """
    if organisation.id == isf.provider_id:
        party = AgreementParty.PROVIDER
    elif organisation.id in isf.funder_ids:
        party = AgreementParty.COMMISSIONER
    else:
        raise Forbidden("Only the holding provider or a funding commissioner can agree this ISF.")
    for agreement in isf.agreements:
        if agreement.organisation_id == organisation.id:
            return agreement
    agreement = IsfAgreement(isf=isf, party=party, organisation=organisation, user=user)
    session.add(agreement)
    session.flush()
    audit.record(session, user, "isf.agreed", isf, party=party.value, organisation=organisation.slug)
    return agreement


def amend_isf(session: Session, isf: Isf, *, reason: str, changes: dict, actor=None) -> IsfAmendment:
    """Change the ISF's terms; each change is kept (old → new, who, why), never overwritten silently."""
    errors = {f: ["This term cannot be amended"] for f in changes if f not in AMENDABLE}
    errors.update(check_terms({"start_date": isf.start_date, **changes}))
    if not (reason or "").strip():
        errors["reason"] = ["Say why the terms are changing"]
    if errors:
        raise ValidationFailed("Check the amendment", fields=errors)
    diff = {}
    for name, new in changes.items():
        old = getattr(isf, name)
        if old != new:
            diff[name] = [
                str(old) if isinstance(old, date) else old,
                str(new) if isinstance(new, date) else new,
            ]
            setattr(isf, name, new)
    amendment = IsfAmendment(
        isf_id=isf.id, user_id=getattr(actor, "id", None), reason=reason.strip(), changes=diff
    )
    session.add(amendment)
    session.flush()
    audit.record(session, actor, "isf.amended", isf, changes=diff)
    return amendment


# ---- receipts ---------------------------------------------------------------------------------


def record_receipt(
    session: Session,
    isf: Isf,
    *,
    stream: FundingStream | None,
    amount: int,
    received_on: date,
    reference: str,
    actor=None,
) -> IsfReceipt:
    """Money a funder (`stream`) or the family (`stream=None`) paid in enters the ISF's ledger.

    `contingency_bp` of the receipt (rounded half up to the penny) is ring-fenced in contingency;
    the rest becomes available. Idempotent on (ISF, payer, reference): a replay returns the first
    receipt and writes nothing; the same reference with different figures is refused.
    """
    errors = {}
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        errors["amount"] = ["Enter the amount received as a whole number of pence above zero"]
    if stream is not None and stream.id not in {s.id for s in isf.streams}:
        errors["stream_id"] = ["That funding stream is not part of this ISF"]
    if not (reference or "").strip() or len(reference.strip()) > 120:
        errors["reference"] = ["Enter the payment's reference (up to 120 characters)"]
    if not isinstance(received_on, date):
        errors["received_on"] = ["Enter the date the money was received"]
    else:
        earliest, latest = receipt_window(isf)
        if not earliest <= received_on <= latest:
            errors["received_on"] = [
                f"Enter a date between {uk_date(earliest)} and {uk_date(latest)}: "
                "money is received at most a year before the ISF starts or after it ends"
            ]
    if errors:
        raise ValidationFailed("Check the receipt", fields=errors)
    reference = reference.strip()
    source_key = f"stream:{stream.id}" if stream is not None else "family"
    earlier = session.scalar(
        select(IsfReceipt).where(
            IsfReceipt.isf_id == isf.id,
            IsfReceipt.source_key == source_key,
            IsfReceipt.reference == reference,
        )
    )
    if earlier is not None:
        if (earlier.amount, earlier.received_on) != (amount, received_on):
            raise Conflict(
                "That reference was already recorded with a different amount or date",
                fields={"reference": ["Already used for a different payment"]},
            )
        return earlier
    receipt = IsfReceipt(
        isf_id=isf.id,
        stream_id=stream.id if stream else None,
        funder_id=stream.funder_id if stream else None,
        source_key=source_key,
        amount=amount,
        contingency=apply_bp(amount, isf.contingency_bp),
        received_on=received_on,
        reference=reference,
        recorded_by_id=getattr(actor, "id", None),
    )
    session.add(receipt)
    session.flush()
    _post_receipt(session, isf, receipt)
    audit.record(session, actor, "isf.receipt_recorded", isf, amount=amount, reference=reference)
    return receipt


def receipt_window(isf: Isf) -> tuple[date, date]:
    """The dates a receipt may carry: a year either side of the ISF's period (rule 8)."""
    return isf.start_date - RECEIPT_MARGIN, isf.end_date + RECEIPT_MARGIN


def uk_date(day: date) -> str:
    return day.strftime("%-d %B %Y")


def _post_receipt(session: Session, isf: Isf, receipt: IsfReceipt) -> None:
    if receipt.stream_id is not None:
        # A funder's payment draws on its stream's allocation in the personal budget, so the
        # budget shows ISF money as spent, and a funder cannot pay in more than it allocated.
        source = stream_account(session, session.get(FundingStream, receipt.stream_id))
    else:
        source = books.family_source_account(session, isf.budget.family_id)
    available, contingency = books.available_account(session, isf), books.contingency_account(session, isf)
    ledger.lock_accounts(session, source, available, contingency)
    key = f"isf:{isf.id}:receipt:{receipt.id}"
    for account, amount, code in (
        (contingency, receipt.contingency, "isf_contingency"),
        (available, receipt.available, "isf_receipt"),
    ):
        if amount:
            ledger.transfer(
                session,
                source,
                account,
                amount,
                code,
                reference=("isf_receipt", receipt.id),
                idempotency_key=f"{key}:{code}",
                effective_date=receipt.received_on,
            )


# ---- contingency ------------------------------------------------------------------------------


def request_release(
    session: Session, isf: Isf, *, amount: int, reason: str, actor=None
) -> ContingencyRelease:
    """The provider asks to spend contingency, with a reason. Nothing moves until it is approved.
    A release larger than the contingency holds now is refused at once (409 naming what it holds)."""
    errors = {}
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        errors["amount"] = ["Enter the amount as a whole number of pence above zero"]
    if not (reason or "").strip():
        errors["reason"] = ["Say what the contingency is needed for"]
    if errors:
        raise ValidationFailed("Check the release request", fields=errors)
    held = ledger.balance(books.contingency_account(session, isf)).available
    if amount > held:
        raise _more_than_contingency(amount, held)
    release = ContingencyRelease(
        isf_id=isf.id, amount=amount, reason=reason.strip(), requested_by_id=getattr(actor, "id", None)
    )
    session.add(release)
    session.flush()
    audit.record(session, actor, "isf.release_requested", isf, release=release.id, amount=amount)
    return release


def _more_than_contingency(amount: int, held: int) -> Conflict:
    return Conflict(
        f"The contingency holds {format_pence(held)}; this release asks for {format_pence(amount)}",
        fields={"amount": [f"Enter at most {format_pence(held)}, what the contingency holds"]},
        code="insufficient_contingency",
    )


def _lock_release(session: Session, release: ContingencyRelease) -> None:
    """Lock the release row and re-read it, so of two decisions at once exactly one finds it
    still requested; the other waits, then sees the decision and gets a 409."""
    session.execute(
        select(ContingencyRelease)
        .where(ContingencyRelease.id == release.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def _decide(release: ContingencyRelease, isf: Isf, organisation: Organisation, actor, note) -> None:
    if organisation.id not in isf.funder_ids:
        raise Forbidden("Only a commissioner that funds this ISF can decide its contingency releases.")
    if release.status is not ReleaseStatus.REQUESTED:
        raise Conflict(f"This release was already {release.status.value}", code="already_decided")
    release.decided_by_id = getattr(actor, "id", None)
    release.decided_by_org_id = organisation.id
    release.decided_at = utcnow()
    release.decision_note = (note or "").strip() or None


def approve_release(
    session: Session, release: ContingencyRelease, *, organisation: Organisation, actor=None, note: str = ""
) -> ContingencyRelease:
    """A funding commissioner approves a release, and it is spent at once: contingency → the
    provider's ISF delivery income (no top-slice on contingency). A release larger than the
    contingency is refused with a 409 and nothing changes."""
    isf = session.get(Isf, release.isf_id)
    _lock_release(session, release)  # first the release, then its money (one order for both decisions)
    contingency = books.contingency_account(session, isf)
    ledger.lock_accounts(session, contingency)
    held = ledger.balance(contingency).available
    if release.status is ReleaseStatus.REQUESTED and release.amount > held:
        raise _more_than_contingency(release.amount, held)
    _decide(release, isf, organisation, actor, note)
    release.status = ReleaseStatus.APPROVED
    spend_release(session, release)
    audit.record(session, actor, "isf.release_approved", isf, release=release.id, amount=release.amount)
    return release


def spend_release(session: Session, release: ContingencyRelease) -> None:
    """Move an approved release out of contingency. Anything not approved is refused."""
    if release.status is not ReleaseStatus.APPROVED:
        raise Conflict("Contingency is spent only through an approved release", code="not_approved")
    isf = session.get(Isf, release.isf_id)
    release.released_on = today()
    ledger.transfer(
        session,
        books.contingency_account(session, isf),
        books.delivery_income_account(session, isf.provider_id),
        release.amount,
        "isf_contingency_release",
        reference=("isf_contingency_release", release.id),
        idempotency_key=f"isf:{isf.id}:contingency_release:{release.id}",
        effective_date=release.released_on,
    )


def refuse_release(
    session: Session, release: ContingencyRelease, *, organisation: Organisation, actor=None, note: str = ""
) -> ContingencyRelease:
    """A funding commissioner refuses a release, saying why; nothing moves."""
    if not (note or "").strip():
        raise ValidationFailed("Say why the release is refused", fields={"note": ["Give a reason"]})
    isf = session.get(Isf, release.isf_id)
    _lock_release(session, release)
    _decide(release, isf, organisation, actor, note)
    release.status = ReleaseStatus.REFUSED
    session.flush()
    audit.record(session, actor, "isf.release_refused", isf, release=release.id)
    return release


# ---- the weekly drawdown ----------------------------------------------------------------------


@dataclass
class FundOutcome:
    isf_id: int
    rows: list[IsfDrawdown] = field(default_factory=list)
    parked: bool = False


def post_due_drawdowns(
    session: Session, isfs: list[Isf], through: date, *, catch_up_limit: int | None = None
) -> list[FundOutcome]:
    """Post every due week with no drawdown row yet, for each fund, oldest week first.

    Each week draws the planned amount plus outstanding arrears (arrears first) as far as the
    available money goes; the rest is recorded as shortfall. Each drawing splits into top-slice
    (`top_slice_bp`, to the provider's overhead) and delivery (the rest). A fund with more than
    `catch_up_limit` weeks to catch up is parked instead, untouched. Available never goes below
    zero. One row per (ISF, week) under a unique constraint; ledger keys "isf:{id}:week:{date}:…".

    Set-based: the funds' accounts are opened and locked together, and every transfer of the
    batch is posted by one `ledger.transfer_many` (all or nothing, so each fund's week is too).
    """
    if not isfs:
        return []
    accounts = books.drawdown_accounts(session, isfs)
    ledger.lock_accounts(session, *{a.id: a for trio in accounts.values() for a in trio}.values())
    last = _last_drawdowns(session, [i.id for i in isfs])  # read under the locks
    movements: list[Movement] = []
    outcomes = [
        _post_fund(session, i, through, last.get(i.id), accounts[i.id], catch_up_limit, movements)
        for i in isfs
    ]
    transfer_many(session, movements, locked=True)
    rows = [row for outcome in outcomes for row in outcome.rows]
    bulk_insert(session, IsfDrawdown.__table__, [_columns(row) for row in rows])  # one statement
    session.flush()
    return outcomes


def _columns(row: IsfDrawdown) -> dict:
    return {c.key: getattr(row, c.key) for c in IsfDrawdown.__table__.columns if c.key != "id"} | {
        "created_at": utcnow()
    }


def _last_drawdowns(session: Session, isf_ids: list[int]) -> dict[int, tuple[date, int]]:
    latest = (
        select(IsfDrawdown.isf_id, func.max(IsfDrawdown.week_start).label("week"))
        .where(IsfDrawdown.isf_id.in_(isf_ids))
        .group_by(IsfDrawdown.isf_id)
        .subquery()
    )
    rows = session.execute(
        select(IsfDrawdown.isf_id, IsfDrawdown.week_start, IsfDrawdown.shortfall).join(
            latest, (latest.c.isf_id == IsfDrawdown.isf_id) & (latest.c.week == IsfDrawdown.week_start)
        )
    )
    return {isf_id: (week, shortfall) for isf_id, week, shortfall in rows}


def _post_fund(session, isf, through, last, accounts, catch_up_limit, movements) -> FundOutcome:
    outcome = FundOutcome(isf.id)
    weeks = schedule.due_weeks(isf, through, after=last[0] if last else None)
    if not weeks:
        return outcome
    if catch_up_limit is not None and len(weeks) > catch_up_limit:
        park_isf(
            session, isf, f"{len(weeks)} weeks to catch up, more than the safe limit of {catch_up_limit}"
        )
        outcome.parked = True
        return outcome
    available, overhead, delivery = accounts
    arrears = last[1] if last else 0
    money = ledger.balance(available).available
    for week in weeks:
        row = _draw_week(session, isf, week, arrears, money, available, overhead, delivery, movements)
        outcome.rows.append(row)
        money -= row.drawn
        arrears = row.shortfall
    return outcome


def _draw_week(session, isf, week, arrears, money, available, overhead, delivery, movements) -> IsfDrawdown:
    """The week's drawdown row, and its two transfers added to `movements` (posted by the caller)."""
    due = isf.weekly_amount + arrears
    drawn = min(due, money)
    top_slice = apply_bp(drawn, isf.top_slice_bp)
    on_day = schedule.drawdown_date(isf, week)
    row = IsfDrawdown(  # written with its batch by post_due_drawdowns (bulk_insert)
        isf_id=isf.id,
        week_start=week,
        drawdown_date=on_day,
        planned=isf.weekly_amount,
        arrears=arrears,
        due=due,
        drawn=drawn,
        top_slice=top_slice,
        delivery=drawn - top_slice,
        shortfall=due - drawn,
    )
    key = f"isf:{isf.id}:week:{week.isoformat()}"
    for account, amount, code in (
        (overhead, top_slice, "isf_top_slice"),
        (delivery, drawn - top_slice, "isf_delivery"),
    ):
        if amount:
            movements.append(
                Movement(
                    available,
                    account,
                    amount,
                    code,
                    reference=("isf_week", f"{isf.id}:{week.isoformat()}"),
                    idempotency_key=f"{key}:{code}",
                    effective_date=on_day,
                )
            )
    return row


def park_isf(session: Session, isf: Isf, reason: str) -> None:
    """Flag a fund the drawdown job will not touch until the provider un-parks it."""
    isf.parked_at = utcnow()
    isf.parked_reason = reason[:300]
    audit.record(session, None, "isf.parked", isf, reason=reason)


def unpark_isf(session: Session, isf: Isf, *, through: date | None = None, actor=None) -> FundOutcome:
    """The provider has checked a parked fund: clear the flag and catch up every due week now."""
    if not isf.is_parked:
        raise Conflict("This ISF is not parked", code="not_parked")
    isf.parked_at = None
    isf.parked_reason = None
    audit.record(session, actor, "isf.unparked", isf)
    (outcome,) = post_due_drawdowns(session, [isf], through or today(), catch_up_limit=None)
    return outcome
