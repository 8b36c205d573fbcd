"""Accounts: users with roles and profile, and the audit log of staff actions."""

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from lms.database import utcnow
from lms.extensions import db

ROLES = ("learner", "instructor", "admin")
EMAIL_PREFERENCES = ("immediately", "daily", "weekly", "never")


def new_session_token():
    return secrets.token_urlsafe(24)


class UserTraits:
    """What the users row tells about its user: shared by the ORM User and the read-only SignedInUser that
    pages see as current_user (lms/auth), so both answer alike."""

    def get_id(self):
        # Flask-Login keeps this in the session cookie and the remember-me cookie: the sign-in's token, one per
        # browser, so logging out there ends that browser's sign-in and no other.
        return self.sign_in_token

    @property
    def is_active(self):
        return self.active

    @property
    def is_admin(self):
        return self.role == "admin"

    @property
    def is_instructor(self):
        return self.role in ("instructor", "admin")

    @property
    def skill_list(self):
        return [s.strip() for s in self.skills.split(",") if s.strip()]


class User(UserTraits, UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('learner', 'instructor', 'admin')", name="role"),
        CheckConstraint("email_preference IN ('immediately', 'daily', 'weekly', 'never')", name="email_preference"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(255))
    # The account's current generation of sign-ins: replaced on password change or deactivation, which ends
    # every sign-in made before (a SignIn counts only while its account_token still matches).
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    role: Mapped[str] = mapped_column(String(20), default="learner")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    headline: Mapped[str] = mapped_column(String(120), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    skills: Mapped[str] = mapped_column(String(300), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    website: Mapped[str] = mapped_column(String(300), default="")
    profile_visible: Mapped[bool] = mapped_column(default=False)

    weekly_goal_minutes: Mapped[int] = mapped_column(default=60)
    email_preference: Mapped[str] = mapped_column(String(20), default="immediately")

    # The token of the sign-in being started in this request (auth.services.start_sign_in), for get_id().
    sign_in_token = None

    def set_password(self, password):
        self.password_hash = generate_password_hash(password, method="scrypt")
        self.session_token = new_session_token()

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)

    def end_sessions(self):
        self.session_token = new_session_token()

    def __repr__(self):
        return f"<User {self.id} {self.email}>"


class SignIn(db.Model):
    """One browser's sign-in: its token is what the session and remember-me cookies carry. Logging out deletes
    the row, so a copy of either cookie stops working too (a signed cookie can't be taken back, but what it
    points at can). A sign-in lasts at most auth.services.sign_in_lifetime() and only while account_token is
    the user's current session_token."""

    __tablename__ = "sign_ins"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    account_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class PendingSignUp(db.Model):
    """A sign-up waiting for its e-mailed link to be opened. The link carries a random token; only its SHA-256
    is stored, and the new account (with its password hash) stays here, never in the link."""

    __tablename__ = "pending_sign_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    used_at: Mapped[datetime | None]  # the link was opened: kept until it expires, to say so if opened again


class AuditEntry(db.Model):
    """Staff actions (role changes, moderation, removals, enrolment decisions) that admins can review."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for the system's own actions (CLI, cron), and for a person who has since deleted their account:
    # actor_deleted tells the two apart, so the log shows "Former member" rather than "system" for the latter.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    actor_deleted: Mapped[bool] = mapped_column(default=False, server_default=false())
    action: Mapped[str] = mapped_column(String(60), index=True)
    target_type: Mapped[str] = mapped_column(String(40), default="")
    target_id: Mapped[int | None]
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"), index=True)
    detail: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped["User | None"] = db.relationship(lazy="joined")
    course: Mapped["Course | None"] = db.relationship()  # noqa: F821  (lms.models.course)
