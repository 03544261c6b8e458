"""Splitting money across parties (rule 6)."""

from collections.abc import Sequence


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` pence in proportion to `weights` by the largest-remainder method.

    The parts always sum exactly to `total`; each part is within a penny of its exact share;
    pennies left after flooring go to the largest remainders, ties to the party listed first.
    """
    if total < 0:
        raise ValueError("total must not be negative")
    if not weights:
        raise ValueError("at least one weight is needed")
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    denominator = sum(weights)
    if denominator == 0:
        raise ValueError("weights must not all be zero")
    parts, remainders = [], []
    for weight in weights:
        part, remainder = divmod(total * weight, denominator)
        parts.append(part)
        remainders.append(remainder)
    leftover = total - sum(parts)
    # sorted() is stable, so equal remainders keep their listed order: ties go to the first.
    order = sorted(range(len(weights)), key=lambda i: -remainders[i])
    for i in order[:leftover]:
        parts[i] += 1
    return parts
