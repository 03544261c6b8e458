"""Refusals the ledger raises. The web layer maps LedgerError to 409 Conflict."""


class LedgerError(Exception):
    code = "ledger_error"

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.message = message
        self.details = details


class InsufficientFunds(LedgerError):
    """A protected account would go below zero, counting pending holds (rule 4)."""

    code = "insufficient_funds"


class HoldAlreadyResolved(LedgerError):
    code = "hold_already_resolved"


class IdempotencyConflict(LedgerError):
    """The same idempotency key was sent with a different request."""

    code = "idempotency_conflict"


class AlreadyReversed(LedgerError):
    code = "already_reversed"


class AppendOnlyViolation(RuntimeError):
    """Code tried to update or delete a transfer, hold or resolution, or delete an account.

    A programming error, not a refusal: it is deliberately not a LedgerError (not a 409).
    """
