"""audit_entries.actor_deleted: an entry without an actor was done either by the system (CLI, cron) or by a person
who has since deleted their account; the log showed "system" for both. It now shows "Former member" for the latter.

Backfill: every entry recorded so far without an actor is a person's. Each action the code audits is a person's
(staff decisions, reports, and account.delete, which a person does to themselves), so an entry without one lost
it when that person's account went.

Revision ID: b8d2f4a6c031
Revises: a3c7e5f19b42
Create Date: 2026-11-29 10:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = "b8d2f4a6c031"
down_revision = "a3c7e5f19b42"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actor_deleted", sa.Boolean(), server_default=sa.false(), nullable=False))
    entries = sa.table("audit_entries", sa.column("actor_id"), sa.column("actor_deleted"))
    op.execute(entries.update().where(entries.c.actor_id.is_(None)).values(actor_deleted=True))


def downgrade():
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_column("actor_deleted")
