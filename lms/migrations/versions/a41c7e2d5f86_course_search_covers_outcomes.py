"""The catalog's full-text index covers a course's outcomes ("what you will be able to do") too: a search
for what a course teaches, such as "scope creep", found nothing when only the outcomes said it.

Rebuilds the search objects of lms/search.py and every course's row in them. SQLite's triggers are created
with IF NOT EXISTS, so the old ones are dropped first.

Revision ID: a41c7e2d5f86
Revises: 7d2a4c1e9b30
Create Date: 2026-11-28 07:20:00

"""
from alembic import op

revision = "a41c7e2d5f86"
down_revision = "7d2a4c1e9b30"
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = ("course_search_ai", "course_search_au", "course_search_ad", "course_search_skill_ai",
                   "course_search_skill_ad")  # fmt: skip


def upgrade():
    from lms.search import create_search_objects

    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        for trigger in SQLITE_TRIGGERS:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
        connection.exec_driver_sql("DROP TABLE IF EXISTS course_search")  # made again, and filled, below
        create_search_objects(connection)
    else:
        create_search_objects(connection)  # replaces the function and the triggers
        connection.exec_driver_sql("SELECT course_search_refresh(id) FROM courses")


def downgrade():
    pass  # the earlier revisions search the same index; it only holds more text now
