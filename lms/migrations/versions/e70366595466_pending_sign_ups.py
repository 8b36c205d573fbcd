"""pending_sign_ups: a sign-up waits here until its e-mailed link is opened. The link used to carry the new
account itself, password hash included (signed, not encrypted), so anyone who saw the link could try to crack
the password offline; it now carries only a random token, whose SHA-256 is stored here.

Links sent before this upgrade stop working: their owners are asked to register again.

Revision ID: e70366595466
Revises: 9e4b2f7c1a63
Create Date: 2026-11-28 09:45:00

"""
import sqlalchemy as sa
from alembic import op

revision = "e70366595466"
down_revision = "9e4b2f7c1a63"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "pending_sign_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=80), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_sign_ups")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_pending_sign_ups_token_hash")),
    )
    op.create_index(op.f("ix_pending_sign_ups_created_at"), "pending_sign_ups", ["created_at"], unique=False)
    op.create_index(op.f("ix_pending_sign_ups_email"), "pending_sign_ups", ["email"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_pending_sign_ups_email"), table_name="pending_sign_ups")
    op.drop_index(op.f("ix_pending_sign_ups_created_at"), table_name="pending_sign_ups")
    op.drop_table("pending_sign_ups")
