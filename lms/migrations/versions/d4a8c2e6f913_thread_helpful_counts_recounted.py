"""A thread's helpful count (discussion_threads.vote_count, shown on the board and behind its "Most helpful" sort)
is counted again from its posts: votes on posts that were deleted or hidden before lms.discussion.services
took them out (counts_toward_thread) had stayed in it.

Revision ID: d4a8c2e6f913
Revises: b7e2f91c4d05
Create Date: 2026-11-28 12:20:00

"""
from alembic import op

revision = "d4a8c2e6f913"
down_revision = "b7e2f91c4d05"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "UPDATE discussion_threads SET vote_count = COALESCE((SELECT SUM(discussion_posts.vote_count) "
        "FROM discussion_posts WHERE discussion_posts.thread_id = discussion_threads.id "
        "AND discussion_posts.deleted_at IS NULL AND discussion_posts.hidden_at IS NULL), 0)"
    )


def downgrade():
    pass  # the old counts were wrong
