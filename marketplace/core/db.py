"""The Flask-SQLAlchemy handle over `core.base.Base`, and SQLite connection settings."""

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.engine import Engine

from marketplace.core.base import NAMING_CONVENTION, Base  # noqa: F401

db = SQLAlchemy(model_class=Base)


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection, connection_record):
    """Let SQLAlchemy, not pysqlite, emit BEGIN, so savepoints and locking behave."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    # IMMEDIATE takes SQLite's write lock up front: read-check-write sequences (balances,
    # capacity) are then serialised, which is what row locks give us on PostgreSQL.
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")


UNMANAGED_TABLES: set[str] = set()
"""Tables made by DDL rather than by a model (a domain adds the name; tables named `<name>_...`,
such as an FTS5 table's shadow tables, count too). Alembic's comparison of models with the
database skips them, so `flask db migrate` never proposes dropping them."""


def is_managed_by_models(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's include_object: False for the UNMANAGED_TABLES found in the database."""
    if type_ != "table" or not reflected:
        return True
    return not any(name == table or name.startswith(table + "_") for table in UNMANAGED_TABLES)
