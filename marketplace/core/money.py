"""Money is integer pence, GBP only (rule 1). Formatting for people and strict parsing of their input."""

import re

_POUNDS = re.compile(r"^£?\s*(?P<whole>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<frac>\d{1,2}))?$")
MAX_PENCE = 10**13  # £100bn: far beyond any budget, well inside a 64-bit column


def format_pence(pence: int, *, symbol: bool = True) -> str:
    """12345 -> '£123.45'; -500 -> '-£5.00'; thousands separated by commas."""
    if not isinstance(pence, int) or isinstance(pence, bool):
        raise TypeError(f"money must be integer pence, got {type(pence).__name__}")
    sign = "-" if pence < 0 else ""
    pounds, rem = divmod(abs(pence), 100)
    return f"{sign}{'£' if symbol else ''}{pounds:,}.{rem:02d}"


def parse_pounds(text: str) -> int:
    """Parse what a person typed ('1,234.56', '£295', '295.5') into pence.

    Strict: no negative amounts, no more than two decimal places, commas only as thousands
    separators. Raises ValueError with a message fit to show beside the field.
    """
    if text is None:
        raise ValueError("Enter an amount")
    cleaned = str(text).strip()
    if not cleaned:
        raise ValueError("Enter an amount")
    match = _POUNDS.match(cleaned)
    if not match:
        raise ValueError("Enter an amount in pounds and pence, like 295.00")
    whole = int(match["whole"].replace(",", ""))
    frac = (match["frac"] or "0").ljust(2, "0")
    pence = whole * 100 + int(frac)
    if pence >= MAX_PENCE:
        raise ValueError("Amount is too large")
    return pence


def format_bp(bp: int) -> str:
    """Basis points as a person writes the percentage, without needless zeros:
    500 -> '5%', 1250 -> '12.5%', 1225 -> '12.25%', -50 -> '-0.5%'."""
    sign = "-" if bp < 0 else ""
    whole, rem = divmod(abs(bp), 100)
    fraction = f".{rem:02d}".rstrip("0").rstrip(".")
    return f"{sign}{whole}{fraction}%"


def apply_bp(amount: int, bp: int) -> int:
    """`bp` basis points of `amount`, rounded half up to the penny (integer arithmetic only)."""
    return (amount * bp + 5000) // 10000


_PERCENT = re.compile(r"^(?P<whole>\d{1,3})(?:\.(?P<frac>\d{1,2}))?\s*%?$")


def parse_percent_bp(text: str) -> int:
    """Parse a percentage a person typed ('5', '8.5', '12.25%') into integer basis points (500, 850, 1225).

    Strict: 0 to 100, at most two decimal places. Raises ValueError with a message fit for the field.
    """
    match = _PERCENT.match((text or "").strip())
    if not match:
        raise ValueError("Enter a percentage like 5 or 8.5")
    bp = int(match["whole"]) * 100 + int((match["frac"] or "0").ljust(2, "0"))
    if bp > 10000:
        raise ValueError("Enter a percentage from 0 to 100")
    return bp
