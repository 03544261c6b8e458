"""The money core: double-entry accounts, append-only transfers, two-phase holds, idempotency.

Knows nothing of Flask or of other domains. Every other domain moves money only through
`marketplace.ledger.operations`. Operations flush; callers commit.
"""
