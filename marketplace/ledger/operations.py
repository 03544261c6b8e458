"""Every movement of money. Operations take a SQLAlchemy session, flush, and never commit.

Accounts and the lock order are in ledger/accounts.py, input checks in ledger/checks.py.

Refusals (LedgerError) are raised before anything is written, so a caller may catch one and
carry on with the same session (rule 8).

Idempotency (rule 5): an operation given `idempotency_key` first locks its accounts, then looks
the key up. A replay of the same request returns the first result and writes nothing; the same
key with a different request raises IdempotencyConflict. A new key is claimed (INSERT ... ON
CONFLICT DO NOTHING on its unique index, so a concurrent first request with the same key makes
this one wait for it and then replay its result) only after every check has passed.
"""

import hashlib
import json
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from marketplace.core.clock import today, utcnow
from marketplace.core.sql import dialect_insert
from marketplace.ledger.accounts import (  # noqa: F401 (open_account ... balance: re-exported for callers)
    account_id,
    balance,
    find_account,
    lock_accounts,
    lock_ids,
    move_balances,
    open_account,
)
from marketplace.ledger.checks import (
    check_can_spend,
    check_key,
    check_movement,
    check_text,
    split_reference,
)
from marketplace.ledger.errors import AlreadyReversed, HoldAlreadyResolved, IdempotencyConflict, LedgerError
from marketplace.ledger.models import Account, Hold, HoldResolution, IdempotencyRecord, Transfer

# ---- idempotency ----------------------------------------------------------------------------

_NEW = object()  # "no earlier request: go ahead"
_RESULT_MODELS = {"transfer": Transfer, "hold": Hold, "hold_resolution": HoldResolution}


def _request_hash(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _find_record(session: Session, key: str) -> IdempotencyRecord | None:
    return session.scalar(
        select(IdempotencyRecord)
        .where(IdempotencyRecord.key == key)
        .execution_options(populate_existing=True)
    )


def _same_request(record: IdempotencyRecord, wanted: str) -> IdempotencyRecord:
    if record.request_hash != wanted:
        raise IdempotencyConflict(
            f"idempotency key {record.key!r} was already used for a different request",
            field="idempotency_key",
            key=record.key,
        )
    return record


def claim_idempotency_key(session: Session, key: str, payload: dict) -> IdempotencyRecord | None:
    """Claim `key` for a request. Returns None if this caller now owns it (go ahead and do the
    work, then `settle_idempotency_key` in the same transaction; if the work fails, roll back),
    or the earlier record for a replay of the same request.

    The same key with a different payload raises IdempotencyConflict. Concurrent callers with
    one key serialise on its unique index: the losers wait, then see the winner's record.
    """
    check_text("idempotency_key", key, 200)
    wanted = _request_hash(payload)
    table = IdempotencyRecord.__table__
    claimed = session.execute(
        dialect_insert(session, table)
        .values(key=key, request_hash=wanted, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(table.c.id)
    ).first()
    if claimed is not None:
        return None
    return _same_request(_find_record(session, key), wanted)


def settle_idempotency_key(session: Session, key: str, result_type: str, result_id: int | None) -> None:
    """Record what the request claiming `key` produced, so that replays return it."""
    table = IdempotencyRecord.__table__
    done = session.execute(
        update(table).where(table.c.key == key).values(result_type=result_type, result_id=result_id)
    )
    if done.rowcount != 1:
        raise LedgerError(f"idempotency key {key!r} was never claimed", field="idempotency_key")


def _replay(session: Session, key: str | None, payload: dict, *, claim: bool = False):
    """The first result for `key`, or _NEW if there is none (claimed for us when `claim`)."""
    if key is None:
        return _NEW
    if claim:
        record = claim_idempotency_key(session, key, payload)
    else:
        record = _find_record(session, key)
        if record is not None:
            _same_request(record, _request_hash(payload))
    if record is None:
        return _NEW
    if record.result_type is None:
        raise IdempotencyConflict(
            f"idempotency key {key!r} belongs to a request that has not completed", key=key
        )
    if record.result_type == "nothing":
        return None
    return session.get(_RESULT_MODELS[record.result_type], record.result_id)


def _settle(session: Session, key: str | None, result_type: str, result_id: int | None) -> None:
    if key is not None:
        settle_idempotency_key(session, key, result_type, result_id)


def _payload(op: str, **fields) -> dict:
    return {"op": op, **fields}


# ---- transfers ------------------------------------------------------------------------------


def transfer(
    session: Session,
    debit: Account,
    credit: Account,
    amount: int,
    code: str,
    *,
    reference: tuple[str, object] | None = None,
    idempotency_key: str | None = None,
    effective_date: date | None = None,
) -> Transfer:
    """Move `amount` pence from `debit` to `credit` as one append-only, balanced transfer.

    Refuses a protected account going below zero counting its pending holds (rule 4). With an
    idempotency key a replay returns the first transfer and writes nothing (rule 5).
    """
    debit_id, credit_id = account_id(debit), account_id(credit)
    check_movement(debit_id, credit_id, amount, code, reference, idempotency_key)
    payload = _payload(
        "transfer", debit=debit_id, credit=credit_id, amount=amount, code=code,
        reference=reference, effective_date=effective_date,
    )  # fmt: skip
    debit, credit = lock_ids(session, debit_id, credit_id)
    if (earlier := _replay(session, idempotency_key, payload)) is not _NEW:
        return earlier
    check_can_spend(debit, amount)
    if (earlier := _replay(session, idempotency_key, payload, claim=True)) is not _NEW:
        return earlier
    row = _append_transfer(
        session, debit, credit, amount, code, reference, effective_date, idempotency_key=idempotency_key
    )
    _settle(session, idempotency_key, "transfer", row.id)
    return row


def _append_transfer(
    session,
    debit,
    credit,
    amount,
    code,
    reference,
    effective_date,
    *,
    hold_id=None,
    reverses_id=None,
    idempotency_key=None,
    released=0,
) -> Transfer:
    """Write the transfer and move both cached balances (and release `released` pence of the
    debit's pending holds); the accounts are locked by the caller."""
    ref_type, ref_id = split_reference(reference)
    row = Transfer(
        debit_account_id=debit.id,
        credit_account_id=credit.id,
        amount=amount,
        code=code,
        reference_type=ref_type,
        reference_id=ref_id,
        hold_id=hold_id,
        reverses_id=reverses_id,
        idempotency_key=idempotency_key,
        effective_date=effective_date or today(),
    )
    move_balances(session, debit, -amount, -released, other=credit, other_posted=amount)
    session.add(row)
    session.flush()
    return row


def reverse(
    session: Session,
    original: Transfer,
    *,
    code: str = "reversal",
    effective_date: date | None = None,
    idempotency_key: str | None = None,
) -> Transfer:
    """Correct a transfer with a new, opposite transfer (never an edit). A transfer is reversed
    once; a reversal is not itself reversed (make a new transfer instead). The account the money
    returns from must still have it if protected (rule 4)."""
    check_text("code", code, 30)
    check_key(idempotency_key)
    if original.reverses_id is not None:
        raise LedgerError(
            f"transfer {original.id} is a reversal; make a new transfer instead", transfer_id=original.id
        )
    payload = _payload("reverse", transfer=original.id, code=code, effective_date=effective_date)
    debit, credit = lock_ids(session, original.credit_account_id, original.debit_account_id)
    if (earlier := _replay(session, idempotency_key, payload)) is not _NEW:
        return earlier
    if session.scalar(select(Transfer.id).where(Transfer.reverses_id == original.id)) is not None:
        raise AlreadyReversed(f"transfer {original.id} was already reversed", transfer_id=original.id)
    check_can_spend(debit, original.amount)
    if (earlier := _replay(session, idempotency_key, payload, claim=True)) is not _NEW:
        return earlier
    reference = (original.reference_type, original.reference_id) if original.reference_type else None
    row = _append_transfer(
        session, debit, credit, original.amount, code, reference, effective_date,
        reverses_id=original.id, idempotency_key=idempotency_key,
    )  # fmt: skip
    _settle(session, idempotency_key, "transfer", row.id)
    return row


# ---- holds (two-phase transfers) ------------------------------------------------------------


def place_hold(
    session: Session,
    debit: Account,
    credit: Account,
    amount: int,
    code: str,
    *,
    reference: tuple[str, object] | None = None,
    idempotency_key: str | None = None,
    effective_date: date | None = None,
) -> Hold:
    """Reserve `amount` on `debit` for a later transfer to `credit`, counting other holds (rule 4)."""
    debit_id, credit_id = account_id(debit), account_id(credit)
    check_movement(debit_id, credit_id, amount, code, reference, idempotency_key)
    payload = _payload(
        "hold", debit=debit_id, credit=credit_id, amount=amount, code=code,
        reference=reference, effective_date=effective_date,
    )  # fmt: skip
    debit, credit = lock_ids(session, debit_id, credit_id)
    if (earlier := _replay(session, idempotency_key, payload)) is not _NEW:
        return earlier
    check_can_spend(debit, amount)
    if (earlier := _replay(session, idempotency_key, payload, claim=True)) is not _NEW:
        return earlier
    ref_type, ref_id = split_reference(reference)
    hold = Hold(
        debit_account_id=debit.id,
        credit_account_id=credit.id,
        amount=amount,
        code=code,
        reference_type=ref_type,
        reference_id=ref_id,
        idempotency_key=idempotency_key,
        effective_date=effective_date or today(),
    )
    move_balances(session, debit, pending=amount)
    session.add(hold)
    session.flush()
    _settle(session, idempotency_key, "hold", hold.id)
    return hold


def _resolve(session: Session, hold: Hold, outcome: str, posted_amount: int, key, payload):
    """Lock the hold's accounts, replay or check it is still pending, then record how it ended.

    Resolutions serialise on the debit account's row lock, so the check is exact; the unique
    hold_id on HoldResolution is the backstop. Returns (replayed result or _NEW, the locked
    debit and credit accounts, the new resolution or None).
    """
    debit, credit = lock_ids(session, hold.debit_account_id, hold.credit_account_id)
    if (earlier := _replay(session, key, payload)) is not _NEW:
        return earlier, debit, credit, None
    earlier_outcome = session.scalar(select(HoldResolution.outcome).where(HoldResolution.hold_id == hold.id))
    if earlier_outcome is not None:
        raise HoldAlreadyResolved(f"hold {hold.id} was already {earlier_outcome}", hold_id=hold.id)
    if (earlier := _replay(session, key, payload, claim=True)) is not _NEW:
        return earlier, debit, credit, None
    resolution = HoldResolution(hold_id=hold.id, outcome=outcome, posted_amount=posted_amount)
    session.add(resolution)
    # Set by id (no SELECT); `hold.resolution` reloads on next use instead of staying stale.
    session.expire(hold, ["resolution"])
    return _NEW, debit, credit, resolution


def post_hold(
    session: Session,
    hold: Hold,
    amount: int | None = None,
    *,
    code: str = "post",
    effective_date: date | None = None,
    idempotency_key: str | None = None,
) -> Transfer | None:
    """Post all of a hold, or part of it (the rest is released). Each hold is resolved once.

    Returns the posted transfer, or None when `amount` is 0 (everything released).
    """
    amount = hold.amount if amount is None else amount
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 <= amount <= hold.amount:
        raise LedgerError(
            f"can post 0 to {hold.amount} pence of hold {hold.id}, not {amount}", field="amount"
        )
    check_text("code", code, 30)
    check_key(idempotency_key)
    payload = _payload("post_hold", hold=hold.id, amount=amount, code=code, effective_date=effective_date)
    earlier, debit, credit, _ = _resolve(
        session, hold, "posted" if amount else "voided", amount, idempotency_key, payload
    )
    if earlier is not _NEW:
        return earlier
    if amount == 0:
        move_balances(session, debit, pending=-hold.amount)
        session.flush()
        _settle(session, idempotency_key, "nothing", None)
        return None
    reference = (hold.reference_type, hold.reference_id) if hold.reference_type else None
    row = _append_transfer(
        session, debit, credit, amount, code, reference, effective_date,
        hold_id=hold.id, idempotency_key=idempotency_key, released=hold.amount,
    )  # fmt: skip
    _settle(session, idempotency_key, "transfer", row.id)
    return row


def void_hold(session: Session, hold: Hold, *, idempotency_key: str | None = None) -> HoldResolution:
    """Release a hold entirely; nothing moves. Each hold is resolved once."""
    check_key(idempotency_key)
    payload = _payload("void_hold", hold=hold.id)
    earlier, debit, _, resolution = _resolve(session, hold, "voided", 0, idempotency_key, payload)
    if earlier is not _NEW:
        return earlier
    move_balances(session, debit, pending=-hold.amount)
    session.flush()
    _settle(session, idempotency_key, "hold_resolution", resolution.id)
    return resolution


# Reading and checking the books live in ledger.reading; re-exported here for callers.
from marketplace.ledger.reading import (  # noqa: E402, F401
    Balance,
    balance_as_of,
    derived_balance,
    pending_holds,
    reconcile,
    transfers_for,
)
