"""Which funding streams pay for a booking, and how much each pays."""

from marketplace.budgets.models import Budget, FundingStream, ManagementOption
from marketplace.catalog.models import Offer
from marketplace.core.allocation import allocate


def eligible_streams(budget: Budget, offer: Offer) -> list[FundingStream]:
    """Streams that may pay for the offer: the offer accepts the stream's kind of money (its
    funding streams), the stream accepts the offer's category, and its money is not held in an
    ISF (the holding provider spends that)."""
    accepted = {s.value for s in offer.funding_streams}
    return [
        s
        for s in budget.streams
        if s.kind.value in accepted
        and s.accepts(offer.category.value)
        and s.management is not ManagementOption.ISF
    ]


def cover_cost(cost: int, weights: list[int], available: list[int]) -> tuple[list[int], int]:
    """Split `cost` pence over eligible streams pro rata to their allocations (`weights`), by
    largest remainder. A stream that cannot cover its share passes the rest to the other streams
    the same way. Returns each stream's share (listed order) and what is still uncovered (the
    family top-up).
    """
    shares = [0] * len(weights)
    pool = [i for i, (w, a) in enumerate(zip(weights, available, strict=True)) if w > 0 and a > 0]
    remaining = cost
    while remaining > 0 and pool:
        parts = allocate(remaining, [weights[i] for i in pool])
        remaining = 0
        still_open = []
        for i, part in zip(pool, parts, strict=True):
            take = min(part, available[i] - shares[i])
            shares[i] += take
            remaining += part - take
            if shares[i] < available[i] and take == part:
                still_open.append(i)
        if remaining and still_open == pool:  # cannot happen: some stream fell short, so it leaves
            break
        pool = still_open
    return shares, remaining
