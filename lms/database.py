"""Engine-level settings that differ by database, and small helpers shared by services."""

import time
from datetime import UTC, datetime

from sqlalchemy import bindparam, event, exc, func, or_, text
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
        # SQLite's own lower() folds ASCII letters only; PostgreSQL's, like Python's, folds every letter. The
        # statements that compare lower(name) with Python's str.lower() (@mentions, e-mail look-ups, people and
        # roster search) then missed "Ölga" on SQLite. No index is built on lower(), so replacing it is safe.
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


def _lower(value):
    return value.lower() if isinstance(value, str) else value


# A pooled connection idle longer than this is checked before use; see ping_when_idle.
PING_AFTER_IDLE_SECONDS = 1.0


def ping_when_idle(engine):
    """Check a pooled connection before a request uses it, but only when it sat idle: after a database
    restart the app then reconnects by itself, as with SQLAlchemy's pool_pre_ping, without pool_pre_ping's
    round trip on every request (a third of a millisecond per page measured on PostgreSQL). A connection
    used within the last second is used as it is; were the database gone in between, that one request
    fails (503) and SQLAlchemy discards every pooled connection. SQLite is a file: nothing to reconnect."""
    if engine.dialect.name == "sqlite":
        return

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _remember_last_use(dbapi_connection, connection_record):
        connection_record.info["lms.last_used"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, connection_record, connection_proxy):
        if time.monotonic() - connection_record.info.get("lms.last_used", 0.0) < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # any failure: the pool replaces the connection (up to three tries)
            raise exc.DisconnectionError() from error


def autocommit_reads(view):
    """Marks a GET view whose requests need no transaction: they read, and each write they make stands alone,
    right even if the next one fails (a read mark; a lesson's opened times, then its resume pointer). On PostgreSQL
    such requests run in autocommit mode, which saves the BEGIN and ROLLBACK round trips every request
    otherwise pays: a quarter of a page's time there, measured in-process. Each statement still reads
    committed data, as under the default READ COMMITTED. Never mark a view whose writes must stand or fall
    together, or that locks rows or uses savepoints."""
    view.autocommit_reads = True
    return view


def run_marked_reads_in_autocommit(app):
    from flask import request

    from lms.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return  # SQLite begins a transaction only before a write anyway

    @app.before_request
    def _autocommit_marked_reads():
        view = app.view_functions.get(request.endpoint)
        if (request.method in ("GET", "HEAD") and getattr(view, "autocommit_reads", False)
                and not db.session().in_transaction()):  # fmt: skip
            # The option applies to the connection the session takes now, for its first transaction.
            db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            request.environ["lms.autocommit"] = True

    @app.teardown_request
    def _end_autocommit(error=None):
        # Hand the connection back (the pool restores its default isolation), even where the session
        # outlives the request (a shell, or tests holding one app context around several requests).
        if request.environ.pop("lms.autocommit", False):
            db.session.rollback()


def contains_text(column, words):
    """A case-insensitive "contains" condition that takes `words` literally: % and _ are not wildcards (a search
    for "_" must not match everyone)."""
    escaped = words.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")


def starts_a_word(column, words):
    """Like contains_text, but `words` must begin the text or one of its words (after a space or a comma): in a
    list such as "negotiation, go, postgres", "go" and "negot" find it, "tion" does not."""
    escaped = words.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    lowered = func.lower(column)
    return or_(*(lowered.like(pattern, escape="\\") for pattern in (f"{escaped}%", f"% {escaped}%", f"%,{escaped}%")))


def utcnow():
    """Naive UTC timestamp: stored the same way on SQLite and PostgreSQL."""
    return datetime.now(UTC).replace(tzinfo=None)


def is_postgres():
    from lms.extensions import db

    return db.engine.dialect.name == "postgresql"


def rows(statement, params=None):
    """The result of a select of columns (not of ORM entities), run on the session's connection: plain rows,
    as Session.execute would return for it, without the ORM's work around each statement, which cost more
    than the small selects pages run (48 µs through the session, 21 µs through its connection, measured on
    SQLite). Pending changes are flushed first, as Session.execute does; the transaction is the session's.

    To loop over many rows, take .all() first: iterating the result fetches and processes one row at a time
    through SQLAlchemy, which cost 40 µs more for a learner's 100 progress rows."""
    from lms.extensions import db

    session = db.session()
    if session.autoflush:
        session.flush()
    return session.connection().execute(statement, params or {})


def upsert(table, columns, conflict, update=None, returning=()):
    """INSERT ... ON CONFLICT for the upserts run on page views and heartbeats, as SQL text that SQLAlchemy
    caches like any other statement. Its SQLite and PostgreSQL insert constructs opt out of the statement
    cache (sqlalchemy#10445), so every run compiled the statement anew: 0.88 ms against 0.13 ms measured on
    SQLite. Both databases read the same SQL.

    Values are bound by column name with the column's type. `update` maps a column to its new value on
    conflict (on the `conflict` columns' unique constraint), written in SQL where `excluded.<column>` is the
    value this statement tried to insert; without it a conflict does nothing (with no `conflict` columns: a
    conflict on any unique constraint). Build each statement once (functools.cache) and pass the values when run."""
    quote = '"{}"'.format
    sql = (f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, columns))}) "
           f"VALUES ({', '.join(':' + name for name in columns)}) ON CONFLICT ")
    if conflict:
        sql += f"({', '.join(map(quote, conflict))}) "
    sql += ("DO UPDATE SET " + ", ".join(f"{quote(name)} = {value}" for name, value in update.items())
            if update else "DO NOTHING")  # fmt: skip
    if returning:
        sql += " RETURNING " + ", ".join(map(quote, returning))
    statement = text(sql).bindparams(*(bindparam(name, type_=table.c[name].type) for name in columns))
    return statement.columns(*(table.c[name] for name in returning)) if returning else statement
