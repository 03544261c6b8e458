"""The offer's booking rules as a family reads them before booking, each with the family's own
position ("You have 1 of 2 open bookings", "Ben has 10 of 12 nights left this year").

The figures come from the same offer fields and the same counts (`rules.yearly_used`,
`rules.open_bookings`) that the rule checks refuse a booking with, so what the offer page says is
what the units question and the final confirm enforce.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from marketplace.accounts.models import Child
from marketplace.bookings import rules
from marketplace.catalog.models import Offer
from marketplace.core.clock import business_date, financial_year, today, utcnow


def units(n: int, unit) -> str:
    """3 nights, 1 night; a fixed-price offer counts bookings."""
    word = "booking" if getattr(unit, "value", unit) == "fixed" else getattr(unit, "value", unit)
    return f"{n} {word}{'' if n == 1 else 's'}"


@dataclass(frozen=True)
class ShownRule:
    key: str  # which rule: units, yearly_cap, open_bookings, window, ages, reserve
    rule: str
    position: list[str] = field(default_factory=list)


def units_rule(offer: Offer) -> str | None:
    """Least and most per booking (the minimum stay and the most nights per booking)."""
    low, high = offer.min_units_per_booking, offer.max_units_per_booking
    if high is not None and low > 1:
        return f"Each booking is at least {units(low, offer.unit)} and at most {units(high, offer.unit)}"
    if high is not None:
        return f"At most {units(high, offer.unit)} per booking"
    if low > 1:
        return f"At least {units(low, offer.unit)} per booking"
    return None


def yearly_left(session: Session, offer: Offer, child_id: int, day) -> int | None:
    """What the yearly cap leaves the child in the financial year containing `day` (None: no cap)."""
    if offer.yearly_cap_per_child is None:
        return None
    return max(0, offer.yearly_cap_per_child - rules.yearly_used(session, offer, child_id, day))


def offer_rules(
    session: Session, offer: Offer, *, family_id: int | None = None, children: list[Child] = (),
    now: datetime | None = None,
) -> list[ShownRule]:  # fmt: skip
    """Every rule the offer sets, in the order a family meets them; with `family_id` and its
    `children`, each with the family's position now (the yearly cap for this financial year)."""
    now = now or utcnow()
    day = today()
    shown = []
    if text := units_rule(offer):
        shown.append(ShownRule("units", text))
    if (cap := offer.yearly_cap_per_child) is not None:
        start, end = financial_year(day)
        position = [
            f"{child.name} has {yearly_left(session, offer, child.id, day)} of {units(cap, offer.unit)} "
            "left this year"
            for child in children
        ]
        shown.append(
            ShownRule(
                "yearly_cap",
                f"At most {units(cap, offer.unit)} a year for each child ({start:%-d %B %Y} to {end:%-d %B %Y})",
                position,
            )
        )
    if (most := offer.max_open_bookings_per_family) is not None:
        position = []
        if family_id is not None:
            position = [
                f"You have {rules.open_bookings(session, offer, family_id, now)} of {most} open bookings"
            ]
        shown.append(
            ShownRule(
                "open_bookings",
                f"At most {most} upcoming booking{'' if most == 1 else 's'} of this break at once for each family",
                position,
            )
        )
    if (days := offer.booking_window_days) is not None:
        until = business_date(now + timedelta(days=days))
        shown.append(
            ShownRule("window", f"Dates open for booking {days} days ahead: today, up to {until:%-d %B %Y}")
        )
    shown.append(
        ShownRule(
            "ages",
            f"For ages {offer.min_age} to {offer.max_age}",
            [_age_position(offer, child, day) for child in children],
        )
    )
    if offer.emergency_reserve:
        n = offer.emergency_reserve
        shown.append(
            ShownRule(
                "reserve",
                f"{n} place{'' if n == 1 else 's'} on each date kept for emergencies, booked by the provider",
            )
        )
    return shown


def _age_position(offer: Offer, child: Child, day) -> str:
    age = child.age_on(day)
    if age < offer.min_age:
        return f"{child.name} is {age}: too young for this break"
    if age > offer.max_age:
        return f"{child.name} is {age}: too old for this break"
    return f"{child.name} is {age}"
