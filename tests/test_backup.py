"""Backups taken while the app writes restore to a consistent database (SQLite and PostgreSQL)."""

import re
import sqlite3
import threading
import time
import uuid

import pytest
from sqlalchemy import create_engine, func, select, text

from lms.backup import BackupError, backup_database, restore_database
from lms.extensions import db
from lms.models import Notification, User


def _write_load(app, stop, written):
    """Each transaction adds a user and that user's notification: a consistent copy has equal counts."""
    with app.app_context():
        n = 0
        while not stop.is_set():
            n += 1
            user = User(email=f"load{n}-{uuid.uuid4().hex[:6]}@example.com", display_name=f"Load {n}", password_hash="x")
            db.session.add(user)
            db.session.flush()
            db.session.add(Notification(user_id=user.id, kind="test", message="hello"))
            db.session.commit()
            written.append(n)
        db.session.remove()


def _other_database(url):
    if url.startswith("sqlite"):
        return None
    name = f"lms_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(re.sub(r"/[^/]*$", "/postgres", url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return admin, name, re.sub(r"/[^/]*$", f"/{name}", url)


def test_backup_under_write_load_restores_consistently(app, tmp_path):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    stop, written = threading.Event(), []
    writer = threading.Thread(target=_write_load, args=(app, stop, written))
    writer.start()
    try:
        while len(written) < 20:
            time.sleep(0.02)
        backup = backup_database(url, tmp_path / "backup.db")
        seen = len(written)
        while len(written) < seen + 10:
            time.sleep(0.02)
    finally:
        stop.set()
        writer.join()

    other = _other_database(url)
    target_url = f"sqlite:///{tmp_path / 'restored.sqlite'}" if other is None else other[2]
    if other is None:
        engine = create_engine(target_url)
        with engine.begin() as conn:  # an empty file with the schema, as `flask db upgrade` would make
            db.metadata.create_all(conn)
        engine.dispose()
    try:
        restore_database(target_url, backup)
        engine = create_engine(target_url)
        with engine.connect() as conn:
            users = conn.execute(select(func.count(User.id)).where(User.email.like("load%"))).scalar()
            notes = conn.execute(select(func.count(Notification.id))).scalar()
            orphans = conn.execute(
                select(func.count(Notification.id)).where(~Notification.user_id.in_(select(User.id)))
            ).scalar()
        engine.dispose()
        assert users >= 20
        assert users == notes, "every committed user came with its notification"
        assert orphans == 0
        assert users < len(written), "the backup is a snapshot, not the final state"
    finally:
        if other is not None:
            admin, name, _ = other
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def test_restore_refuses_a_file_that_is_not_a_backup(app, tmp_path):
    bogus = tmp_path / "bogus.db"
    bogus.write_text("this is not a database")
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    try:
        restore_database(url, bogus)
    except BackupError as error:
        assert "not" in str(error)
    else:
        raise AssertionError("a bogus backup was accepted")


def test_backup_and_restore_commands(app, runner, tmp_path, make_user):
    make_user(email="keep@example.com")
    target = tmp_path / "cli-backup.db"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert target.exists() and target.stat().st_size > 0
    missing = runner.invoke(args=["restore", str(tmp_path / "nope.db"), "--yes"])
    assert missing.exit_code != 0


def _sqlite_database(path, *emails):
    """A small SQLite database of its own (whatever database the suite runs on), with a users table."""
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, email TEXT)")
        conn.executemany("INSERT INTO users (email) VALUES (?)", [(email,) for email in emails])
    return f"sqlite:///{path}"


def _emails(path):
    with sqlite3.connect(path) as conn:
        return {email for (email,) in conn.execute("SELECT email FROM users")}


def test_a_backup_whose_name_has_a_hash_restores_that_file(tmp_path):
    """`restore "backups/2027-01-05 #2.db"` restored an empty database over the live one and said it had worked:
    the unescaped file: URI ended the name at "#" and SQLite created "2027-01-05 " to read from."""
    live = tmp_path / "lms.sqlite"
    url = _sqlite_database(live, "keep@example.com")
    target = tmp_path / "2027-01-05 #2?.db"
    backup_database(url, target)
    _sqlite_database(live, "later@example.com")
    restore_database(url, target)
    assert _emails(live) == {"keep@example.com"}
    assert not (tmp_path / "2027-01-05 ").exists()


def test_restore_refuses_an_empty_or_foreign_sqlite_file(tmp_path):
    live = tmp_path / "lms.sqlite"
    url = _sqlite_database(live, "keep@example.com")
    empty, foreign = tmp_path / "empty.db", tmp_path / "notes.db"
    empty.touch()
    with sqlite3.connect(foreign) as other:
        other.execute("CREATE TABLE notes (body TEXT)")
    for bogus, why in ((empty, "is empty, not a backup"), (foreign, "not a Sparetime backup")):
        with pytest.raises(BackupError, match=why):
            restore_database(url, bogus)
    assert _emails(live) == {"keep@example.com"}


def test_backing_up_a_database_that_is_not_there_is_refused(tmp_path):
    with pytest.raises(BackupError, match="no database"):
        backup_database(f"sqlite:///{tmp_path / 'typo' / 'lms.sqlite'}", tmp_path / "backup.db")
    assert not (tmp_path / "typo").exists() and not (tmp_path / "backup.db").exists()



def test_a_backup_over_a_file_that_is_not_a_database_is_refused_with_a_message(tmp_path):
    """SQLite's backup API cannot write into another kind of file: a traceback, now a message."""
    database = tmp_path / "lms.sqlite"
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY)")
    notes = tmp_path / "notes.txt"
    notes.write_text("Not a database, but a file someone keeps. " * 100)
    with pytest.raises(BackupError, match="choose a new file name"):
        backup_database(f"sqlite:///{database}", notes)
    assert notes.read_text().startswith("Not a database")
