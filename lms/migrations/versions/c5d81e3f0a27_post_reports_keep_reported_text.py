"""discussion_post_reports.reported_html: a report keeps the text that was reported, so moderators can still
judge it after its author edits or deletes the post (deleting clears a post's text).

Open reports get their post's text as it is now (nothing, for posts already deleted).

Revision ID: c5d81e3f0a27
Revises: e70366595466
Create Date: 2026-12-02 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = "c5d81e3f0a27"
down_revision = "e70366595466"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE on both databases, as for courses.syllabus_version.
    op.add_column("discussion_post_reports", sa.Column("reported_html", sa.Text(), server_default="", nullable=False))
    op.execute(
        "UPDATE discussion_post_reports SET reported_html = COALESCE((SELECT body_html FROM discussion_posts "
        "WHERE discussion_posts.id = discussion_post_reports.post_id), '')"
    )


def downgrade():
    op.drop_column("discussion_post_reports", "reported_html")
