"""Learners who left a course before lms.discussion.events.left_course existed still had unread notifications
linking into its discussion, which the next daily or weekly digest would mail them. They go now, as they would have
when the learner left: unread ones only, and not those of the course's staff or of admins, who still moderate it.

Revision ID: c4e9a1d7b385
Revises: b8d2f4a6c031
Create Date: 2026-11-29 11:00:00

"""
import re

import sqlalchemy as sa
from alembic import op

revision = "c4e9a1d7b385"
down_revision = "b8d2f4a6c031"
branch_labels = None
depends_on = None

_BOARD = re.compile(r"/courses/([^/?#]+)/discussion/")


def upgrade():
    conn = op.get_bind()
    notifications = sa.table("notifications", sa.column("id"), sa.column("user_id"), sa.column("url"),
                             sa.column("read_at"))  # fmt: skip
    courses = sa.table("courses", sa.column("id"), sa.column("slug"))
    enrolments = sa.table("enrolments", sa.column("user_id"), sa.column("course_id"), sa.column("status"))
    staff = sa.table("course_staff", sa.column("user_id"), sa.column("course_id"))
    users = sa.table("users", sa.column("id"), sa.column("role"))
    unread = conn.execute(
        sa.select(notifications.c.id, notifications.c.user_id, notifications.c.url)
        .where(notifications.c.read_at.is_(None), notifications.c.url.like("%/discussion/%"))
    ).all()
    if not unread:
        return
    members = set(conn.execute(
        sa.select(enrolments.c.user_id, courses.c.slug).join(courses, courses.c.id == enrolments.c.course_id)
        .where(enrolments.c.status == "active")
        .union(sa.select(staff.c.user_id, courses.c.slug).join(courses, courses.c.id == staff.c.course_id))
    ).all())  # fmt: skip
    admins = set(conn.execute(sa.select(users.c.id).where(users.c.role == "admin")).scalars())
    gone = []
    for note_id, user_id, url in unread:
        match = _BOARD.search(url or "")
        if match and user_id not in admins and (user_id, match.group(1)) not in members:
            gone.append(note_id)
    for start in range(0, len(gone), 500):
        conn.execute(notifications.delete().where(notifications.c.id.in_(gone[start : start + 500])))


def downgrade():
    pass  # they were not to be sent
