"""Fixtures: one database per test session (SQLite file or a throwaway PostgreSQL database), emptied
after every test; an app per test with its own instance folder (outbox, uploads); a client, a CLI runner,
a login helper, user factories and a SQL query counter.

Set TEST_DATABASE_URL (or DATABASE_URL) to a postgresql+psycopg:// URL to run everything on PostgreSQL:
a database named lms_test_<random> is created on that server and dropped at the end.
"""

import contextlib
import os
import re
import uuid

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text

from lms import create_app
from lms.extensions import db
from lms.mail import read_outbox
from tests import speedups

PASSWORD = "correct horse battery"


def _server_url():
    return os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = _server_url()
    if not url.startswith("postgresql"):
        path = tmp_path_factory.mktemp("db") / "test.sqlite"
        yield f"sqlite:///{path}"
        return
    name = f"lms_test_{uuid.uuid4().hex[:10]}"
    admin_url = re.sub(r"/[^/]*$", "/postgres", url)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield re.sub(r"/[^/]*$", f"/{name}", url)
    finally:
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(scope="session")
def _schema(database_url, tmp_path_factory):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True,
                      "INSTANCE_PATH": str(tmp_path_factory.mktemp("schema-instance"))})  # fmt: skip
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return database_url


class IsolatedClient(FlaskClient):
    """The tests keep one app context open, so `g` outlives a request: drop Flask-Login's cached user and
    Flask-WTF's signed CSRF token around each request, as a real server (a fresh context per request) would."""

    def open(self, *args, **kwargs):
        self._forget_request_state()
        try:
            return super().open(*args, **kwargs)
        finally:
            self._forget_request_state()

    @staticmethod
    def _forget_request_state():
        if has_app_context():
            g.pop("_login_user", None)
            g.pop("csrf_token", None)


def make_app(database_url, instance_path, **overrides):
    config = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "SECRET_KEY": "test-secret-key",
        "INSTANCE_PATH": str(instance_path),
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": "localhost",
    }
    config.update(overrides)
    app = create_app(config)
    app.test_client_class = IsolatedClient
    speedups.share_template_cache(app)
    return app


def empty_database():
    """Delete every row (children first) so the next test starts clean without re-creating tables.

    On PostgreSQL the ids start from 1 again, as after TRUNCATE ... RESTART IDENTITY; DELETE plus setval is
    used instead because TRUNCATE of every table costs about 150 ms (new files for each table), DELETE of a
    test's few rows about 15 ms."""
    statements = [f'DELETE FROM "{table.name}"' for table in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("; ".join(statements))  # one round trip
            conn.exec_driver_sql(
                "SELECT setval(c.oid, 1, false) FROM pg_class c "
                "WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace"
            )
        else:
            cursor = conn.connection.driver_connection.cursor()
            for statement in statements:
                cursor.execute(statement)
            cursor.close()


@pytest.fixture
def production_password_hashing(monkeypatch):
    """Passwords hashed with the production scrypt cost (the suite uses a cheap one, see tests/speedups.py)."""
    speedups.use_production_password_hashing(monkeypatch)


@pytest.fixture
def app_config():
    """Override in a test module (or parametrize) to change settings for its app."""
    return {}


@pytest.fixture
def app(_schema, tmp_path, app_config):
    app = make_app(_schema, tmp_path / "instance", **app_config)
    with app.app_context():
        yield app
        db.session.remove()
        empty_database()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def outbox(app):
    """Messages written to instance/outbox, oldest first."""
    return lambda: read_outbox(app.config["MAIL_OUTBOX"])


@pytest.fixture
def make_user(app):
    from lms.auth.services import create_user

    counter = {"n": 0}

    def factory(email=None, name=None, role="learner", password=PASSWORD, **fields):
        counter["n"] += 1
        user = create_user(email or f"user{counter['n']}@example.com", name or f"User {counter['n']}", password, role)
        for key, value in fields.items():
            setattr(user, key, value)
        db.session.commit()
        return user

    return factory


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, email="learner@example.com", password=PASSWORD, remember=False, follow_redirects=False):
        data = {"email": email, "password": password}
        if remember:
            data["remember"] = "y"
        return self._client.post("/auth/login", data=data, follow_redirects=follow_redirects)

    def logout(self):
        return self._client.post("/auth/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def login(client, make_user):
    """login(user) logs the test client in as that user (created with the test PASSWORD)."""

    def do_login(user, c=None):
        response = (c or client).post("/auth/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    return do_login


class QueryCounter:
    def __init__(self):
        self.statements = []

    @property
    def count(self):
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """with count_queries() as counter: ...; counter.count is the number of SQL statements run."""

    @contextlib.contextmanager
    def counting(fresh=True):
        counter = QueryCounter()
        if fresh:
            # As from an empty session, as a real request starts: the tests keep one app context, so objects loaded by
            # an earlier request or the set-up would otherwise hide a lazy load (a query per row) from the count.
            # Expired rather than removed, so the test can still read them afterwards.
            db.session.expire_all()

        def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith(("PRAGMA", "SAVEPOINT", "RELEASE")):
                counter.statements.append(statement)

        engine = db.engine
        event.listen(engine, "before_cursor_execute", before_cursor_execute)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", before_cursor_execute)

    return counting


# --- Real browser (Playwright driving Debian's Chromium; never `playwright install`) -----------------

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
SCREENSHOTS = os.path.join(os.path.dirname(__file__), "..", "test-artifacts", "screenshots")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


class LiveServer:
    def __init__(self, app):
        import threading

        from werkzeug.serving import make_server

        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self):
        self._server.shutdown()
        self._thread.join(timeout=5)


@pytest.fixture
def live_server(_schema, tmp_path):
    """The real app on 127.0.0.1 (a free port), with its own instance folder; data emptied afterwards."""
    app = make_app(_schema, tmp_path / "live-instance", SERVER_NAME=None)
    server = LiveServer(app)
    try:
        yield server
    finally:
        server.stop()
        with app.app_context():
            db.session.remove()
            empty_database()
            db.engine.dispose()


@pytest.fixture
def screenshot():
    """screenshot(page, name): save a full-page PNG under test-artifacts/screenshots/ to look at."""

    def take(page, name):
        os.makedirs(SCREENSHOTS, exist_ok=True)
        path = os.path.join(SCREENSHOTS, f"{name}.png")
        page.screenshot(path=path, full_page=True)
        return path

    return take
