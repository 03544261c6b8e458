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
