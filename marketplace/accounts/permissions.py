"""Object-level authorisation: a family sees its own things, a provider its organisation's,
a commissioner what it funds, an admin everything.

Use `visible(...)` to turn "may not see" into a 404 (we do not reveal that another family's
object exists) and `allowed(...)` to turn "may see but may not do" into a 403.
"""

from marketplace.accounts.models import Role, User
from marketplace.core.errors import Forbidden, NotFound


def is_admin(user: User) -> bool:
    return user.is_authenticated and user.role is Role.ADMIN


def acts_for_family(user: User, family_id: int | None) -> bool:
    """The user is a member of that family (or an admin)."""
    if is_admin(user):
        return True
    return (
        user.is_authenticated
        and user.role is Role.FAMILY
        and family_id is not None
        and user.family_id == family_id
    )


def acts_for_organisation(user: User, organisation_id: int | None) -> bool:
    """The user is staff of that organisation (or an admin)."""
    if is_admin(user):
        return True
    return user.is_authenticated and organisation_id is not None and organisation_id in user.organisation_ids


def visible(obj, may_see: bool, what: str = "page"):
    """Return `obj`, or a 404 if it does not exist or the caller may not see it."""
    if obj is None or not may_see:
        raise NotFound(f"We could not find that {what}.")
    return obj


def allowed(may_do: bool, message: str = "You cannot do that.") -> None:
    if not may_do:
        raise Forbidden(message)
