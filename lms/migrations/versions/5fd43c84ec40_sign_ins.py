"""sign_ins: one row per browser's sign-in, so logging out ends that sign-in (and any copy of its cookies)
instead of leaving a copied session or remember-me cookie valid until the next password change.

Every account gets one sign-in whose token is its current session_token: the cookies browsers already hold
carry that token, so nobody is logged out by the upgrade.

Revision ID: 5fd43c84ec40
Revises: a41c7e2d5f86
Create Date: 2026-11-28 08:39:14

"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "5fd43c84ec40"
down_revision = "a41c7e2d5f86"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sign_ins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("account_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sign_ins_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_ins")),
        sa.UniqueConstraint("token", name=op.f("uq_sign_ins_token")),
    )
    op.create_index(op.f("ix_sign_ins_created_at"), "sign_ins", ["created_at"], unique=False)
    op.create_index(op.f("ix_sign_ins_user_id"), "sign_ins", ["user_id"], unique=False)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    op.get_bind().execute(
        sa.text("INSERT INTO sign_ins (token, user_id, account_token, created_at) "
                "SELECT session_token, id, session_token, :now FROM users"),
        {"now": now},
    )


def downgrade():
    op.drop_index(op.f("ix_sign_ins_user_id"), table_name="sign_ins")
    op.drop_index(op.f("ix_sign_ins_created_at"), table_name="sign_ins")
    op.drop_table("sign_ins")
