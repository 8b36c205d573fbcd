"""The Alembic migrations build exactly the schema the models describe, search objects included,
on SQLite and on PostgreSQL, and downgrade cleanly."""

import re
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from lms.extensions import db
from tests.conftest import make_app

ENV_PY = Path(__file__).resolve().parent.parent / "lms" / "migrations" / "env.py"


def _include_object():
    """The same filter env.py gives autogenerate (read from its source: env.py only runs under Alembic)."""
    source = ENV_PY.read_text()
    namespace = {}
    start = source.index("SEARCH_OBJECTS =")
    end = source.index("def get_metadata")
    exec(source[start:end], namespace)  # noqa: S102 - our own file, the constants and one function
    return namespace["include_object"]


@pytest.fixture
def fresh_database(_schema, tmp_path):
    if _schema.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'migrated.sqlite'}"
        return
    name = f"lms_migrate_{uuid.uuid4().hex[:8]}"
    admin = create_engine(re.sub(r"/[^/]*$", "/postgres", _schema), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield re.sub(r"/[^/]*$", f"/{name}", _schema)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_migrations_match_the_models_and_downgrade(fresh_database, tmp_path):
    app = make_app(fresh_database, tmp_path / "instance")
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_object": _include_object(), "compare_type": True})
            differences = compare_metadata(context, db.metadata)
            assert differences == [], differences
            names = set(inspect(conn).get_table_names())
            assert "course_search" in names, "the catalog's full-text index is created by the migration"
            if conn.dialect.name == "sqlite":
                assert "discussion_fts" in names
            else:
                columns = {c["name"] for c in inspect(conn).get_columns("discussion_posts")}
                assert "search_vector" in columns
        downgrade(revision="base")
        with db.engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()

