"""Accounts blueprint. The user loader lives here: sessions carry the user's session_token, not the id."""

from functools import cache

from sqlalchemy import bindparam, func, select

from lms.extensions import db, login_manager


@cache
def _user_with_unread_count():
    """Built once: every request runs it, and a reused statement skips construction and cache-key work.
    The bell's unread count rides along with the user: one query per page instead of two."""
    from lms.models import Notification, User

    unread = (
        select(func.count(Notification.id))
        .where(Notification.user_id == User.id, Notification.read_at.is_(None))
        .correlate(User)
        .scalar_subquery()
    )
    return select(User, unread).where(User.session_token == bindparam("token"))


@login_manager.user_loader
def load_user(session_token):
    row = db.session.execute(_user_with_unread_count(), {"token": session_token}).first()
    if row is None or not row[0].active:
        return None
    user, user.unread_notifications = row
    return user
