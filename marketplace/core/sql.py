"""Statements that differ between PostgreSQL and SQLite, in plain SQLAlchemy.

Not in `core.db`, which imports Flask-SQLAlchemy: the ledger uses these and imports nothing
from Flask, so nothing here may either.
"""

from sqlalchemy import bindparam, insert, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
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

    PostgreSQL: ids are drawn from the table's sequence first, then one INSERT ... SELECT FROM
    unnest(arrays) carries every row in a handful of array parameters (a multi-row VALUES list of
    thousands of placeholders costs more to send than to run). SQLite: one executemany.
    """
    if not rows:
        return []
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        if returning_ids:
            return list(
                session.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
            )
        session.execute(insert(table), rows)
        return []
    ids: list[int] = []
    if returning_ids:
        ids = list(
            session.scalars(
                text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
                {"table": table.name, "n": len(rows)},
            )
        )
        rows = [{**row, "id": new_id} for row, new_id in zip(rows, ids, strict=True)]
    columns = list(rows[0])
    arrays = ", ".join(
        f"CAST(:c{i} AS {table.c[name].type.compile(dialect=dialect)}[])" for i, name in enumerate(columns)
    )
    params = {f"c{i}": [row[name] for row in rows] for i, name in enumerate(columns)}
    names = ", ".join(f'"{name}"' for name in columns)
    session.execute(text(f'INSERT INTO "{table.name}" ({names}) SELECT * FROM unnest({arrays})'), params)
    return ids


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
