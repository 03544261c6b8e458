"""Set-based money movement for jobs that post thousands of transfers at once (the weekly drawdown).

Same rules as `transfers.transfer`, paid for once per batch instead of once per transfer: every
account is locked once, in id order; replays are found with one query; each protected account is
checked against the running balance of the whole batch; then all transfers and their idempotency
records go in with one multi-row INSERT each, and each touched account's cached balance is
written once. All or nothing: a refusal raises before anything is written.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import String, any_, bindparam, select, text, tuple_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from marketplace.core.clock import today, utcnow
from marketplace.core.sql import bulk_insert, bulk_update, dialect_insert
from marketplace.ledger.accounts import account_id, lock_ids
from marketplace.ledger.checks import check_movement, check_text, insufficient, split_reference
from marketplace.ledger.errors import InsufficientFunds
from marketplace.ledger.idempotency import check_same_request, request_hash
from marketplace.ledger.models import Account, IdempotencyRecord, Transfer
from marketplace.ledger.transfers import movement_payload


@dataclass(frozen=True)
class Movement:
    """One transfer to post in a batch."""

    debit: Account
    credit: Account
    amount: int
    code: str
    reference: tuple[str, object] | None = None
    idempotency_key: str | None = None
    effective_date: date | None = None


def open_accounts(session: Session, wanted: list[tuple[str, int, str, bool, str]]) -> dict[tuple, Account]:
    """Get or create many accounts at once: (owner_type, owner_id, kind, non_negative, name) each.
    Returns {(owner_type, owner_id, kind): Account}. Like `open_account`, safe under races."""
    keys = list(dict.fromkeys((t, i, k) for t, i, k, _, _ in wanted))
    for owner_type, _, kind in keys:
        check_text("owner_type", owner_type, 40)
        check_text("kind", kind, 40)
    found = _find_accounts(session, keys)
    missing = [w for w in wanted if (w[0], w[1], w[2]) not in found]
    if missing:
        rows = [
            dict(
                owner_type=t,
                owner_id=i,
                kind=k,
                non_negative=nn,
                name=name,
                posted=0,
                pending_out=0,
                created_at=utcnow(),
            )
            for t, i, k, nn, name in dict((w[:3], w) for w in missing).values()
        ]
        session.execute(
            dialect_insert(session, Account.__table__).on_conflict_do_nothing(
                index_elements=["owner_type", "owner_id", "kind"]
            ),
            rows,
        )
        found |= _find_accounts(session, [w[:3] for w in missing])
    return found


_BY_KEYS = text(
    "SELECT ledger_account.* FROM ledger_account JOIN unnest(CAST(:types AS VARCHAR[]), "
    "CAST(:owners AS BIGINT[]), CAST(:kinds AS VARCHAR[])) AS wanted(owner_type, owner_id, kind) "
    "ON ledger_account.owner_type = wanted.owner_type AND ledger_account.owner_id = wanted.owner_id "
    "AND ledger_account.kind = wanted.kind"
)


def _find_accounts(session: Session, keys: list[tuple]) -> dict[tuple, Account]:
    """The accounts with these (owner_type, owner_id, kind) keys. On PostgreSQL one join against
    the keys as three arrays: a row-value IN list is rechecked as an OR of every key against every
    row found, which grows with the square of the keys (a tenth of a second for a few hundred)."""
    if session.get_bind().dialect.name == "postgresql":
        arrays = {
            "types": [k[0] for k in keys],
            "owners": [k[1] for k in keys],
            "kinds": [k[2] for k in keys],
        }
        rows = session.scalars(select(Account).from_statement(_BY_KEYS), arrays)
        return {(a.owner_type, a.owner_id, a.kind): a for a in rows}
    found = {}
    for start in range(0, len(keys), 1000):
        chunk = keys[start : start + 1000]
        query = select(Account).where(tuple_(Account.owner_type, Account.owner_id, Account.kind).in_(chunk))
        found |= {(a.owner_type, a.owner_id, a.kind): a for a in session.scalars(query)}
    return found


def transfer_many(session: Session, movements: list[Movement], *, locked: bool = False) -> list[int | None]:
    """Post `movements` in order, as one all-or-nothing set. A movement whose idempotency key was
    already used for the same request is a replay: it writes nothing and its place in the result is
    None (rule 5); otherwise it is the new transfer's id. The same key with a different request raises IdempotencyConflict. A protected
    account never goes below zero counting its pending holds, at any point in the batch (rule 4).

    `locked=True` says the caller has already locked every account with `lock_accounts` in this
    transaction (and holds those very objects), so they are not read again."""
    if not movements:
        return []
    ids = []
    for m in movements:
        debit_id, credit_id = account_id(m.debit), account_id(m.credit)
        check_movement(debit_id, credit_id, m.amount, m.code, m.reference, m.idempotency_key)
        ids.append((debit_id, credit_id))
    if locked:
        accounts = {account_id(a): a for m in movements for a in (m.debit, m.credit)}
    else:
        accounts = {a.id: a for a in lock_ids(session, *{i for pair in ids for i in pair})}
    hashes = [_hash(m, d, c) for m, (d, c) in zip(movements, ids, strict=True)]
    done = _earlier_keys(session, [m.idempotency_key for m in movements if m.idempotency_key])
    fresh = []
    for m, (d, c), wanted in zip(movements, ids, hashes, strict=True):
        if m.idempotency_key in done:
            check_same_request(m.idempotency_key, done[m.idempotency_key], wanted)
            continue
        fresh.append((m, d, c, wanted))
    posted = _check_running_balances(accounts, fresh)
    new_ids = _insert_transfers(session, fresh)
    _write_balances(session, accounts, posted)
    by_movement = dict(zip((id(m) for m, *_ in fresh), new_ids, strict=True))
    return [by_movement.get(id(m)) for m in movements]


def _hash(m: Movement, debit_id: int, credit_id: int) -> str:
    return request_hash(
        movement_payload("transfer", debit_id, credit_id, m.amount, m.code, m.reference, m.effective_date)
    )


def _earlier_keys(session: Session, keys: list[str]) -> dict[str, str]:
    """{key: request hash} of the keys already used."""
    if not keys:
        return {}
    column = IdempotencyRecord.key
    wanted = select(column, IdempotencyRecord.request_hash)
    if session.get_bind().dialect.name == "postgresql":  # one array parameter, not one per key
        return dict(
            session.execute(wanted.where(column == any_(bindparam("keys", keys, type_=ARRAY(String))))).all()
        )
    found = {}
    for start in range(0, len(keys), 500):
        found |= dict(session.execute(wanted.where(column.in_(keys[start : start + 500]))).all())
    return found


def _check_running_balances(accounts: dict[int, Account], fresh) -> dict[int, int]:
    posted = {i: a.posted for i, a in accounts.items()}
    for m, debit_id, credit_id, _ in fresh:
        debit = accounts[debit_id]
        if debit.non_negative and posted[debit_id] - debit.pending_out < m.amount:
            raise InsufficientFunds(
                insufficient(debit.name, posted[debit_id] - debit.pending_out, m.amount),
                account_id=debit_id,
                available=posted[debit_id] - debit.pending_out,
                needed=m.amount,
            )
        posted[debit_id] -= m.amount
        posted[credit_id] += m.amount
    return posted


def _insert_transfers(session: Session, fresh) -> list[int]:
    if not fresh:
        return []
    default_day = today()
    rows = []
    for m, debit_id, credit_id, _ in fresh:
        ref_type, ref_id = split_reference(m.reference)
        rows.append(
            dict(
                debit_account_id=debit_id,
                credit_account_id=credit_id,
                amount=m.amount,
                code=m.code,
                reference_type=ref_type,
                reference_id=ref_id,
                hold_id=None,
                reverses_id=None,
                idempotency_key=m.idempotency_key,
                effective_date=m.effective_date or default_day,
                created_at=utcnow(),
            )
        )
    new_ids = bulk_insert(session, Transfer.__table__, rows, returning_ids=True)
    records = [
        dict(
            key=m.idempotency_key,
            request_hash=wanted,
            result_type="transfer",
            result_id=new_id,
            created_at=utcnow(),
        )
        for (m, _, _, wanted), new_id in zip(fresh, new_ids, strict=True)
        if m.idempotency_key
    ]
    if records:  # a key claimed meanwhile by another transaction fails the whole batch (unique index)
        bulk_insert(session, IdempotencyRecord.__table__, records)
    return new_ids


def _write_balances(session: Session, accounts: dict[int, Account], posted: dict[int, int]) -> None:
    """Each changed account's cached balance, in one statement (the accounts are locked)."""
    changed = {i: p for i, p in posted.items() if p != accounts[i].posted}
    bulk_update(session, Account.__table__, "posted", changed)
    for changed_id, new_posted in changed.items():
        set_committed_value(accounts[changed_id], "posted", new_posted)
