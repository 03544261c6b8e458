"""An ISF's agreement: setting it up over a budget's `isf` streams, each party agreeing, and
amending its terms (each change kept, old → new, who and why)."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Organisation, OrgKind
from marketplace.budgets.models import Budget, ManagementOption
from marketplace.core import audit
from marketplace.core.errors import Conflict, Forbidden, ValidationFailed
from marketplace.isf import notices, reading
from marketplace.isf.models import (
    AgreementParty,
    Isf,
    IsfAgreement,
    IsfAmendment,
    IsfFundingCycle,
    PaymentCycle,
    PaymentTiming,
)

DEFAULT_CYCLE = (PaymentCycle.QUARTERLY, PaymentTiming.ADVANCE)
# The terms a set-up starts from (the set-up page shows them; the commissioner may change each).
DEFAULT_CONTINGENCY_BP = 500
DEFAULT_TOP_SLICE_BP = 800
DEFAULT_SURPLUS_WEEKS = 8
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


def set_up_isf(
    session: Session,
    *,
    budget: Budget,
    commissioner: Organisation,
    provider: str,
    cycles: dict[str, tuple[str | None, str | None]],
    actor=None,
    **terms,
) -> Isf:
    """A funding commissioner sets up the ISF and agrees it in one step; the provider agrees
    later, and nothing is drawn until it does (DESIGN: agreed by both).

    `provider` is the slug of a verified provider (anyone else is refused, naming the field);
    `cycles` maps a stream kind to (cycle, timing) as chosen, None where nothing was chosen:
    each `isf` stream is then paid quarterly, in advance. `terms` are `create_isf`'s.
    """
    holder = next((p for p in reading.verified_providers(session) if p.slug == provider), None)
    if holder is None:
        raise ValidationFailed("Choose a provider", fields={"provider": ["Choose a verified provider"]})
    isf = create_isf(
        session, budget=budget, provider=holder, cycles=_chosen_cycles(budget, cycles), actor=actor, **terms
    )
    agree_isf(session, isf, commissioner, actor)
    return isf


def _chosen_cycles(budget: Budget, cycles: dict) -> dict[str, tuple[str, str]]:
    """Each `isf` stream's (cycle, timing): as chosen, else quarterly, in advance. Kinds that are
    not the budget's `isf` streams are left out (a set-up form names every kind)."""
    default_cycle, default_timing = (d.value for d in DEFAULT_CYCLE)
    chosen = {}
    for stream in budget.streams:
        if stream.management is ManagementOption.ISF:
            cycle, timing = cycles.get(stream.kind.value, (None, None))
            chosen[stream.kind.value] = (
                default_cycle if cycle is None else cycle,
                default_timing if timing is None else timing,
            )
    return chosen


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
    surplus_threshold_weeks: int = DEFAULT_SURPLUS_WEEKS,
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
    was_agreed = isf.is_agreed
    agreement = IsfAgreement(isf=isf, party=party, organisation=organisation, user=user)
    session.add(agreement)
    session.flush()
    audit.record(session, user, "isf.agreed", isf, party=party.value, organisation=organisation.slug)
    if isf.is_agreed and not was_agreed:
        notices.agreed(session, isf)
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


def uk_date(day: date) -> str:
    return day.strftime("%-d %B %Y")
