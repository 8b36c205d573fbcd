"""Accounts blueprint. The user loader lives here: sessions carry a sign-in's token (one per browser), not the
user's id."""

from functools import cache

from flask_login import UserMixin, current_user
from sqlalchemy import and_, bindparam, func, select

from lms import database
from lms.auth.services import sign_in_lifetime
from lms.database import utcnow
from lms.extensions import db, login_manager
from lms.models.user import UserTraits


class SignedInUser(UserTraits, UserMixin):
    """Who is signed in, as current_user: the users row's columns (all but the password hash), the bell's
    unread count and whether they teach (are on any course's staff), as plain read-only values. The ORM User
    is not loaded for every request: reading the row through the session's connection costs a third of what
    the session's ORM load does (lms/database.rows).

    To change the signed-in user, or to link a new row to them, take current_account(): writing to this
    object raises, so a change can't be lost on a copy the database never sees."""

    def __init__(self, values):
        self.__dict__.update(values)

    def __setattr__(self, name, value):
        raise AttributeError(f"current_user is read-only: change current_account().{name} instead")

    def __repr__(self):
        return f"<SignedInUser {self.id}>"


def current_account():
    """The signed-in user as the ORM User, in this request's session (loaded once, then the session's
    identity map answers), for views and services that change them or link rows to them."""
    from lms.models import User

    return db.session.get(User, current_user.id)


@cache
def _signed_in_user_statement():
    """Built once: every request runs it, and a reused statement skips construction and cache-key work.
    The bell's unread count rides along with the user: one query per page instead of two. So does whether they
    are on any course's staff: a learner made co-instructor needs the header's Studio link too."""
    from lms.models import CourseStaff, Notification, SignIn, User

    unread = (
        select(func.count(Notification.id))
        .where(Notification.user_id == User.id, Notification.read_at.is_(None))
        .correlate(User)
        .scalar_subquery()
    )
    teaches = select(CourseStaff.user_id).where(CourseStaff.user_id == User.id).correlate(User).exists()
    columns = [column for column in User.__table__.c if column.key != "password_hash"]
    # The sign-in counts while it is younger than its lifetime and made since the account's last password change.
    return (
        select(*columns, unread.label("unread_notifications"), teaches.label("teaches"),
               SignIn.token.label("sign_in_token"))  # fmt: skip
        .select_from(SignIn)
        .join(User, and_(User.id == SignIn.user_id, User.session_token == SignIn.account_token))
        .where(SignIn.token == bindparam("token"), SignIn.created_at >= bindparam("not_before"))
    )


@login_manager.user_loader
def load_user(sign_in_token):
    not_before = utcnow() - sign_in_lifetime()
    row = database.rows(_signed_in_user_statement(), {"token": sign_in_token, "not_before": not_before}).first()
    if row is None or not row.active:
        return None
    return SignedInUser(row._mapping)
