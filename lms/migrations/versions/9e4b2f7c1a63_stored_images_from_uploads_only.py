"""Stored HTML keeps images only from uploads or https (lms.content.is_allowed_image_source): an image pointing
at another page of the site, e.g. a lesson, made every reader's browser open that page with their cookies, and
`/\\evil.example` passed as a local path. Such images lose their src attribute, as new text now does.

Revision ID: 9e4b2f7c1a63
Revises: 5fd43c84ec40
Create Date: 2026-11-28 09:10:00

"""
import html
import re

import sqlalchemy as sa
from alembic import op

revision = "9e4b2f7c1a63"
down_revision = "5fd43c84ec40"
branch_labels = None
depends_on = None

HTML_COLUMNS = (
    ("courses", "description_html"),
    ("lessons", "body_html"),
    ("peer_assignments", "prompt_html"),
    ("peer_submissions", "body_html"),
    ("peer_reviews", "comment_html"),
    ("peer_reviews", "reply_html"),
    ("discussion_posts", "body_html"),
)
_IMAGE = re.compile(r"<img\b[^>]*>")
_SOURCE = re.compile(r'\ssrc="([^"]*)"')


def without_foreign_images(text):
    from lms.content import is_allowed_image_source

    def fix(match):
        tag = match.group(0)
        source = _SOURCE.search(tag)
        if source is None or is_allowed_image_source(html.unescape(source.group(1))):
            return tag
        return tag.replace(source.group(0), "", 1)

    return _IMAGE.sub(fix, text)


def upgrade():
    connection = op.get_bind()
    for table, column in HTML_COLUMNS:
        rows = connection.execute(sa.text(f"SELECT id, {column} FROM {table} WHERE {column} LIKE '%<img%'")).all()
        for row_id, text in rows:
            fixed = without_foreign_images(text)
            if fixed != text:
                connection.execute(sa.text(f"UPDATE {table} SET {column} = :html WHERE id = :id"),
                                   {"html": fixed, "id": row_id})  # fmt: skip


def downgrade():
    pass  # what was taken out pointed at pages, not images
