"""Accounts blueprint. The user loader lives here: sessions carry the user's session_token, not the id."""

from sqlalchemy import select

from lms.extensions import db, login_manager


@login_manager.user_loader
def load_user(session_token):
    from lms.models import User

    user = db.session.scalar(select(User).where(User.session_token == session_token))
    if user is None or not user.active:
        return None
    return user
