"""What a family's budget can pay for an offer, said truthfully.

Which streams may pay (funding.eligible_streams), how much they have left between them, and, when
none may, why: the offer does not take that kind of money, no stream pays for the offer's category,
or the streams that would are held in an Individual Service Fund. The booking's refusal, the check
page and the catalogue's "which budgets can pay" panels all take their words from here, so a family
is told the same thing before and during the booking flow.
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace import ledger
from marketplace.bookings.funding import eligible_streams
from marketplace.budgets.books import find_stream_account
from marketplace.budgets.models import Budget, BudgetStatus, FundingStream, ManagementOption
from marketplace.catalog.models import Category, Offer
from marketplace.core.money import format_pence

# each category as a family would name it in a sentence ("can't pay for therapy sessions")
CATEGORY_WORDS = {
    Category.OVERNIGHT_SHORT_BREAK: "overnight short breaks",
    Category.DAY_SESSION: "day sessions",
    Category.EVENING_WEEKEND_SESSION: "evening and weekend sessions",
    Category.IN_HOME_CARE: "care at home",
    Category.BEFRIENDING: "befriending",
    Category.OUTREACH: "outreach",
    Category.ACTIVITY_GROUP_BREAK: "activity and group breaks",
    Category.SIBLING_SUPPORT: "sibling support",
    Category.FAMILY_SUPPORT: "family support",
    Category.THERAPY: "therapy sessions",
    Category.EQUIPMENT: "equipment",
    Category.OTHER: "other services",
}


def category_words(category) -> str:
    try:
        return CATEGORY_WORDS[Category(category)]
    except ValueError:
        return str(category).replace("_", " ")


def and_list(words: list[str]) -> str:
    """['a', 'b', 'c'] -> 'a, b and c'."""
    words = list(dict.fromkeys(words))
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def kind_words(kind) -> str:
    return str(getattr(kind, "value", kind)).replace("_", " ")


def funding_not_accepted(offer: Offer, budget: Budget) -> str | None:
    """The sentence when the offer takes none of the kinds of money the budget holds, else None."""
    accepted = {s.value for s in offer.funding_streams}
    if any(s.kind.value in accepted for s in budget.streams):
        return None
    kinds = (
        and_list([kind_words(s) for s in offer.funding_streams])
        if offer.funding_streams
        else "no budget money"
    )
    return (
        f"This short break can be paid only from {kinds}, and {budget.child.name}'s budget has none of that."
    )


def cannot_pay(budget: Budget, offer: Offer) -> str | None:
    """Why no stream of `budget` may pay for `offer`, in the family's words; None when one may."""
    if eligible_streams(budget, offer):
        return None
    refused = funding_not_accepted(offer, budget)
    if refused:
        return refused
    child, what = budget.child.name, category_words(offer.category)
    accepted = {s.value for s in offer.funding_streams}
    usable = [s for s in budget.streams if s.kind.value in accepted]
    own = [s for s in usable if s.management is not ManagementOption.ISF]
    if not own or any(s.accepts(offer.category.value) for s in usable):
        return (
            f"{child}'s budget can't pay for {what} booked here: the money that could is held in "
            f"{child}'s Individual Service Fund, which the provider holding it spends for {child}. "
            "Ask that provider or your council's short-breaks team."
        )
    pays_for = [category_words(c) for s in own for c in (s.categories or [])]
    if not pays_for:
        return f"{child}'s budget can't pay for {what}: its streams are not yet set to pay for anything."
    return f"{child}'s budget can't pay for {what}: its streams pay for {and_list(pays_for)}."


def shortfall(budget: Budget, offer: Offer, cost: int, can_pay: int) -> str:
    """What is true when a budget cannot cover `cost`: why nothing can pay, or how much it can and
    how much is missing."""
    reason = cannot_pay(budget, offer)
    if reason:
        return reason
    child = budget.child.name
    if can_pay <= 0:
        return (
            f"{child}'s budget has nothing left that can pay for {category_words(offer.category)}: "
            f"this booking costs {format_pence(cost)}."
        )
    return (
        f"{child}'s budget can pay {format_pence(can_pay)} of this {format_pence(cost)} booking: "
        f"it is {format_pence(cost - can_pay)} short."
    )


@dataclass(frozen=True)
class Cover:
    """One budget facing one offer: the streams that may pay, what they have left, and the words."""

    budget: Budget
    offer: Offer
    streams: list[FundingStream]
    available: int
    reason: str | None  # why no stream may pay, when none may

    @property
    def can_pay(self) -> bool:
        return self.reason is None and self.available > 0

    @property
    def child(self) -> str:
        return self.budget.child.name

    @property
    def headline(self) -> str:
        """The search result's line."""
        if self.can_pay:
            return f"{self.child}'s budget can pay: {format_pence(self.available)} left for this"
        if self.reason:
            return f"{self.child}'s budget can't pay for this"
        return f"{self.child}'s budget has nothing left for this"

    @property
    def sentence(self) -> str:
        """The offer page's line: what it can pay from, or why it cannot."""
        if self.can_pay:
            kinds = and_list([kind_words(s.kind) for s in self.streams])
            return (
                f"{self.child}'s budget can pay for this: {format_pence(self.available)} left "
                f"in its {kinds} money."
            )
        return self.reason or (
            f"{self.child}'s budget has nothing left that can pay for {category_words(self.offer.category)}."
        )


def stream_available(session: Session, stream: FundingStream) -> int:
    """What the stream has left to spend (its account's available balance; nothing before any
    allocation). Reads only: a page asking never opens an account."""
    account = find_stream_account(session, stream)
    return ledger.balance(account).available if account is not None else 0


class FamilyFunds:
    """A family's active budgets, with each stream's money left read once, to say for many offers
    which budgets can pay (search results list up to a page of offers)."""

    def __init__(self, session: Session, family_id: int):
        self.budgets = session.scalars(
            select(Budget)
            .where(Budget.family_id == family_id, Budget.status == BudgetStatus.ACTIVE)
            .order_by(Budget.id)
        ).all()
        self.left = {s.id: stream_available(session, s) for b in self.budgets for s in b.streams}

    def covers(self, offer: Offer) -> list[Cover]:
        return [self.cover(budget, offer) for budget in self.budgets]

    def cover(self, budget: Budget, offer: Offer) -> Cover:
        streams = eligible_streams(budget, offer)
        return Cover(budget, offer, streams, sum(self.left[s.id] for s in streams), cannot_pay(budget, offer))
