"""The ISF's ledger accounts, opened on first use.

Per ISF: `available` (protected, never below zero) and `contingency` (protected, ring-fenced).
Per provider organisation: ISF delivery income and ISF overhead (the top-slice).
A funder's receipt is paid from its funding stream's account in the personal budget (consuming
the allocation); a family contribution from the family's contributions account, which goes
negative by what has been paid in, so the ledger always sums to zero.
"""

from sqlalchemy.orm import Session

from marketplace import ledger
from marketplace.isf.models import Isf
from marketplace.ledger import open_accounts
from marketplace.ledger.models import Account

ISF_OWNER = "isf"
ORG_OWNER = "organisation"
FAMILY_OWNER = "family"


def available_account(session: Session, isf: Isf) -> Account:
    """Money the ISF may draw down: protected, it never goes below zero (rule 4)."""
    return ledger.open_account(
        session, ISF_OWNER, isf.id, "available", non_negative=True, name=f"ISF {isf.id} available"
    )


def contingency_account(session: Session, isf: Isf) -> Account:
    """The ring-fenced share of every receipt, spent only through an approved release."""
    return ledger.open_account(
        session, ISF_OWNER, isf.id, "contingency", non_negative=True, name=f"ISF {isf.id} contingency"
    )


def delivery_income_account(session: Session, provider_id: int) -> Account:
    return ledger.open_account(
        session, ORG_OWNER, provider_id, "isf_delivery_income", name=f"Provider {provider_id} ISF delivery"
    )


def overhead_account(session: Session, provider_id: int) -> Account:
    return ledger.open_account(
        session, ORG_OWNER, provider_id, "isf_overhead", name=f"Provider {provider_id} ISF overhead"
    )


def family_source_account(session: Session, family_id: int) -> Account:
    return ledger.open_account(
        session, FAMILY_OWNER, family_id, "isf_contributions", name=f"Family {family_id} contributions"
    )


def drawdown_accounts(session: Session, isfs: list[Isf]) -> dict[int, tuple]:
    """(available, overhead, delivery) for each ISF, opened together (one query, not three per fund)."""
    wanted = []
    for isf in isfs:
        wanted += [
            (ISF_OWNER, isf.id, "available", True, f"ISF {isf.id} available"),
            (ORG_OWNER, isf.provider_id, "isf_overhead", False, f"Provider {isf.provider_id} ISF overhead"),
            (ORG_OWNER, isf.provider_id, "isf_delivery_income", False,
             f"Provider {isf.provider_id} ISF delivery"),
        ]  # fmt: skip
    found = open_accounts(session, wanted)
    return {
        isf.id: (
            found[(ISF_OWNER, isf.id, "available")],
            found[(ORG_OWNER, isf.provider_id, "isf_overhead")],
            found[(ORG_OWNER, isf.provider_id, "isf_delivery_income")],
        )
        for isf in isfs
    }


def find_isf_accounts(session: Session, isf: Isf) -> tuple[Account | None, Account | None]:
    """(available, contingency) without creating them — for read-only pages."""
    return (
        ledger.find_account(session, ISF_OWNER, isf.id, "available"),
        ledger.find_account(session, ISF_OWNER, isf.id, "contingency"),
    )


def balances(session: Session, isf: Isf) -> dict[str, int]:
    available, contingency = find_isf_accounts(session, isf)
    return {
        "available": ledger.balance(available).available if available else 0,
        "contingency": ledger.balance(contingency).available if contingency else 0,
    }
