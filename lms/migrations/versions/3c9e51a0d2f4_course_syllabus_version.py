"""courses.syllabus_version: lets each app process cache a course's syllabus and see changes at once

Revision ID: 3c9e51a0d2f4
Revises: bf1f070095cd
Create Date: 2026-11-27 15:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = "3c9e51a0d2f4"
down_revision = "bf1f070095cd"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE on both databases: a batch "copy and move" on SQLite would drop the search triggers.
    op.add_column("courses", sa.Column("syllabus_version", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    op.drop_column("courses", "syllabus_version")  # SQLite >= 3.35 drops a column in place
