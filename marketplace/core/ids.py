"""Ids as people and programs send them: never hand the database an id it cannot hold.

Tables use 32-bit integer ids, so a larger number in a URL, a query string or a JSON body is
simply "not found" (or "not a valid id"), never a database error and a 500.
"""

from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1


def db_id(text) -> int:
    """Parse an id; ValueError if it is not one (so `request.args.get(name, type=db_id)` gives None)."""
    text = str(text).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10 or not 0 < int(text) <= MAX_ID:
        raise ValueError("not a valid id")
    return int(text)


class DatabaseIdConverter(IntegerConverter):
    """The app's `<int:...>` URL converter: numbers beyond MAX_ID do not match, so they are a 404."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
