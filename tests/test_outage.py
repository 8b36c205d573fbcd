"""Database outage: stop a PostgreSQL server the test owns while the app runs -> friendly 503s;
start it again -> the app recovers by itself (lms.database.ping_when_idle), and nothing acknowledged is lost."""

import os
import shutil
import socket
import subprocess
import tempfile
import uuid

import pytest
from sqlalchemy import select, text

from lms.extensions import db
from lms.models import User
from tests.conftest import PASSWORD, make_app

pytestmark = pytest.mark.skipif(
    shutil.which("pg_createcluster") is None or os.geteuid() != 0,
    reason="needs Debian's postgresql-common tools and root to own a throwaway cluster",
)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg(*args):
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", *args], check=True, capture_output=True)


@pytest.fixture
def own_postgres():
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    name = f"outage{uuid.uuid4().hex[:6]}"
    port = _free_port()
    data_dir = tempfile.mkdtemp(prefix="lms-outage-")
    shutil.chown(data_dir, "postgres", "postgres")
    subprocess.run(
        ["pg_createcluster", version, name, "-p", str(port), "-d", data_dir, "--",
         "--auth-host=trust", "--auth-local=trust"],
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        _pg(version, name, "start")
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-c", "CREATE DATABASE lms"],
                       check=True, capture_output=True)  # fmt: skip
        yield {
            "url": f"postgresql+psycopg://postgres@127.0.0.1:{port}/lms",
            "stop": lambda: _pg(version, name, "stop", "-m", "fast"),
            "start": lambda: _pg(version, name, "start"),
        }
    finally:
        subprocess.run(["pg_dropcluster", "--stop", version, name], capture_output=True)
        shutil.rmtree(data_dir, ignore_errors=True)


def test_outage_gives_503_and_recovers_without_restart(own_postgres, tmp_path):
    app = make_app(own_postgres["url"], tmp_path / "instance")
    client = app.test_client()
    with app.app_context():
        db.create_all()
        from lms.auth.services import create_user

        create_user("lena@example.com", "Lena", PASSWORD)
        db.session.commit()

    assert client.get("/healthz").status_code == 200
    assert client.post("/auth/login", data={"email": "lena@example.com", "password": PASSWORD}).status_code == 302
    assert client.post("/auth/profile", data={"display_name": "Lena Saved", "timezone": "UTC",
                       "weekly_goal_minutes": "45", "email_preference": "never"}).status_code == 302  # fmt: skip

    own_postgres["stop"]()
    down = client.get("/healthz")
    assert down.status_code == 503 and down.get_json() == {"status": "unavailable"}
    page = client.get("/auth/profile")
    assert page.status_code == 503
    assert "Temporarily unavailable" in page.get_data(as_text=True)
    assert "Traceback" not in page.get_data(as_text=True)

    own_postgres["start"]()
    assert client.get("/healthz").status_code == 200, "recovers on its own, no restart"
    profile = client.get("/auth/profile")
    assert profile.status_code == 200, "the session survived the outage"
    assert "Lena Saved" in profile.get_data(as_text=True), "what was acknowledged before the outage is kept"
    with app.app_context():
        assert db.session.scalar(select(User.weekly_goal_minutes).where(User.email == "lena@example.com")) == 45
        db.session.execute(text("SELECT 1"))
        db.session.remove()
        db.engine.dispose()


def test_a_connection_cut_while_idle_is_replaced_before_use(own_postgres, tmp_path, monkeypatch):
    """Pooled connections are checked only after sitting idle (lms.database.ping_when_idle): one the server
    dropped meanwhile is replaced unnoticed. One used a moment ago is not checked: if the server dropped it
    in that moment, that request gets the 503 and the pool starts afresh."""
    from sqlalchemy import create_engine

    import lms.database

    app = make_app(own_postgres["url"], tmp_path / "instance")
    client = app.test_client()
    admin = create_engine(own_postgres["url"], isolation_level="AUTOCOMMIT")

    def server_drops_app_connections():
        with admin.connect() as conn:
            dropped = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                        "WHERE datname = 'lms' AND pid <> pg_backend_pid()")).scalar()  # fmt: skip
        assert dropped >= 1

    try:
        assert client.get("/healthz").status_code == 200
        server_drops_app_connections()
        monkeypatch.setattr(lms.database, "PING_AFTER_IDLE_SECONDS", 0.0)  # every connection counts as idle
        assert client.get("/healthz").status_code == 200, "the dead connection was replaced before use"

        server_drops_app_connections()
        monkeypatch.setattr(lms.database, "PING_AFTER_IDLE_SECONDS", 3600.0)  # used a moment ago
        assert client.get("/healthz").status_code == 503
        assert client.get("/healthz").status_code == 200, "the pool started afresh after the failure"
    finally:
        admin.dispose()
        with app.app_context():
            db.engine.dispose()
