"""Account rules: registration by e-mailed link, login checks, password reset and change."""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from lms.database import utcnow
from lms.extensions import db
from lms.models import Notification, PendingSignUp, SignIn, User
from lms.throttle import is_throttled, record_hit, reset

# Compared against when the e-mail is unknown, so a failed login takes as long either way.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


class AccountError(Exception):
    """A rule was broken; the message is safe to show to the user."""


def normalize_email(email):
    return (email or "").strip().lower()


def find_user_by_email(email):
    return db.session.scalar(select(User).where(func.lower(User.email) == normalize_email(email)))


def _serializer(salt):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


SIGN_UP_LINK_DAYS = 7


def make_registration_token(display_name, email, password):
    """Keep the sign-up until its link is opened; returns the link's token. No account exists before then,
    and the link carries only a random token: anyone who sees it (a mailbox, browser history, a log) learns
    nothing about the password."""
    now = utcnow()
    db.session.execute(delete(PendingSignUp).where(PendingSignUp.created_at < now - timedelta(days=SIGN_UP_LINK_DAYS)))
    token = secrets.token_urlsafe(32)
    db.session.add(PendingSignUp(token_hash=_digest(token), email=normalize_email(email),
                                 display_name=display_name.strip()[:80],
                                 password_hash=generate_password_hash(password, method="scrypt"), created_at=now))  # fmt: skip
    return token


def _digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def create_user_from_token(token, timezone=None):
    """The account of an opened sign-up link, in the given time zone (a known zone name, else UTC). Its other
    pending sign-ups (the address signed up twice) go."""
    now = utcnow()
    pending = db.session.scalar(select(PendingSignUp).where(PendingSignUp.token_hash == _digest(token or "")))
    if pending is None:
        raise AccountError("This sign-up link is not valid. Please register again.")
    if pending.used_at is not None or find_user_by_email(pending.email) is not None:
        raise AccountError("This sign-up link was already used. Please log in.")
    if pending.created_at < now - timedelta(days=SIGN_UP_LINK_DAYS):
        raise AccountError("This sign-up link has expired. Please register again.")
    user = User(display_name=pending.display_name, email=pending.email, password_hash=pending.password_hash,
                timezone=timezone or "UTC")  # fmt: skip
    db.session.add(user)
    # The address's other sign-ups are void now; this one stays (without the password hash) to say "used".
    db.session.execute(delete(PendingSignUp).where(PendingSignUp.email == pending.email, PendingSignUp.id != pending.id))
    pending.used_at, pending.password_hash = now, ""
    db.session.flush()
    return user


def create_user(email, display_name, password, role="learner"):
    """Direct creation for the CLI, demo data and tests."""
    user = User(email=normalize_email(email), display_name=display_name, role=role)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email, password):
    """The user if the credentials are right (active or not), else None. Same cost either way."""
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not user.check_password(password):
        return None
    return user


def _login_counters(email, address):
    """(setting, key) of each failed-login counter. The tight limit counts per account *and* client address,
    so a stranger elsewhere cannot lock the owner out; one address trying many accounts meets the per-address
    limit; a generous per-account ceiling still stops guessing spread over many addresses."""
    return (
        ("LOGIN_FAILURE_LIMIT", (email, address)),
        ("LOGIN_IP_FAILURE_LIMIT", (address,)),
        ("LOGIN_ACCOUNT_FAILURE_LIMIT", (email,)),
    )


def full_login_counter(email, address):
    """The setting of the first failed-login counter that is full for this attempt, or None.
    Known and unknown e-mails are counted alike, so a throttle says nothing about who has an account."""
    for setting, key in _login_counters(email, address):
        if is_throttled(setting, *key):
            return setting
    return None


def record_login_failure(email, address):
    for setting, key in _login_counters(email, address):
        record_hit(setting, *key)


def clear_login_failures(email, address, *, account_too=False):
    """After a login from this address; after a password reset (which proves the mailbox) the account's own
    ceiling too. The per-address counter is never cleared: logging in to one's own account must not buy
    more guesses at others."""
    reset("LOGIN_FAILURE_LIMIT", email, address)
    if account_too:
        reset("LOGIN_ACCOUNT_FAILURE_LIMIT", email)


def record_login(user):
    user.last_login_at = utcnow()


def _password_fingerprint(user):
    # Part of the token: once the password changes, every earlier reset link stops working (single use).
    return user.password_hash[-12:]


def make_reset_token(user):
    return _serializer("reset").dumps({"u": user.id, "p": _password_fingerprint(user)})


def user_for_reset_token(token):
    max_age = current_app.config["PASSWORD_RESET_MAX_AGE"]
    try:
        payload = _serializer("reset").loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise AccountError("This reset link has expired. Please ask for a new one.") from error
    except BadSignature as error:
        raise AccountError("This reset link is not valid. Please ask for a new one.") from error
    user = db.session.get(User, payload.get("u"))
    if user is None or not user.active or _password_fingerprint(user) != payload.get("p"):
        raise AccountError("This reset link was already used or is no longer valid. Please ask for a new one.")
    return user


def sign_in_lifetime():
    """How long a sign-in lasts: as long as the longer of a session cookie and a remember-me cookie."""
    config = current_app.config
    return max(config["PERMANENT_SESSION_LIFETIME"], config["REMEMBER_COOKIE_DURATION"])


def start_sign_in(user):
    """A new sign-in for this browser; login_user(user) then puts its token into the cookies (User.get_id).
    Sign-ins past their lifetime, or made before the user's last password change, are cleared out here."""
    cutoff = utcnow() - sign_in_lifetime()
    db.session.execute(delete(SignIn).where(SignIn.created_at < cutoff))
    db.session.execute(delete(SignIn).where(SignIn.user_id == user.id, SignIn.account_token != user.session_token))
    token = secrets.token_urlsafe(32)
    db.session.add(SignIn(token=token, user_id=user.id, account_token=user.session_token))
    user.sign_in_token = token
    return token


def end_sign_in(token):
    """Logging out: the sign-in goes, so the cookies that carry its token (and any copy of them) are dead."""
    if token:
        db.session.execute(delete(SignIn).where(SignIn.token == token))


def change_password(user, new_password):
    """New hash and a new session token: every other session and remember-me cookie ends."""
    user.set_password(new_password)


def set_role(user, role):
    if role not in ("learner", "instructor", "admin"):
        raise AccountError("Unknown role.")
    user.role = role


def deactivate(user):
    user.active = False
    user.end_sessions()


def reactivate(user):
    user.active = True


def set_email_preference(user, preference):
    """Leaving the digests settles what still waited for one. Turned off, e-mail stays silent about it, as about
    notifications made while it is off (see lms.notify.notify); switched to "immediately", no digest comes for it
    any more, and a digest chosen later must not mail what came before it. Both stay listed in the app. Between
    daily and weekly, what waits goes into the new digest."""
    if preference in ("never", "immediately") and user.email_preference in ("daily", "weekly"):
        db.session.execute(
            update(Notification)
            .where(Notification.user_id == user.id, Notification.emailed_at.is_(None))
            .values(emailed_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    user.email_preference = preference
