"""Accounts blueprint. The user loader lives here: sessions carry the user's session_token, not the id."""

from sqlalchemy import func, select

from lms.extensions import db, login_manager


@login_manager.user_loader
def load_user(session_token):
    from lms.models import Notification, User

    # The bell's unread count rides along with the user: one query per page instead of two.
    unread = (
        select(func.count(Notification.id))
        .where(Notification.user_id == User.id, Notification.read_at.is_(None))
        .correlate(User)
        .scalar_subquery()
    )
    row = db.session.execute(select(User, unread).where(User.session_token == session_token)).first()
    if row is None or not row[0].active:
        return None
    user, user.unread_notifications = row
    return user
