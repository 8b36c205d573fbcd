"""Studio dates saved before the forms kept them within the years 1970 to 2999 (lms.studio.services.in_date_range):
an enrolment window or module opening in year 1 or 9999 cannot be moved into a viewer's time zone, so every page
that showed it failed. Each is moved to the nearest date in range, which means the same for the course: a year-1
opening is long past either way, and a year-9999 closing is as far away.

Revision ID: e5b1c9d3a742
Revises: c4e9a1d7b385
Create Date: 2026-11-28 15:30:00

"""
from datetime import date, datetime

import sqlalchemy as sa
from alembic import op

revision = "e5b1c9d3a742"
down_revision = "c4e9a1d7b385"
branch_labels = None
depends_on = None

FIRST, LAST = datetime(1970, 1, 1), datetime(2999, 12, 31, 23, 59)


def upgrade():
    courses = sa.table("courses", sa.column("enrol_opens_at", sa.DateTime), sa.column("enrol_closes_at", sa.DateTime))
    modules = sa.table("modules", sa.column("opens_on", sa.Date))
    for column in (courses.c.enrol_opens_at, courses.c.enrol_closes_at):
        op.execute(courses.update().where(column < FIRST).values({column.name: FIRST}))
        op.execute(courses.update().where(column > LAST).values({column.name: LAST}))
    op.execute(modules.update().where(modules.c.opens_on < FIRST.date()).values(opens_on=FIRST.date()))
    op.execute(modules.update().where(modules.c.opens_on > LAST.date()).values(opens_on=date(2999, 12, 31)))


def downgrade():
    pass  # the dates out of range were typos, and are not kept
