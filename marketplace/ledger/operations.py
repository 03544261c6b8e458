"""Every movement of money. Operations take a SQLAlchemy session, flush, and never commit.

Locking: each operation locks the accounts it touches with SELECT ... FOR UPDATE in ascending
id order. A caller that moves money on several accounts in one transaction should call
`lock_accounts` for all of them first, so two such transactions cannot deadlock.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace.core.clock import today
from marketplace.ledger.errors import (
    AlreadyReversed,
    HoldAlreadyResolved,
    IdempotencyConflict,
    InsufficientFunds,
    LedgerError,
)
from marketplace.ledger.models import Account, Hold, HoldResolution, IdempotencyRecord, Transfer


@dataclass(frozen=True)
class Balance:
    posted: int
    pending: int

    @property
    def available(self) -> int:
        return self.posted - self.pending


# ---- accounts -------------------------------------------------------------------------------


def open_account(
    session: Session, owner_type: str, owner_id: int, kind: str, *, non_negative: bool = False, name: str = ""
) -> Account:
    """The account for (owner, kind), created on first use. Accounts are never deleted."""
    account = session.scalar(
        select(Account).where(
            Account.owner_type == owner_type, Account.owner_id == owner_id, Account.kind == kind
        )
    )
    if account is None:
        account = Account(
            owner_type=owner_type,
            owner_id=owner_id,
            kind=kind,
            non_negative=non_negative,
            name=name,
            posted=0,
            pending_out=0,
        )
        session.add(account)
        session.flush()
    return account


def find_account(session: Session, owner_type: str, owner_id: int, kind: str) -> Account | None:
    return session.scalar(
        select(Account).where(
            Account.owner_type == owner_type, Account.owner_id == owner_id, Account.kind == kind
        )
    )


def lock_accounts(session: Session, *accounts: Account) -> None:
    """Lock accounts FOR UPDATE in ascending id order and refresh their cached balances."""
    ids = sorted({a.id for a in accounts})
    if not ids:
        return
    session.flush()
    session.execute(
        select(Account)
        .where(Account.id.in_(ids))
        .order_by(Account.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalars().all()


def balance(account: Account) -> Balance:
    """The cached balance (kept exact under row locks)."""
    return Balance(posted=account.posted, pending=account.pending_out)


def _check_amount(amount) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise LedgerError(f"amounts are integer pence, got {type(amount).__name__}")
    if amount <= 0:
        raise LedgerError("amount must be more than zero pence", amount=amount)


def _check_can_spend(account: Account, amount: int) -> None:
    if account.non_negative and account.posted - account.pending_out < amount:
        raise InsufficientFunds(
            f"{account.name or 'the account'} has {account.posted - account.pending_out} pence available, "
            f"{amount} needed",
            account_id=account.id,
            available=account.posted - account.pending_out,
            needed=amount,
        )


# ---- idempotency ----------------------------------------------------------------------------


def _request_hash(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def claim_idempotency_key(session: Session, key: str, payload: dict) -> IdempotencyRecord | None:
    """Claim `key` for a request. Returns None if this caller now owns it (go ahead and do the
    work, then `settle_idempotency_key`), or the earlier record for a replay of the same request.

    The same key with a different payload raises IdempotencyConflict. Concurrent callers with
    one key serialise on its unique index: the losers wait, then see the winner's record.
    """
    wanted = _request_hash(payload)
    existing = session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.key == key))
    if existing is None:
        try:
            with session.begin_nested():
                session.add(IdempotencyRecord(key=key, request_hash=wanted))
            return None
        except IntegrityError:
            existing = session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.key == key))
    if existing.request_hash != wanted:
        raise IdempotencyConflict(
            f"idempotency key {key!r} was already used for a different request", key=key
        )
    return existing


def settle_idempotency_key(session: Session, key: str, result_type: str, result_id: int | None) -> None:
    record = session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.key == key))
    record.result_type = result_type
    record.result_id = result_id
    session.flush()


def _replayed(session: Session, record: IdempotencyRecord):
    model = {"transfer": Transfer, "hold": Hold}.get(record.result_type or "")
    return session.get(model, record.result_id) if model and record.result_id is not None else None


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
    _check_amount(amount)
    if debit.id == credit.id:
        raise LedgerError("a transfer needs two different accounts")
    if idempotency_key is not None:
        payload = {
            "op": "transfer",
            "debit": debit.id,
            "credit": credit.id,
            "amount": amount,
            "code": code,
            "reference": reference,
        }
        earlier = claim_idempotency_key(session, idempotency_key, payload)
        if earlier is not None:
            return _replayed(session, earlier)
    lock_accounts(session, debit, credit)
    _check_can_spend(debit, amount)
    row = _append_transfer(session, debit, credit, amount, code, reference, effective_date)
    if idempotency_key is not None:
        settle_idempotency_key(session, idempotency_key, "transfer", row.id)
    return row


def _append_transfer(
    session, debit, credit, amount, code, reference, effective_date, *, hold_id=None, reverses_id=None
) -> Transfer:
    ref_type, ref_id = reference if reference else (None, None)
    row = Transfer(
        debit_account_id=debit.id,
        credit_account_id=credit.id,
        amount=amount,
        code=code,
        reference_type=ref_type,
        reference_id=None if ref_id is None else str(ref_id),
        hold_id=hold_id,
        reverses_id=reverses_id,
        effective_date=effective_date or today(),
    )
    debit.posted -= amount
    credit.posted += amount
    session.add(row)
    session.flush()
    return row


def reverse(
    session: Session, original: Transfer, *, code: str = "reversal", effective_date: date | None = None
) -> Transfer:
    """Correct a transfer with a new, opposite transfer (never an edit). A transfer is reversed once."""
    debit, credit = original.credit_account, original.debit_account
    lock_accounts(session, debit, credit)
    if session.scalar(select(Transfer.id).where(Transfer.reverses_id == original.id)) is not None:
        raise AlreadyReversed(f"transfer {original.id} was already reversed", transfer_id=original.id)
    _check_can_spend(debit, original.amount)
    try:
        with session.begin_nested():
            return _append_transfer(
                session,
                debit,
                credit,
                original.amount,
                code,
                (original.reference_type, original.reference_id) if original.reference_type else None,
                effective_date,
                reverses_id=original.id,
            )
    except IntegrityError:
        raise AlreadyReversed(
            f"transfer {original.id} was already reversed", transfer_id=original.id
        ) from None


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
    _check_amount(amount)
    if debit.id == credit.id:
        raise LedgerError("a hold needs two different accounts")
    if idempotency_key is not None:
        payload = {
            "op": "hold",
            "debit": debit.id,
            "credit": credit.id,
            "amount": amount,
            "code": code,
            "reference": reference,
        }
        earlier = claim_idempotency_key(session, idempotency_key, payload)
        if earlier is not None:
            return _replayed(session, earlier)
    lock_accounts(session, debit, credit)
    _check_can_spend(debit, amount)
    ref_type, ref_id = reference if reference else (None, None)
    hold = Hold(
        debit_account_id=debit.id,
        credit_account_id=credit.id,
        amount=amount,
        code=code,
        reference_type=ref_type,
        reference_id=None if ref_id is None else str(ref_id),
        effective_date=effective_date or today(),
    )
    debit.pending_out += amount
    session.add(hold)
    session.flush()
    if idempotency_key is not None:
        settle_idempotency_key(session, idempotency_key, "hold", hold.id)
    return hold


def _resolve(session: Session, hold: Hold, outcome: str, posted_amount: int) -> HoldResolution:
    lock_accounts(session, hold.debit_account, hold.credit_account)
    session.refresh(hold, ["resolution"])
    if hold.resolution is not None:
        raise HoldAlreadyResolved(f"hold {hold.id} was already {hold.resolution.outcome}", hold_id=hold.id)
    try:
        with session.begin_nested():
            resolution = HoldResolution(hold=hold, outcome=outcome, posted_amount=posted_amount)
            session.add(resolution)
    except IntegrityError:  # the unique constraint is the guarantee; the check above is the courtesy
        raise HoldAlreadyResolved(f"hold {hold.id} was already resolved", hold_id=hold.id) from None
    hold.debit_account.pending_out -= hold.amount
    return resolution


def post_hold(
    session: Session,
    hold: Hold,
    amount: int | None = None,
    *,
    code: str = "post",
    effective_date: date | None = None,
) -> Transfer | None:
    """Post all of a hold, or part of it (the rest is released). Each hold is resolved once.

    Returns the posted transfer, or None when `amount` is 0 (everything released).
    """
    amount = hold.amount if amount is None else amount
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 <= amount <= hold.amount:
        raise LedgerError(f"can post 0 to {hold.amount} pence of hold {hold.id}, not {amount}")
    _resolve(session, hold, "posted" if amount else "voided", amount)
    if amount == 0:
        session.flush()
        return None
    return _append_transfer(
        session,
        hold.debit_account,
        hold.credit_account,
        amount,
        code,
        (hold.reference_type, hold.reference_id) if hold.reference_type else None,
        effective_date,
        hold_id=hold.id,
    )


def void_hold(session: Session, hold: Hold) -> HoldResolution:
    """Release a hold entirely; nothing moves."""
    resolution = _resolve(session, hold, "voided", 0)
    session.flush()
    return resolution


# ---- reading ------------------------------------------------------------------------------


def derived_balance(session: Session, account: Account, *, as_of: date | None = None) -> Balance:
    """The balance recomputed from transfers (and, without `as_of`, pending holds)."""
    credits = select(func.coalesce(func.sum(Transfer.amount), 0)).where(
        Transfer.credit_account_id == account.id
    )
    debits = select(func.coalesce(func.sum(Transfer.amount), 0)).where(
        Transfer.debit_account_id == account.id
    )
    if as_of is not None:
        credits = credits.where(Transfer.effective_date <= as_of)
        debits = debits.where(Transfer.effective_date <= as_of)
    posted = session.scalar(credits) - session.scalar(debits)
    pending = 0
    if as_of is None:
        pending = session.scalar(
            select(func.coalesce(func.sum(Hold.amount), 0))
            .outerjoin(HoldResolution, HoldResolution.hold_id == Hold.id)
            .where(Hold.debit_account_id == account.id, HoldResolution.id.is_(None))
        )
    return Balance(posted=int(posted), pending=int(pending))


def balance_as_of(session: Session, account: Account, day: date) -> int:
    """Posted balance at the end of business date `day`, for statements."""
    return derived_balance(session, account, as_of=day).posted


def transfers_for(session: Session, account: Account, start: date | None = None, end: date | None = None):
    """Transfers touching `account`, oldest first, optionally within [start, end]."""
    query = select(Transfer).where(
        (Transfer.debit_account_id == account.id) | (Transfer.credit_account_id == account.id)
    )
    if start is not None:
        query = query.where(Transfer.effective_date >= start)
    if end is not None:
        query = query.where(Transfer.effective_date <= end)
    return session.scalars(query.order_by(Transfer.effective_date, Transfer.id)).all()


def reconcile(session: Session) -> list[str]:
    """Check the ledger: every cached balance equals its derived balance, protected accounts are
    not negative, and all balances sum to zero. Returns the problems found (empty when sound)."""
    problems = []
    credits = dict(
        session.execute(
            select(Transfer.credit_account_id, func.sum(Transfer.amount)).group_by(Transfer.credit_account_id)
        ).all()
    )
    debits = dict(
        session.execute(
            select(Transfer.debit_account_id, func.sum(Transfer.amount)).group_by(Transfer.debit_account_id)
        ).all()
    )
    pending = dict(
        session.execute(
            select(Hold.debit_account_id, func.sum(Hold.amount))
            .outerjoin(HoldResolution, HoldResolution.hold_id == Hold.id)
            .where(HoldResolution.id.is_(None))
            .group_by(Hold.debit_account_id)
        ).all()
    )
    total = 0
    for account in session.scalars(select(Account).execution_options(populate_existing=True)):
        posted = int(credits.get(account.id, 0)) - int(debits.get(account.id, 0))
        held = int(pending.get(account.id, 0))
        total += account.posted
        if account.posted != posted:
            problems.append(f"account {account.id}: cached posted {account.posted} != derived {posted}")
        if account.pending_out != held:
            problems.append(f"account {account.id}: cached pending {account.pending_out} != derived {held}")
        if account.non_negative and posted - held < 0:
            problems.append(f"account {account.id}: protected account below zero ({posted - held})")
    if total != 0:
        problems.append(f"ledger does not sum to zero: {total}")
    return problems
