"""An invoice's seller and buyer as finance systems need them (the JSON API): names, postal
address, registration and VAT numbers, finance e-mail, Peppol address and, for the seller, the
bank account to pay into.

The same rules as the PDF: an organisation's invoicing details first; a provider's charity and
company numbers (and, until it gives its own, its address and e-mail) from its provider profile.
A family payer has a name only: the platform keeps no postal address for families.
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Family, Organisation
from marketplace.catalog.models import ProviderProfile
from marketplace.invoicing.models import Invoice

_CACHE = "invoicing.provider_profiles"  # in session.info: one lookup per organisation per request


def _profile(session: Session, org_id: int) -> ProviderProfile | None:
    cache = session.info.setdefault(_CACHE, {})
    if org_id not in cache:
        cache[org_id] = session.scalar(
            select(ProviderProfile).where(ProviderProfile.organisation_id == org_id)
        )
    return cache[org_id]


def _lines(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").splitlines() if part.strip()]


def organisation_party(session: Session, org: Organisation) -> dict:
    profile = _profile(session, org.id)
    own_address = bool(_lines(org.address))
    return {
        "id": org.id,
        "kind": "organisation",
        "name": org.name,
        "legal_name": org.legal_name or org.name,
        "address": _lines(org.address) if own_address or profile is None else _lines(profile.address),
        "postcode": org.postcode if own_address or profile is None else profile.postcode,
        "charity_number": profile.charity_number if profile is not None else None,
        "company_number": profile.company_number if profile is not None else None,
        "vat_number": org.vat_number,
        "finance_email": org.finance_email or (profile.contact_email if profile is not None else None),
        "peppol_id": org.peppol_id,
    }


def family_party(family: Family) -> dict:
    empty = dict.fromkeys(
        ("postcode", "charity_number", "company_number", "vat_number", "finance_email", "peppol_id")
    )
    return {
        "id": family.id,
        "kind": "family",
        "name": family.name,
        "legal_name": family.name,
        "address": [],
    } | empty


def issuer(session: Session, invoice: Invoice) -> dict:
    """The seller, with the bank details a payer remits to (None until the provider gives them)."""
    org = invoice.issuer
    bank = None
    if org.bank_account_name and org.bank_sort_code and org.bank_account_number:
        bank = {
            "account_name": org.bank_account_name,
            "sort_code": org.bank_sort_code,
            "account_number": org.bank_account_number,
        }
    return organisation_party(session, org) | {"bank": bank}


def payer(session: Session, invoice: Invoice) -> dict:
    if invoice.payer_org is not None:
        return organisation_party(session, invoice.payer_org)
    return family_party(invoice.payer_family)
