"""Statements that differ between PostgreSQL and SQLite, in plain SQLAlchemy.

Not in `core.db`, which imports Flask-SQLAlchemy: the ledger uses these and imports nothing
from Flask, so nothing here may either.
"""

from sqlalchemy import any_, bindparam, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session


def dialect_insert(session: Session, table):
    """INSERT with the dialect's ON CONFLICT support (PostgreSQL and SQLite both have it)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return pg_insert(table)
    if dialect == "sqlite":
        return sqlite_insert(table)
    raise NotImplementedError(f"we support PostgreSQL and SQLite, not {dialect}")


def bulk_insert(session: Session, table, rows: list[dict], *, returning_ids: bool = False) -> list[int]:
    """Insert many rows in one statement; with `returning_ids`, their new ids in row order.

    PostgreSQL: ids are drawn from the table's sequence first, then the rows go in by COPY (a
    multi-row VALUES list of thousands of placeholders costs more to send than to run, and
    arrays for INSERT ... SELECT FROM unnest are dumped item by item in Python, several times
    slower than COPY's rows). SQLite: the ids after the table's largest (the transaction holds
    the database's write lock, so no one else takes them; RETURNING in parameter order would
    insert row by row), then one executemany.
    """
    if not rows:
        return []
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        ids: list[int] = []
        if returning_ids:  # every SQLite transaction holds the write lock (BEGIN IMMEDIATE)
            after = session.scalar(select(func.coalesce(func.max(table.c.id), 0)))
            ids = list(range(after + 1, after + 1 + len(rows)))
            rows = [{**row, "id": new_id} for row, new_id in zip(rows, ids, strict=True)]
        session.execute(insert(table), rows)
        return ids
    ids: list[int] = []
    if returning_ids:
        ids = list(
            session.scalars(
                text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
                {"table": table.name, "n": len(rows)},
            )
        )
        rows = [{**row, "id": new_id} for row, new_id in zip(rows, ids, strict=True)]
    _copy(session, table.name, rows)
    return ids


def bulk_insert_new(session: Session, table, rows: list[dict]) -> int:
    """Insert many rows at once, skipping each that would break a unique constraint (ON CONFLICT
    DO NOTHING, so concurrent writers each insert a row once); returns how many were inserted.
    PostgreSQL: COPY into a scratch table, then one INSERT ... SELECT ... ON CONFLICT DO NOTHING;
    SQLite: one executemany."""
    if not rows:
        return 0
    if session.get_bind().dialect.name != "postgresql":  # sqlite3 sums an executemany's rowcount
        return session.execute(dialect_insert(session, table).on_conflict_do_nothing(), rows).rowcount
    names = _names(rows[0])
    scratch = f"new_{table.name}"
    session.execute(
        text(f'CREATE TEMPORARY TABLE "{scratch}" AS SELECT {names} FROM "{table.name}" WITH NO DATA')
    )
    _copy(session, scratch, rows)
    inserted = session.execute(
        text(f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM "{scratch}" ON CONFLICT DO NOTHING')
    ).rowcount
    session.execute(text(f'DROP TABLE "{scratch}"'))
    return inserted


def _names(columns) -> str:
    return ", ".join(f'"{name}"' for name in columns)


def _copy(session: Session, table_name: str, rows: list[dict]) -> None:
    """PostgreSQL's COPY table (columns) FROM STDIN, on the session's connection and transaction.
    A database error comes back as SQLAlchemy's (IntegrityError for a broken constraint, …)."""
    columns = list(rows[0])
    statement = f'COPY "{table_name}" ({_names(columns)}) FROM STDIN'
    connection = session.connection()
    dbapi = connection.dialect.dbapi
    cursor = connection.connection.driver_connection.cursor()
    try:
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([row[name] for name in columns])
    except dbapi.Error as err:
        raise DBAPIError.instance(statement, None, err, dbapi.Error) from err
    finally:
        cursor.close()


def id_in(session: Session, column, ids):
    """`column IN ids`; on PostgreSQL one array parameter (= ANY) instead of one placeholder per id."""
    ids = list(ids)
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, ids, type_=ARRAY(column.type)))
    return column.in_(ids)


def bulk_update(session: Session, table, column: str, values: dict[int, object]) -> None:
    """Set `column` of many rows, {id: value}, in one statement.

    PostgreSQL: one UPDATE … FROM unnest(ids, values) (two array parameters); SQLite: one
    executemany of UPDATE … WHERE id = ?.
    """
    if not values:
        return
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        statement = update(table).where(table.c.id == bindparam("_id")).values({column: bindparam("_value")})
        session.execute(statement, [{"_id": key, "_value": value} for key, value in values.items()])
        return
    id_type = table.c.id.type.compile(dialect=dialect)
    value_type = table.c[column].type.compile(dialect=dialect)
    session.execute(
        text(
            f'UPDATE "{table.name}" SET "{column}" = v.value '
            f"FROM unnest(CAST(:ids AS {id_type}[]), CAST(:values AS {value_type}[])) AS v(id, value) "
            f'WHERE "{table.name}".id = v.id'
        ),
        {"ids": list(values), "values": list(values.values())},
    )
