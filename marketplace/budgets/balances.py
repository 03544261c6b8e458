"""Live balances and statements of a budget, read from the ledger (nothing here writes).

For each funding stream, from its protected ledger account S and its funder's allocations
account F:

- allocated = the stream's amount: the net of allocation and top-up transfers F→S less
  reduction transfers S→F (amendments keep the two equal; `funded` is the ledger's figure);
- spent     = transfers out of S to anything other than F (posted holds, ISF payments …)
              less transfers into S from anything other than F (reversals, refunds);
- held      = pending holds on S (reserved for bookings, neither posted nor released);
- available = posted − held, where posted = funded − spent. Never negative (rule 4).

So allocated = spent + held + available. Totals are the sums over the streams.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from marketplace import ledger
from marketplace.budgets.books import FUNDER_OWNER, STREAM_OWNER
from marketplace.budgets.models import Budget, FundingStream


@dataclass(frozen=True)
class StreamBalance:
    stream: FundingStream
    allocated: int
    funded: int
    held: int
    spent: int
    available: int

    @property
    def posted(self) -> int:
        return self.funded - self.spent


@dataclass(frozen=True)
class Totals:
    allocated: int
    held: int
    spent: int
    available: int


@dataclass(frozen=True)
class StatementLine:
    transfer_id: int
    day: date
    stream: FundingStream
    code: str
    description: str
    reference: str
    money_in: int
    money_out: int
    balance: int  # running posted balance of what the statement covers


def _accounts(session: Session, stream: FundingStream):
    account = ledger.find_account(session, STREAM_OWNER, stream.id, "available")
    funder = ledger.find_account(session, FUNDER_OWNER, stream.funder_id, "allocations")
    return account, funder


def stream_balance(session: Session, stream: FundingStream) -> StreamBalance:
    """One stream's allocated, held, spent and available pence (see the module docstring)."""
    account, funder = _accounts(session, stream)
    if account is None:
        return StreamBalance(stream, stream.amount, 0, 0, 0, 0)
    funder_id = funder.id if funder is not None else None
    funded = spent = 0
    for t in ledger.transfers_for(session, account):
        outgoing = t.debit_account_id == account.id
        other = t.credit_account_id if outgoing else t.debit_account_id
        if other == funder_id:
            funded += -t.amount if outgoing else t.amount
        else:
            spent += t.amount if outgoing else -t.amount
    held = ledger.balance(account).pending
    return StreamBalance(stream, stream.amount, funded, held, spent, funded - spent - held)


def budget_balances(session: Session, budget: Budget) -> tuple[list[StreamBalance], Totals]:
    """Every stream's balance, in listed order, and their totals."""
    streams = [stream_balance(session, s) for s in budget.streams]
    totals = Totals(
        allocated=sum(b.allocated for b in streams),
        held=sum(b.held for b in streams),
        spent=sum(b.spent for b in streams),
        available=sum(b.available for b in streams),
    )
    return streams, totals


DESCRIPTIONS = {
    "allocation": "Allocation from {funder}",
    "top_up": "Top-up from {funder}",
    "reduction": "Reduction returned to {funder}",
    # the counterparty of these is the provider's generic "care delivered" account: say it once
    "care_delivered": "Care delivered",
    "cancellation_charge": "Cancellation or no-show charge",
    "isf_receipt": "Paid into the Individual Service Fund",
    "isf_contingency": "Paid into the Individual Service Fund's contingency",
    "credit_note_refund": "Returned by the provider's credit note (care not charged)",
}


REFERENCES = {
    "booking": "Booking {id}",
    "isf_receipt": "ISF receipt {id}",
    "isf_contingency_release": "Contingency release {id}",
}
# Later domains name their own records ("credit_note" -> "Credit note HIL-CN-000001"):
# kind -> function(session, id) -> words
REFERENCE_NAMERS: dict = {}


def _reference(session: Session, kind: str | None, ref: str | None, stream: FundingStream) -> str:
    """What caused a movement, named for people ("Booking 12", "PO BC-SB-2026-0142"), never a
    table name and a row id."""
    if not kind:
        return ""
    if kind == "funding_stream":
        return f"PO {stream.po_number}" if stream.po_number else f"{stream.funder.name}'s allocation"
    if kind == "isf_week":
        isf_id, _, week = str(ref).partition(":")
        try:
            return f"ISF {isf_id}, week of {date.fromisoformat(week):%-d %B %Y}"
        except ValueError:
            return f"ISF {isf_id}"
    if kind in REFERENCE_NAMERS:
        return REFERENCE_NAMERS[kind](session, ref)
    template = REFERENCES.get(kind)
    return template.format(id=ref) if template else f"{kind.replace('_', ' ').capitalize()} {ref}"


def _describe(code: str, stream: FundingStream, counterparty: str) -> str:
    template = DESCRIPTIONS.get(code)
    if template:
        return template.format(funder=stream.funder.name)
    return f"{code.replace('_', ' ').capitalize()}" + (f" — {counterparty}" if counterparty else "")


def statement(session: Session, budget: Budget, stream: FundingStream | None = None) -> list[StatementLine]:
    """Every posted movement on one stream (or all, combined), oldest first, with a running balance."""
    streams = [stream] if stream is not None else list(budget.streams)
    entries = []
    for s in streams:
        account, _ = _accounts(session, s)
        if account is None:
            continue
        for t in ledger.transfers_for(session, account):
            outgoing = t.debit_account_id == account.id
            other = t.credit_account if outgoing else t.debit_account
            entries.append((t, s, outgoing, other.name if other is not None else ""))
    entries.sort(key=lambda e: (e[0].effective_date, e[0].id))
    running = 0
    lines = []
    for t, s, outgoing, counterparty in entries:
        running += -t.amount if outgoing else t.amount
        lines.append(
            StatementLine(
                transfer_id=t.id,
                day=t.effective_date,
                stream=s,
                code=t.code,
                description=_describe(t.code, s, counterparty),
                reference=_reference(session, t.reference_type, t.reference_id, s),
                money_in=0 if outgoing else t.amount,
                money_out=t.amount if outgoing else 0,
                balance=running,
            )
        )
    return lines


def pounds(pence: int) -> str:
    """Pence as plain pounds for spreadsheets: 39333 -> '393.33' (integer arithmetic)."""
    sign = "-" if pence < 0 else ""
    whole, rem = divmod(abs(pence), 100)
    return f"{sign}{whole}.{rem:02d}"
