"""Areas a provider serves, and what a searcher types: a council area or a postcode district.

Both are normalised to a `code` so search is an exact, indexed match: postcode districts
upper-cased ('BW1'), a full postcode reduced to its district ('bw1 2ab' -> 'BW1'), council
names lower-cased with single spaces ('Brightwater  Council' -> 'brightwater council').
"""

import re

from marketplace.catalog.models import AreaKind

_DISTRICT = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)\s*[0-9][A-Z]{2}$")
_COUNCIL = re.compile(r"^[a-z][a-z0-9 ,.'&()-]*$")
MAX_AREA_LENGTH = 80


def area_code(text: str) -> tuple[AreaKind, str]:
    """(kind, code) for what someone typed; ValueError with a message fit for the field."""
    cleaned = " ".join((text or "").split())
    if not cleaned:
        raise ValueError("Enter a council area or a postcode district, like Brightwater or BW1")
    if len(cleaned) > MAX_AREA_LENGTH:
        raise ValueError(f"Area must be {MAX_AREA_LENGTH} characters or fewer")
    upper = cleaned.upper()
    if _DISTRICT.match(upper):
        return AreaKind.POSTCODE_DISTRICT, upper
    postcode = _POSTCODE.match(upper)
    if postcode:
        return AreaKind.POSTCODE_DISTRICT, postcode.group(1)
    lower = cleaned.lower().removesuffix(" council").strip()
    if not lower or not _COUNCIL.match(lower):
        raise ValueError("Enter a council area (letters and spaces) or a postcode district, like BW1")
    return AreaKind.COUNCIL, lower
