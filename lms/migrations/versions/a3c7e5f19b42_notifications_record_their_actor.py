"""notifications.actor_id and actor_name: the person a notification names ("Maya replied in ..."), and the name as
written into it, so that deleting the account can put "Former member" in its place, as posts show.

Backfilled where the link says who: replies, mentions and new threads link to their post (its author), join
requests to their roster row (the learner); only when the message starts with that person's name as it is now (an
anonymous post, as peers were told of it, names nobody). Where that person's account is already gone, a discussion
notification's name gives way to "Former member" now. Connection and study-partner notices do not say in their link
whom they are about and stay as they were.

Revision ID: a3c7e5f19b42
Revises: d4a8c2e6f913
Create Date: 2026-11-29 10:00:00

"""
import re

import sqlalchemy as sa
from alembic import op

revision = "a3c7e5f19b42"
down_revision = "d4a8c2e6f913"
branch_labels = None
depends_on = None

# kind -> (what the link names, the table whose row it is, that row's person)
_LINKS = {
    "reply": (re.compile(r"/discussion/posts/(\d+)$"), "discussion_posts", "author_id"),
    "mention": (re.compile(r"/discussion/posts/(\d+)$"), "discussion_posts", "author_id"),
    "new_thread": (re.compile(r"/discussion/posts/(\d+)$"), "discussion_posts", "author_id"),
    "enrolment_request": (re.compile(r"#enrolment-(\d+)$"), "enrolments", "user_id"),
}


def upgrade():
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actor_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("actor_name", sa.String(length=80), server_default="", nullable=False))
        batch_op.create_index(batch_op.f("ix_notifications_actor_id"), ["actor_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_notifications_actor_id_users"), "users", ["actor_id"], ["id"],
                                    ondelete="SET NULL")  # fmt: skip
    _backfill(op.get_bind())


def _backfill(conn):
    notifications = sa.table("notifications", sa.column("id"), sa.column("kind"), sa.column("url"),
                             sa.column("message"), sa.column("actor_id"), sa.column("actor_name"))  # fmt: skip
    users = sa.table("users", sa.column("id"), sa.column("display_name"))
    rows = conn.execute(
        sa.select(notifications.c.id, notifications.c.kind, notifications.c.url, notifications.c.message)
        .where(notifications.c.kind.in_(list(_LINKS)))
    ).all()
    wanted = {}  # (table, person column) -> {row id: [(notification id, message)]}
    for note_id, kind, url, message in rows:
        pattern, table, person = _LINKS[kind]
        match = pattern.search(url or "")
        if match:
            wanted.setdefault((table, person), {}).setdefault(int(match.group(1)), []).append((note_id, message))
    updates, gone = [], []
    for (table, person), by_row in wanted.items():
        source = sa.table(table, sa.column("id"), sa.column(person))
        row_ids = list(by_row)
        for start in range(0, len(row_ids), 500):
            chunk = row_ids[start : start + 500]
            found = conn.execute(
                sa.select(source.c.id, users.c.id, users.c.display_name)
                .outerjoin(users, users.c.id == source.c[person])
                .where(source.c.id.in_(chunk))
            ).all()
            for row_id, user_id, name in found:
                for note_id, message in by_row[row_id]:
                    if user_id is None:
                        renamed = _former_member(message)
                        if renamed:
                            gone.append({"note_id": note_id, "message": renamed})
                    elif name and message.startswith(name):
                        updates.append({"note_id": note_id, "actor_id": user_id, "actor_name": name})
    by_id = notifications.c.id == sa.bindparam("note_id")
    if updates:
        conn.execute(notifications.update().where(by_id)
                     .values(actor_id=sa.bindparam("actor_id"), actor_name=sa.bindparam("actor_name")), updates)
    if gone:
        conn.execute(notifications.update().where(by_id).values(message=sa.bindparam("message")), gone)


# What follows the author's name in a discussion notification (lms.discussion.events.post_created).
_AFTER_NAME = (" replied in “", " mentioned you in “", " started “")


def _former_member(message):
    """A post whose author already deleted their account: the name its notifications wrote gives way now."""
    for words in _AFTER_NAME:
        at = message.find(words)
        if at > 0 and message[:at] != "Anonymous peer":
            return "Former member" + message[at:]
    return None


def downgrade():
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_notifications_actor_id_users"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_notifications_actor_id"))
        batch_op.drop_column("actor_name")
        batch_op.drop_column("actor_id")
