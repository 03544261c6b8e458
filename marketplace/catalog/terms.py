"""The commercial terms a booking copies when it is made (price, unit, cancellation charges).

A later price change never alters an existing booking: the bookings domain stores the
`OfferTerms` of `price_snapshot(offer)` with each booking and charges from that copy.
"""

from dataclasses import asdict, dataclass

from marketplace.catalog.models import Offer, Unit, VatTreatment
from marketplace.core.money import apply_bp


@dataclass(frozen=True)
class OfferTerms:
    offer_id: int
    price: int  # pence per unit
    unit: Unit
    vat_treatment: VatTreatment
    free_cancellation_hours: int
    late_cancellation_bp: int
    no_show_bp: int

    def cost(self, units: int) -> int:
        """The price of `units` units in pence (a fixed-price offer is one unit)."""
        if units < 1:
            raise ValueError("units must be at least 1")
        return self.price * (1 if self.unit is Unit.FIXED else units)

    def cancellation_charge(self, amount: int, notice_hours: float) -> int:
        """What cancelling `amount` pence of care costs with `notice_hours` of notice: nothing with
        at least the free notice, else the late-cancellation share (rounded half up)."""
        if notice_hours >= self.free_cancellation_hours:
            return 0
        return apply_bp(amount, self.late_cancellation_bp)

    def no_show_charge(self, amount: int) -> int:
        return apply_bp(amount, self.no_show_bp)

    def as_dict(self) -> dict:
        """A JSON-safe copy for storing beside a booking."""
        data = asdict(self)
        data["unit"] = self.unit.value
        data["vat_treatment"] = self.vat_treatment.value
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "OfferTerms":
        return cls(
            **{**data, "unit": Unit(data["unit"]), "vat_treatment": VatTreatment(data["vat_treatment"])}
        )


def price_snapshot(offer: Offer) -> OfferTerms:
    """The offer's terms now, as an immutable value to copy onto a booking."""
    return OfferTerms(
        offer_id=offer.id,
        price=offer.price,
        unit=offer.unit,
        vat_treatment=offer.vat_treatment,
        free_cancellation_hours=offer.free_cancellation_hours,
        late_cancellation_bp=offer.late_cancellation_bp,
        no_show_bp=offer.no_show_bp,
    )
