"""Stored HTML shows code as written: the Markdown renderer escaped the text inside <code> and <pre> a second
time (bleach's linkify pass over already cleaned HTML), so `print("hi")` read `print(&quot;hi&quot;)`. Every
stored HTML column gets that one extra escape undone inside code; lms/content.py renders new text right.

Undoing it turns `&amp;` back into `&` in the text of code elements only: what was `&amp;lt;` becomes `&lt;`,
still an entity, so no markup can appear that was not there before.

Revision ID: 7d2a4c1e9b30
Revises: 3c9e51a0d2f4
Create Date: 2026-11-28 07:00:00

"""
import re

import sqlalchemy as sa
from alembic import op

revision = "7d2a4c1e9b30"
down_revision = "3c9e51a0d2f4"
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
_CODE_ELEMENT = re.compile(r"(<(pre|code)\b[^>]*>)(.*?)(</\2>)", re.S)
_TAG = re.compile(r"(<[^>]*>)")


def unescape_code_once(html):
    """`html` with one level of escaping taken off the text (not the tags) inside its <pre> and <code> elements."""

    def fix(match):
        inner = "".join(part if part.startswith("<") else part.replace("&amp;", "&")
                        for part in _TAG.split(match.group(3)))  # fmt: skip
        return match.group(1) + inner + match.group(4)

    return _CODE_ELEMENT.sub(fix, html)


def upgrade():
    conn = op.get_bind()
    for table_name, column_name in HTML_COLUMNS:
        table = sa.table(table_name, sa.column("id", sa.Integer), sa.column(column_name, sa.Text))
        column = table.c[column_name]
        rows = conn.execute(sa.select(table.c.id, column).where(column.like("%<code%") | column.like("%<pre%"))).all()
        for row_id, html in rows:
            fixed = unescape_code_once(html)
            if fixed != html:
                conn.execute(sa.update(table).where(table.c.id == row_id).values({column_name: fixed}))


def downgrade():
    pass  # the doubled escaping was a bug: nothing to restore
