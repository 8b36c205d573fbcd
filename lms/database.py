"""Engine-level settings that differ by database, and small helpers shared by services."""

from datetime import UTC, datetime

from sqlalchemy import event
from sqlalchemy.engine import Engine

_configured = False


def configure_engine_events():
    """SQLite: WAL for concurrent readers and enforced foreign keys, on every new connection."""
    global _configured
    if _configured:
        return
    _configured = True

    @event.listens_for(Engine, "connect")
    def _sqlite_pragmas(dbapi_connection, connection_record):
        module = type(dbapi_connection).__module__
        if not module.startswith("sqlite3"):
            return
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


def utcnow():
    """Naive UTC timestamp: stored the same way on SQLite and PostgreSQL."""
    return datetime.now(UTC).replace(tzinfo=None)


def is_postgres():
    from lms.extensions import db

    return db.engine.dialect.name == "postgresql"


def insert_for_dialect(model):
    """INSERT that supports ON CONFLICT (upserts) for the database in use; SQLite and PostgreSQL share it."""
    from lms.extensions import db

    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)
