"""The money core: double-entry accounts, append-only transfers, two-phase holds, idempotency.

Knows nothing of Flask or of other domains. This module is its public face: other domains move
money only through the names below (`from marketplace import ledger; ledger.transfer(...)`).
Operations take a SQLAlchemy session first, flush, and never commit; refusals (LedgerError) are
raised before anything is written, so a caller may catch one and carry on (rule 8).

Where each topic lives:
  checks.py       input checks, the funds check (rule 4)
  accounts.py     open, find, lock (the lock order), cached balances
  idempotency.py  claim, settle, replay; `lock_and_claim`, every operation's preamble (rule 5)
  transfers.py    transfer, reverse
  holds.py        place_hold, post_hold, void_hold
  batch.py        transfer_many, open_accounts: set-based, for jobs
  reading.py      derived balances, statements, pending holds, reconcile
  models.py, errors.py
"""

from marketplace.ledger.accounts import balance, find_account, lock_accounts, open_account
from marketplace.ledger.batch import Movement, open_accounts, transfer_many
from marketplace.ledger.errors import (
    AlreadyReversed,
    HoldAlreadyResolved,
    IdempotencyConflict,
    InsufficientFunds,
    LedgerError,
)
from marketplace.ledger.holds import place_hold, post_hold, void_hold
from marketplace.ledger.idempotency import claim_idempotency_key, settle_idempotency_key
from marketplace.ledger.models import Account, Hold, HoldResolution, Transfer
from marketplace.ledger.reading import (
    Balance,
    balance_as_of,
    derived_balance,
    pending_holds,
    reconcile,
    transfers_for,
)
from marketplace.ledger.transfers import reverse, transfer

__all__ = [
    "Account",
    "AlreadyReversed",
    "Balance",
    "Hold",
    "HoldAlreadyResolved",
    "HoldResolution",
    "IdempotencyConflict",
    "InsufficientFunds",
    "LedgerError",
    "Movement",
    "Transfer",
    "balance",
    "balance_as_of",
    "claim_idempotency_key",
    "derived_balance",
    "find_account",
    "lock_accounts",
    "open_account",
    "open_accounts",
    "pending_holds",
    "place_hold",
    "post_hold",
    "reconcile",
    "reverse",
    "settle_idempotency_key",
    "transfer",
    "transfer_many",
    "transfers_for",
    "void_hold",
]
