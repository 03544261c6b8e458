"""Idempotency (rule 5): claiming a key, settling it with the result, replaying the first result.

An operation given `idempotency_key` first locks its accounts, then looks the key up. A replay of
the same request returns the first result and writes nothing; the same key with a different
request raises IdempotencyConflict. A new key is claimed (INSERT ... ON CONFLICT DO NOTHING on its
unique index, so a concurrent first request with the same key makes this one wait for it and then
replay its result) only after every check has passed. `lock_and_claim` is that preamble, shared
by every operation that takes a key.
"""

import hashlib
import json
from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from marketplace.core.clock import utcnow
from marketplace.core.sql import dialect_insert
from marketplace.ledger.accounts import lock_ids
from marketplace.ledger.checks import check_text
from marketplace.ledger.errors import IdempotencyConflict, LedgerError
from marketplace.ledger.models import Account, Hold, HoldResolution, IdempotencyRecord, Transfer

NEW = object()  # "no earlier request: go ahead"
_RESULT_MODELS = {"transfer": Transfer, "hold": Hold, "hold_resolution": HoldResolution}


def payload(op: str, **fields) -> dict:
    """What a request asked for, as hashed for its idempotency record."""
    return {"op": op, **fields}


def request_hash(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def check_same_request(key: str, stored_hash: str, wanted: str) -> None:
    """A key is used for one request only: another request with it raises IdempotencyConflict."""
    if stored_hash != wanted:
        raise IdempotencyConflict(
            f"idempotency key {key!r} was already used for a different request",
            field="idempotency_key",
            key=key,
        )


def _find_record(session: Session, key: str) -> IdempotencyRecord | None:
    return session.scalar(
        select(IdempotencyRecord)
        .where(IdempotencyRecord.key == key)
        .execution_options(populate_existing=True)
    )


def claim_idempotency_key(session: Session, key: str, payload: dict) -> IdempotencyRecord | None:
    """Claim `key` for a request. Returns None if this caller now owns it (go ahead and do the
    work, then `settle_idempotency_key` in the same transaction; if the work fails, roll back),
    or the earlier record for a replay of the same request.

    The same key with a different payload raises IdempotencyConflict. Concurrent callers with
    one key serialise on its unique index: the losers wait, then see the winner's record.
    """
    check_text("idempotency_key", key, 200)
    wanted = request_hash(payload)
    table = IdempotencyRecord.__table__
    claimed = session.execute(
        dialect_insert(session, table)
        .values(key=key, request_hash=wanted, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(table.c.id)
    ).first()
    if claimed is not None:
        return None
    record = _find_record(session, key)
    check_same_request(key, record.request_hash, wanted)
    return record


def settle_idempotency_key(session: Session, key: str, result_type: str, result_id: int | None) -> None:
    """Record what the request claiming `key` produced, so that replays return it."""
    table = IdempotencyRecord.__table__
    done = session.execute(
        update(table).where(table.c.key == key).values(result_type=result_type, result_id=result_id)
    )
    if done.rowcount != 1:
        raise LedgerError(f"idempotency key {key!r} was never claimed", field="idempotency_key")


def replay(session: Session, key: str | None, payload: dict, *, claim: bool = False):
    """The first result for `key`, or NEW if there is none (claimed for us when `claim`)."""
    if key is None:
        return NEW
    if claim:
        record = claim_idempotency_key(session, key, payload)
    else:
        record = _find_record(session, key)
        if record is not None:
            check_same_request(key, record.request_hash, request_hash(payload))
    if record is None:
        return NEW
    if record.result_type is None:
        raise IdempotencyConflict(
            f"idempotency key {key!r} belongs to a request that has not completed", key=key
        )
    if record.result_type == "nothing":
        return None
    return session.get(_RESULT_MODELS[record.result_type], record.result_id)


def lock_and_claim(
    session: Session,
    debit_id: int,
    credit_id: int,
    key: str | None,
    payload: dict,
    check: Callable[[Account, Account], None],
    *,
    share_credit: bool = False,
):
    """The preamble of every operation that moves money: lock the two accounts (in id order), then
    a replay of `key` returns its first result; otherwise `check(debit, credit)` refuses what it
    must (before anything is written) and the key, if any, is claimed.

    With `share_credit` the credit account is locked FOR SHARE (see `lock_ids`), for an operation
    that does not move the credit's balance (placing a hold).

    Returns (the first result, or NEW to go ahead; the locked debit and credit accounts).
    """
    if share_credit and credit_id != debit_id:
        debit, credit = lock_ids(session, debit_id, shared=(credit_id,))
    else:
        debit, credit = lock_ids(session, debit_id, credit_id)
    earlier = replay(session, key, payload)
    if earlier is NEW:
        check(debit, credit)
        earlier = replay(session, key, payload, claim=True)
    return earlier, debit, credit


def settle(session: Session, key: str | None, result_type: str, result_id: int | None) -> None:
    """`settle_idempotency_key` when the operation was given a key."""
    if key is not None:
        settle_idempotency_key(session, key, result_type, result_id)
