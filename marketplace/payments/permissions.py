"""Who may see and do what with card payments: a family pays its own (only a member of the
family pays: an admin reads, never pays for someone); a provider sees the top-ups of its own
bookings; an admin sees everything, to deal with failed and pending payments."""

from sqlalchemy import select

from marketplace.accounts.models import Role, User
from marketplace.accounts.permissions import acts_for_family, is_admin
from marketplace.bookings.models import Booking
from marketplace.payments.models import CardPayment, CardPurpose


def pays_for(user: User, family_id: int | None) -> bool:
    return (
        user.is_authenticated
        and user.role is Role.FAMILY
        and family_id is not None
        and user.family_id == family_id
    )


def may_see(user: User, card_payment: CardPayment) -> bool:
    if acts_for_family(user, card_payment.family_id):
        return True
    booking = card_payment.booking
    return booking is not None and user.is_authenticated and booking.provider_id in user.organisation_ids


def visible_card_payments(user: User):
    """The card payments `user` may list: the family's own, a provider's bookings' top-ups, all
    for an admin, none for anyone else."""
    query = select(CardPayment)
    if is_admin(user):
        return query
    if user.role is Role.FAMILY and user.family_id is not None:
        return query.where(CardPayment.family_id == user.family_id)
    if user.role is Role.PROVIDER and user.organisation_ids:
        return query.join(Booking, Booking.id == CardPayment.booking_id).where(
            CardPayment.purpose == CardPurpose.TOP_UP, Booking.provider_id.in_(user.organisation_ids)
        )
    return query.where(CardPayment.id.is_(None))
