"""Backups: SQLite through its online backup API (consistent while the app writes), PostgreSQL through
pg_dump / pg_restore in the custom format."""

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    """A backup or restore could not be done; the message says why."""


def _sqlite_path(url):
    database = url.database
    if not database or database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(database)


def _open_sqlite_backup(source):
    """The backup file, read-only, after checking it is a whole Sparetime database.

    Opened by an escaped file: URI, so a name with "#" or "?" ("backup #2.db") names that file: unescaped, SQLite
    cut the name there and opened (creating) an empty database, which the restore then copied over the live one."""
    if source.stat().st_size == 0:
        raise BackupError(f"{source} is empty, not a backup.")
    try:
        backup = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{source} is not a SQLite backup: {error}") from error
    try:
        if backup.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("The backup file is damaged (integrity check failed).")
        tables = {name for (name,) in backup.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "users" not in tables:
            raise BackupError(f"{source} is a SQLite database but not a Sparetime backup (it has no users table).")
    except sqlite3.DatabaseError as error:
        backup.close()
        raise BackupError(f"{source} is not a SQLite backup: {error}") from error
    except BackupError:
        backup.close()
        raise
    return backup


def _libpq_url(url):
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def backup_database(database_url, target):
    """Write a consistent copy of the database to `target`; returns the path."""
    url = make_url(database_url)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        database = _sqlite_path(url)
        if not database.is_file():  # connecting would create it, and "back up" an empty database
            raise BackupError(f"There is no database at {database}: check LMS_INSTANCE_PATH or DATABASE_URL.")
        source = sqlite3.connect(database)
        destination = sqlite3.connect(target)
        try:
            # The online backup API copies a consistent snapshot even while other connections write.
            source.backup(destination)
        except sqlite3.DatabaseError as error:  # e.g. `target` is some other file already
            raise BackupError(f"Could not write the backup to {target} ({error}): choose a new file name.") from error
        finally:
            destination.close()
            source.close()
        return target
    if url.get_backend_name() == "postgresql":
        if shutil.which("pg_dump") is None:
            raise BackupError("pg_dump is not installed (Debian: apt-get install postgresql-client).")
        result = subprocess.run(
            ["pg_dump", "--format=custom", "--no-owner", f"--file={target}", _libpq_url(url)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise BackupError(f"pg_dump failed: {result.stderr.strip()[:500]}")
        return target
    raise BackupError(f"Backups are not supported for {url.get_backend_name()}.")


def restore_database(database_url, source):
    """Replace the database's contents with the backup in `source`."""
    url = make_url(database_url)
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"No backup file at {source}.")
    if url.get_backend_name() == "sqlite":
        backup = _open_sqlite_backup(source)
        destination = sqlite3.connect(_sqlite_path(url))
        try:
            backup.backup(destination)
        finally:
            destination.close()
            backup.close()
        return
    if url.get_backend_name() == "postgresql":
        if shutil.which("pg_restore") is None:
            raise BackupError("pg_restore is not installed (Debian: apt-get install postgresql-client).")
        result = subprocess.run(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
             f"--dbname={_libpq_url(url)}", str(source)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise BackupError(f"pg_restore failed: {result.stderr.strip()[:500]}")
        return
    raise BackupError(f"Restores are not supported for {url.get_backend_name()}.")
