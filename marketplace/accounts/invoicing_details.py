"""An organisation's invoicing details: what its invoices carry (legal name, address, VAT number,
finance e-mail, Peppol address, a provider's bank details and invoice number prefix), checked and
normalised. Operations flush; callers commit."""

import re

from sqlalchemy.orm import Session

from marketplace.accounts.models import Organisation, OrgKind, User
from marketplace.accounts.operations import EMAIL
from marketplace.core import audit
from marketplace.core.errors import ValidationFailed

INVOICING_FIELDS = (
    "legal_name",
    "address",
    "postcode",
    "vat_number",
    "finance_email",
    "bank_account_name",
    "bank_sort_code",
    "bank_account_number",
    "peppol_id",
    "invoice_prefix",
)
BANK_FIELDS = ("bank_account_name", "bank_sort_code", "bank_account_number")
POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")
UK_VAT = re.compile(r"^(GB)?([0-9]{9}|[0-9]{12}|GD[0-9]{3}|HA[0-9]{3})$")
PREFIX = re.compile(r"^[A-Z0-9]{2,6}$")


def default_invoice_prefix(slug: str) -> str:
    """'hilltop-hospice' -> 'HIL': the first three letters or digits of the provider's slug."""
    letters = "".join(ch for ch in slug.upper() if ch.isalnum())
    return (letters[:3] or "INV").ljust(3, "X")


def invoice_prefix(org: Organisation) -> str:
    """The prefix of the provider's next invoice number: its own choice, else from its slug."""
    return org.invoice_prefix or default_invoice_prefix(org.slug)


def _gln_ok(gln: str) -> bool:
    """A 13-digit GS1 Global Location Number with a right check digit."""
    digits = [int(d) for d in gln]
    total = sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits[:12]))
    return (10 - total % 10) % 10 == digits[12]


def _check_invoicing(org: Organisation, raw: dict) -> dict:
    """Clean, normalised values for the invoicing fields, or a 422 naming every bad field."""
    data = {name: " ".join(str(raw.get(name) or "").split()) for name in INVOICING_FIELDS}
    data["address"] = "\n".join(
        line.strip() for line in str(raw.get("address") or "").splitlines() if line.strip()
    )
    errors: dict[str, list[str]] = {}
    if len(data["legal_name"]) > 200:
        errors["legal_name"] = ["Legal name must be 200 characters or fewer"]
    if len(data["address"]) > 500:
        errors["address"] = ["Postal address must be 500 characters or fewer"]
    if data["postcode"]:
        match = POSTCODE.match(data["postcode"].upper())
        if match:
            data["postcode"] = f"{match.group(1)} {match.group(2)}"
        else:
            errors["postcode"] = ["Enter a real UK postcode, like BW1 2AB"]
    if data["vat_number"]:
        vat = data["vat_number"].upper().replace(" ", "")
        match = UK_VAT.match(vat)
        if match:
            data["vat_number"] = f"GB{match.group(2)}"
        else:
            errors["vat_number"] = ["Enter a UK VAT registration number, like GB123456789"]
    if data["finance_email"] and (len(data["finance_email"]) > 254 or not EMAIL.match(data["finance_email"])):
        errors["finance_email"] = [
            "Enter the finance e-mail address in the right format, like finance@example.org"
        ]
    if org.kind is OrgKind.PROVIDER:
        if len(data["bank_account_name"]) > 120:
            errors["bank_account_name"] = ["Account name must be 120 characters or fewer"]
        if data["bank_sort_code"]:
            digits = re.sub(r"[\s-]", "", data["bank_sort_code"])
            if re.fullmatch(r"[0-9]{6}", digits):
                data["bank_sort_code"] = f"{digits[:2]}-{digits[2:4]}-{digits[4:]}"
            else:
                errors["bank_sort_code"] = ["Enter a valid sort code, like 30-94-57"]
        if data["bank_account_number"]:
            digits = data["bank_account_number"].replace(" ", "")
            if re.fullmatch(r"[0-9]{6,8}", digits):
                data["bank_account_number"] = digits.zfill(8)
            else:
                errors["bank_account_number"] = ["Enter an account number of 6 to 8 digits, like 00733445"]
        given = [name for name in BANK_FIELDS if data[name]]
        if given and len(given) < len(BANK_FIELDS):
            for name in BANK_FIELDS:
                if not data[name] and name not in errors:
                    label = {"bank_account_name": "account name", "bank_sort_code": "sort code"}.get(
                        name, "account number"
                    )
                    errors[name] = [f"Enter the {label}, or leave all the bank details empty"]
        prefix = data["invoice_prefix"].upper()
        if prefix and not PREFIX.match(prefix):
            errors["invoice_prefix"] = [
                "Enter an invoice number prefix of 2 to 6 capital letters or digits, like HIL"
            ]
        data["invoice_prefix"] = prefix
    else:
        for name in (*BANK_FIELDS, "invoice_prefix"):
            data[name] = ""  # only providers are paid, and only they number invoices
    if data["peppol_id"]:
        scheme, _, ident = data["peppol_id"].replace(" ", "").partition(":")
        ident = ident.upper()
        if scheme == "0088" and re.fullmatch(r"[0-9]{13}", ident) and _gln_ok(ident):
            data["peppol_id"] = f"0088:{ident}"
        elif scheme == "9932" and UK_VAT.match(ident):
            data["peppol_id"] = f"9932:{ident if ident.startswith('GB') else 'GB' + ident}"
        else:
            errors["peppol_id"] = [
                "Enter a Peppol participant id: 0088: and a 13-digit GLN, or 9932: and a UK VAT number"
            ]
    if errors:
        raise ValidationFailed("Check the organisation's invoicing details", fields=errors)
    return {name: value or None for name, value in data.items()}


def update_invoicing_details(session: Session, org: Organisation, raw: dict, actor: User) -> Organisation:
    """Set the organisation's invoicing details (all of them: an empty field clears it)."""
    data = _check_invoicing(org, raw)
    changed = sorted(name for name, value in data.items() if getattr(org, name) != value)
    for name, value in data.items():
        setattr(org, name, value)
    session.flush()
    if changed:
        audit.record(session, actor, "organisation.invoicing_details_changed", org, fields=changed)
    return org
