"""Reading the books: balances derived from transfers, balances as of a date, statements of an
account, pending holds, and `reconcile()`, the check that the ledger is sound."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from marketplace.ledger.models import Account, Hold, HoldResolution, Transfer


@dataclass(frozen=True)
class Balance:
    posted: int
    pending: int

    @property
    def available(self) -> int:
        return self.posted - self.pending


def pending_holds(session: Session, account: Account) -> list[Hold]:
    """Holds on `account` (as debit) not yet posted or voided, oldest first."""
    return session.scalars(
        select(Hold)
        .outerjoin(HoldResolution, HoldResolution.hold_id == Hold.id)
        .where(Hold.debit_account_id == account.id, HoldResolution.id.is_(None))
        .order_by(Hold.id)
    ).all()


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
    not negative, all balances sum to zero, every resolved hold posted exactly what its resolution
    says (and no more than it held) and every reversal mirrors its original. Returns the problems
    found (empty when sound)."""
    problems = _check_balances(session)
    problems += _check_holds(session)
    problems += _check_reversals(session)
    return problems


# The audit queries, built once: reconcile() runs them often in tests and in nightly checks.
_CREDITS = select(Transfer.credit_account_id, func.sum(Transfer.amount)).group_by(Transfer.credit_account_id)
_DEBITS = select(Transfer.debit_account_id, func.sum(Transfer.amount)).group_by(Transfer.debit_account_id)
_PENDING = (
    select(Hold.debit_account_id, func.sum(Hold.amount))
    .outerjoin(HoldResolution, HoldResolution.hold_id == Hold.id)
    .where(HoldResolution.id.is_(None))
    .group_by(Hold.debit_account_id)
)
_ALL_ACCOUNTS = select(Account).execution_options(populate_existing=True)
_MISPOSTED_HOLDS = (
    select(Hold.id)
    .join(HoldResolution, HoldResolution.hold_id == Hold.id)
    .outerjoin(Transfer, Transfer.hold_id == Hold.id)
    .where(
        or_(
            HoldResolution.posted_amount > Hold.amount,
            and_(HoldResolution.outcome == "voided", HoldResolution.posted_amount != 0),
            and_(HoldResolution.outcome == "posted", HoldResolution.posted_amount == 0),
            and_(Transfer.id.is_(None), HoldResolution.posted_amount != 0),
            and_(
                Transfer.id.is_not(None),
                or_(
                    Transfer.amount != HoldResolution.posted_amount,
                    Transfer.debit_account_id != Hold.debit_account_id,
                    Transfer.credit_account_id != Hold.credit_account_id,
                ),
            ),
        )
    )
)
_EARLY_POSTINGS = (
    select(Transfer.id)
    .join(Hold, Transfer.hold_id == Hold.id)
    .outerjoin(HoldResolution, HoldResolution.hold_id == Hold.id)
    .where(HoldResolution.id.is_(None))
)
_ORIGINAL = aliased(Transfer, name="original")
_BAD_REVERSALS = (
    select(Transfer.id)
    .join(_ORIGINAL, Transfer.reverses_id == _ORIGINAL.id)
    .where(
        or_(
            Transfer.amount != _ORIGINAL.amount,
            Transfer.debit_account_id != _ORIGINAL.credit_account_id,
            Transfer.credit_account_id != _ORIGINAL.debit_account_id,
            _ORIGINAL.reverses_id.is_not(None),
        )
    )
)


def _check_balances(session: Session) -> list[str]:
    problems = []
    credits = dict(session.execute(_CREDITS).all())
    debits = dict(session.execute(_DEBITS).all())
    pending = dict(session.execute(_PENDING).all())
    total = 0
    for account in session.scalars(_ALL_ACCOUNTS):
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


def _check_holds(session: Session) -> list[str]:
    """Each resolved hold's transfer matches its resolution; no transfer posts a pending hold."""
    problems = [
        f"hold {i}: its posting does not match its resolution" for i in session.scalars(_MISPOSTED_HOLDS)
    ]
    problems += [
        f"transfer {i}: posts a hold that is still pending" for i in session.scalars(_EARLY_POSTINGS)
    ]
    return problems


def _check_reversals(session: Session) -> list[str]:
    return [
        f"transfer {i}: does not mirror the transfer it reverses" for i in session.scalars(_BAD_REVERSALS)
    ]
