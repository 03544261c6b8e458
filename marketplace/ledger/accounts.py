"""Accounts: opening, finding and locking them, and the cached balances kept on their rows.

Locking: each operation locks the accounts it touches with SELECT ... FOR UPDATE in ascending
id order, and works on the rows it read under the lock (on SQLite every transaction already
holds the database's write lock: BEGIN IMMEDIATE, see core.db). A caller that moves money on
several accounts in one transaction should call `lock_accounts` for all of them first, so two
such transactions cannot deadlock.
"""

from sqlalchemy import BigInteger, any_, bindparam, case, event, inspect, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from marketplace.core.clock import utcnow
from marketplace.core.sql import dialect_insert
from marketplace.ledger.checks import check_text
from marketplace.ledger.errors import LedgerError
from marketplace.ledger.models import Account
from marketplace.ledger.reading import Balance


def open_account(
    session: Session, owner_type: str, owner_id: int, kind: str, *, non_negative: bool = False, name: str = ""
) -> Account:
    """The account for (owner, kind), created on first use; safe when two requests race to open it.

    Accounts are never deleted (models refuse it). An existing account is returned as it is:
    `non_negative` and `name` only apply when it is created.
    """
    check_text("owner_type", owner_type, 40)
    check_text("kind", kind, 40)
    account = find_account(session, owner_type, owner_id, kind)
    if account is None:
        session.execute(
            dialect_insert(session, Account.__table__)
            .values(
                owner_type=owner_type,
                owner_id=owner_id,
                kind=kind,
                non_negative=non_negative,
                name=name,
                posted=0,
                pending_out=0,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["owner_type", "owner_id", "kind"])
        )
        account = find_account(session, owner_type, owner_id, kind)
    return account


def find_account(session: Session, owner_type: str, owner_id: int, kind: str) -> Account | None:
    return session.scalar(
        select(Account).where(
            Account.owner_type == owner_type, Account.owner_id == owner_id, Account.kind == kind
        )
    )


def account_id(account: Account) -> int:
    """An account's id, read from its identity: no SELECT for an object expired by a commit."""
    identity = inspect(account).identity
    if identity is None:
        raise LedgerError("accounts must be opened (flushed) before money moves", field="account")
    return identity[0]


def lock_accounts(session: Session, *accounts: Account) -> list[Account]:
    """Lock accounts FOR UPDATE in ascending id order and refresh their cached balances.

    Returns this session's instances in the order given, freshly read under the lock; they are
    the very objects the caller holds whenever those belong to this session.
    """
    return lock_ids(session, *(account_id(a) for a in accounts))


def _id_in(session: Session, column, ids: list[int]):
    """`column IN ids`; on PostgreSQL one array parameter (= ANY) instead of one placeholder per id."""
    if len(ids) > 16 and session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("ids", list(ids), type_=ARRAY(BigInteger)))
    return column.in_(ids)


def lock_ids(session: Session, *ids: int, shared: tuple[int, ...] = ()) -> list[Account]:
    """`lock_accounts` by account id: the rows, locked in id order, returned in the order asked.

    Ids in `shared` (and not asked for otherwise) are locked FOR SHARE instead: the row cannot
    change until the transaction ends, but other transactions may share the lock (a hold's credit
    account, whose balance a hold does not move). Still one id order, one statement per run of ids
    locked the same way."""
    wanted = sorted(set(ids) | set(shared))
    if not wanted:
        return []
    session.flush()
    share_only = set(shared) - set(ids)
    runs: list[tuple[bool, list[int]]] = []
    for i in wanted:
        read = i in share_only
        if runs and runs[-1][0] == read:
            runs[-1][1].append(i)
        else:
            runs.append((read, [i]))
    found = {}
    for read, run_ids in runs:
        rows = session.scalars(
            select(Account)
            .where(_id_in(session, Account.id, run_ids))
            .order_by(Account.id)
            .with_for_update(read=read)
            .execution_options(populate_existing=True)
        ).all()
        found |= {row.id: row for row in rows}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise LedgerError(f"no ledger account {missing[0]}", field="account", account_id=missing[0])
    return [found[i] for i in (*ids, *shared)]


_ACCOUNT = Account.__table__
_SET_ONE = (
    update(_ACCOUNT)
    .where(_ACCOUNT.c.id == bindparam("a"))
    .values(posted=bindparam("a_posted"), pending_out=bindparam("a_pending"))
)
_SET_TWO = (
    update(_ACCOUNT)
    .where(_ACCOUNT.c.id.in_([bindparam("a"), bindparam("b")]))
    .values(
        posted=case((_ACCOUNT.c.id == bindparam("a"), bindparam("a_posted")), else_=bindparam("b_posted")),
        pending_out=case(
            (_ACCOUNT.c.id == bindparam("a"), bindparam("a_pending")), else_=bindparam("b_pending")
        ),
    )
)


def move_balances(
    session: Session, account: Account, posted: int = 0, pending: int = 0, other=None, other_posted=0
):
    """Change cached balances of locked accounts in one UPDATE (one round trip for both rows),
    and tell the session the new values so it neither re-reads nor re-writes them (rule 3)."""
    params = {
        "a": account.id,
        "a_posted": account.posted + posted,
        "a_pending": account.pending_out + pending,
    }
    if other is None:
        session.execute(_SET_ONE, params)
    else:
        params |= {"b": other.id, "b_posted": other.posted + other_posted, "b_pending": other.pending_out}
        session.execute(_SET_TWO, params)
        set_committed_value(other, "posted", params["b_posted"])
    set_committed_value(account, "posted", params["a_posted"])
    set_committed_value(account, "pending_out", params["a_pending"])


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back_balances(session, previous_transaction):
    """`move_balances` writes balances with Core, which a savepoint rollback would not expire (it
    expires only what the ORM changed): forget every account's cached balance on any rollback."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Account):
            session.expire(obj, ["posted", "pending_out"])


def balance(account: Account) -> Balance:
    """The cached balance (kept exact under row locks)."""
    return Balance(posted=account.posted, pending=account.pending_out)
