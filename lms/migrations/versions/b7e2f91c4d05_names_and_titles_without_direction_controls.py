"""Stored names, headlines, titles and skills lose their direction controls (lms.text_rules), as new ones now do:
a right-to-left override in a thread title or a display name reversed the words shown around it, in
notifications ("X replied in <title>"), lists and page titles.

A text that held nothing else becomes "Member" (a name) or "Untitled" (a title) rather than blank. A course's
skill that becomes the same as another of its skills is dropped, as a duplicate typed in the form would be.

Revision ID: b7e2f91c4d05
Revises: c5d81e3f0a27
Create Date: 2026-11-28 12:10:00

"""
import re

import sqlalchemy as sa
from alembic import op

revision = "b7e2f91c4d05"
down_revision = "c5d81e3f0a27"
branch_labels = None
depends_on = None

# The same characters as lms.text_rules.DIRECTION_CONTROLS, written out: a migration keeps the rule it ran with.
DIRECTION_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_CONTROL = re.compile(f"[{DIRECTION_CONTROLS}]")
_BLANK_ENDS = re.compile(r"^[\s\u200b-\u200d\u2060\ufeff]+|[\s\u200b-\u200d\u2060\ufeff]+$")

# (table, column, what a text of nothing else becomes); "" where an empty value is allowed.
TEXT_COLUMNS = (
    ("users", "display_name", "Member"),
    ("users", "headline", ""),
    ("users", "skills", ""),
    ("courses", "title", "Untitled"),
    ("modules", "title", "Untitled"),
    ("lessons", "title", "Untitled"),
    ("discussion_threads", "title", "Untitled"),
    ("course_wishes", "title", "Untitled"),
    ("peer_rubric_criteria", "title", ""),
)


def cleaned(text, if_empty):
    return _BLANK_ENDS.sub("", _CONTROL.sub("", text)) or if_empty


def _holding_controls(column):
    """A WHERE clause matching rows whose column holds any direction control, with its bound values."""
    names = [f"c{i}" for i in range(len(DIRECTION_CONTROLS))]
    clause = " OR ".join(f"{column} LIKE :{name}" for name in names)
    return clause, {name: f"%{ch}%" for name, ch in zip(names, DIRECTION_CONTROLS, strict=True)}


def upgrade():
    connection = op.get_bind()
    changed_courses = set()
    for table, column, if_empty in TEXT_COLUMNS:
        clause, values = _holding_controls(column)
        course_id = "course_id" if table in ("modules", "lessons") else "NULL"
        rows = connection.execute(sa.text(f"SELECT id, {column}, {course_id} FROM {table} WHERE {clause}"), values)
        for row_id, text, course in rows.all():
            connection.execute(sa.text(f"UPDATE {table} SET {column} = :text WHERE id = :id"),
                               {"text": cleaned(text, if_empty), "id": row_id})  # fmt: skip
            if course is not None:
                changed_courses.add(course)

    clause, values = _holding_controls("name")
    skills = connection.execute(sa.text(f"SELECT course_id, name FROM course_skills WHERE {clause}"), values).all()
    for course, name in skills:
        key = {"course": course, "name": name}
        connection.execute(sa.text("DELETE FROM course_skills WHERE course_id = :course AND name = :name"), key)
        new_name = cleaned(name, "")
        taken = connection.execute(sa.text("SELECT 1 FROM course_skills WHERE course_id = :course AND name = :name"),
                                   {"course": course, "name": new_name}).first()  # fmt: skip
        if new_name and taken is None:
            connection.execute(sa.text("INSERT INTO course_skills (course_id, name) VALUES (:course, :name)"),
                               {"course": course, "name": new_name})  # fmt: skip

    # Each process keeps a course's syllabus (module and lesson titles) per syllabus_version (lms/syllabus.py).
    for course in changed_courses:
        connection.execute(sa.text("UPDATE courses SET syllabus_version = syllabus_version + 1 WHERE id = :id"),
                           {"id": course})  # fmt: skip


def downgrade():
    pass  # what was taken out only turned the text around it
