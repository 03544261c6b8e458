"""Statements of account: what one payer owed one provider over a period, read from the ledger.

The provider's receivable account from that payer (books.receivable_account) is the statement:
its balance at the end of the day before the period is the opening balance; each transfer dated
in the period is a line (an issued invoice raises what is owed, a credit note or a payment lowers
it, a payment's reversal raises it again), with the running balance after it; its balance at the
end of the period is the closing balance, so opening + the lines = closing (the tests check the
two ledger readings agree). Read only: a statement never opens an account.

A line names its transfer for people through REFERENCE_NAMES: the transfer's reference
("invoice", id) is looked up as the invoice's number, a credit note's as its number, a payment
allocation's as its payment's reference and invoice. Add a resolver there for any new kind.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace import ledger
from marketplace.accounts.models import Family, Organisation
from marketplace.core.clock import financial_year, today
from marketplace.invoicing.books import RECEIVABLE_OWNER, payer_key
from marketplace.invoicing.models import CreditNote, Invoice, Payment, PaymentAllocation
from marketplace.ledger.models import Account, Transfer

PAYER_KINDS = ("org", "family")  # as in the receivable account's kind, "org:12" / "family:7"

KIND_LABELS = {
    "invoice": "Invoice",
    "credit_note": "Credit note",
    "payment": "Payment received",
    "payment_reversal": "Payment reversed",
    "correction": "Correction",
    "adjustment": "Adjustment",
}
KIND_OF_REFERENCE = {"invoice": "invoice", "credit_note": "credit_note", "payment_allocation": "payment"}


# ---- naming a transfer's reference for people -----------------------------------------------


def _numbers_of(model) -> Callable[[Session, list[str]], dict[str, str]]:
    """A resolver reading the `number` of `model` rows (invoices, credit notes) by id."""

    def resolve(session: Session, ids: list[str]) -> dict[str, str]:
        rows = session.execute(select(model.id, model.number).where(model.id.in_([int(i) for i in ids])))
        return {str(row_id): str(number) for row_id, number in rows if number}

    return resolve


def _payment_names(session: Session, ids: list[str]) -> dict[str, str]:
    """A payment allocation as "its payment's reference, invoice NUMBER"."""
    rows = session.execute(
        select(PaymentAllocation.id, Payment.reference, Invoice.number)
        .join(Payment, Payment.id == PaymentAllocation.payment_id)
        .join(Invoice, Invoice.id == PaymentAllocation.invoice_id)
        .where(PaymentAllocation.id.in_([int(i) for i in ids]))
    )
    return {str(row_id): f"{reference}, invoice {number}" for row_id, reference, number in rows}


# reference_type -> resolver(session, reference ids) -> {reference id: what people call it}
REFERENCE_NAMES: dict[str, Callable[[Session, list[str]], dict[str, str]]] = {
    "invoice": _numbers_of(Invoice),
    "credit_note": _numbers_of(CreditNote),
    "payment_allocation": _payment_names,
}


def _names(session: Session, transfers: list[Transfer]) -> dict[tuple[str, str], str]:
    wanted: dict[str, set[str]] = {}
    for t in transfers:
        if t.reference_type:
            wanted.setdefault(t.reference_type, set()).add(t.reference_id)
    names = {}
    for ref_type, ids in wanted.items():
        resolver = REFERENCE_NAMES.get(ref_type)
        found = resolver(session, sorted(ids)) if resolver else {}
        names |= {(ref_type, ref_id): found.get(ref_id, f"no. {ref_id}") for ref_id in ids}
    return names


# ---- the statement ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    day: date
    kind: str  # a key of KIND_LABELS
    reference: str  # what people call it: an invoice number, a credit note's number …
    amount: int  # pence: positive raises what is owed, negative lowers it
    balance: int  # owed after this line
    invoice_id: int | None = None  # the invoice a line is, to link to

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def charge(self) -> int:
        return max(self.amount, 0)

    @property
    def reduction(self) -> int:
        return max(-self.amount, 0)


@dataclass(frozen=True)
class Statement:
    provider: Organisation
    payer: Organisation | Family
    payer_kind: str  # "org" or "family"
    start: date
    end: date
    opening: int
    lines: list[StatementLine]
    closing: int

    @property
    def charges(self) -> int:
        return sum(line.charge for line in self.lines)

    @property
    def reductions(self) -> int:
        return sum(line.reduction for line in self.lines)

    @property
    def provider_party(self) -> dict:
        return {"id": self.provider.id, "kind": "organisation", "name": self.provider.name}

    @property
    def payer_party(self) -> dict:
        kind = "organisation" if self.payer_kind == "org" else "family"
        return {"id": self.payer.id, "kind": kind, "name": self.payer.name}


def _kind(transfer: Transfer) -> str:
    if transfer.reverses_id is not None:
        return "payment_reversal" if transfer.reference_type == "payment_allocation" else "correction"
    return KIND_OF_REFERENCE.get(transfer.reference_type or "", "adjustment")


def receivable(session: Session, provider_id: int, payer_kind: str, payer_id: int) -> Account | None:
    """The provider's receivable account from that payer, or None if it was never billed."""
    key = payer_key(payer_id, None) if payer_kind == "org" else payer_key(None, payer_id)
    return ledger.find_account(session, RECEIVABLE_OWNER, provider_id, key)


def statement(
    session: Session, provider: Organisation, payer: Organisation | Family, start: date, end: date
) -> Statement:
    """The statement of account between `provider` and `payer` over [start, end] (inclusive)."""
    payer_kind = "family" if isinstance(payer, Family) else "org"
    account = receivable(session, provider.id, payer_kind, payer.id)
    if account is None:
        return Statement(provider, payer, payer_kind, start, end, 0, [], 0)
    opening = ledger.balance_as_of(session, account, start - timedelta(days=1))
    transfers = ledger.transfers_for(session, account, start, end)
    names = _names(session, transfers)
    lines, balance = [], opening
    for t in transfers:
        amount = t.amount if t.credit_account_id == account.id else -t.amount
        balance += amount
        kind = _kind(t)
        lines.append(
            StatementLine(
                day=t.effective_date,
                kind=kind,
                reference=names.get((t.reference_type, t.reference_id), t.code),
                amount=amount,
                balance=balance,
                invoice_id=int(t.reference_id) if kind == "invoice" else None,
            )
        )
    closing = ledger.balance_as_of(session, account, end)
    return Statement(provider, payer, payer_kind, start, end, opening, lines, closing)


# ---- whose statements a person may see ----------------------------------------------------------


@dataclass(frozen=True)
class Counterparty:
    """One (provider, payer) pair with a receivable, and what is owed now."""

    provider: Organisation
    payer: Organisation | Family
    payer_kind: str
    owed: int


def parse_payer_key(kind: str) -> tuple[str, int]:
    """'org:12' -> ('org', 12); 'family:7' -> ('family', 7)."""
    payer_kind, _, payer_id = kind.partition(":")
    return payer_kind, int(payer_id)


def counterparties(session: Session, *, provider_ids=(), payer_org_ids=(), family_id=None, everyone=False):
    """The (provider, payer) pairs with a receivable that the given provider organisations are
    owed by, that the given paying organisations or family owe, or (`everyone`) all of them."""
    query = select(Account).where(Account.owner_type == RECEIVABLE_OWNER)
    if not everyone:
        kinds = [payer_key(org_id, None) for org_id in payer_org_ids]
        if family_id is not None:
            kinds.append(payer_key(None, family_id))
        query = query.where(Account.owner_id.in_(list(provider_ids)) | Account.kind.in_(kinds))
    accounts = session.scalars(query.order_by(Account.owner_id, Account.kind).limit(1000)).all()
    pairs = []
    for account in accounts:
        payer_kind, payer_id = parse_payer_key(account.kind)
        payer = session.get(Organisation if payer_kind == "org" else Family, payer_id)
        provider = session.get(Organisation, account.owner_id)
        pairs.append(Counterparty(provider, payer, payer_kind, account.posted))
    return sorted(pairs, key=lambda p: (p.provider.name, p.payer.name))


STATEMENT_RULE = "/statements/<int:provider_id>/<any(org, family):payer_kind>/<int:payer_id>"


def default_period() -> tuple[date, date]:
    """A statement's period unless one is chosen: the financial year so far (1 April to today),
    the year councils and NHS bodies reconcile their accounts by."""
    return financial_year(today())[0], today()


def statement_path(provider_id: int, payer_kind: str, payer_id: int) -> str:
    """The statement page's path (for notices, which are built outside a request)."""
    return f"/statements/{provider_id}/{payer_kind}/{payer_id}"


def invoice_statement_path(invoice: Invoice) -> str:
    if invoice.payer_org_id is not None:
        return statement_path(invoice.issuer_id, "org", invoice.payer_org_id)
    return statement_path(invoice.issuer_id, "family", invoice.payer_family_id)
