"""In-app notifications (the bell) that may also go out by e-mail now or in a digest."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.database import utcnow
from lms.extensions import db


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(String(500))
    url: Mapped[str] = mapped_column(String(500), default="")
    # The person the message names ("Maya replied in ..."), and the name as written into it: when they delete their
    # account, lms.auth.deletion writes "Former member" in its place, as their posts show. Empty when the message
    # names nobody (an anonymous post, as peers see it, records no one).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    actor_name: Mapped[str] = mapped_column(String(80), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    # Set once the notification is settled for e-mail: sent (at once or in a digest), or never to be sent (the
    # user had e-mail off), so no digest sends or repeats it.
    emailed_at: Mapped[datetime | None]
