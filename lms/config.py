"""Default settings. Never secrets: SECRET_KEY is generated into instance/ on first run."""

from datetime import timedelta


class DefaultConfig:
    # SQLALCHEMY_DATABASE_URI is filled in by create_app (instance/lms.sqlite unless DATABASE_URL is set).
    # No pool_pre_ping: a round trip on every request. lms/database.py pings only connections that sat idle.
    SQLALCHEMY_ENGINE_OPTIONS = {}
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    # Secure cookies are switched on when PREFERRED_URL_SCHEME is https (see create_app).
    PREFERRED_URL_SCHEME = "http"
    # Behind a reverse proxy: how many proxies in front set X-Forwarded-For/-Proto. 0 trusts no header, so
    # a client cannot fake its address; with a proxy and 0, every visitor shares the proxy's address.
    PROXY_FIX_X_FOR = 0

    # Rendered page fragments each process keeps (lms/fragments.py): ~3 kB for a post with its key. 0 turns it off.
    FRAGMENT_CACHE_SIZE = 10_000
    # Session cookies each process remembers having verified (lms/sessions.py), and CSRF tokens it remembers having
    # signed (lms/csrf_tokens.py): under 1 kB and 0.2 kB each. 0 turns either off.
    VERIFIED_SESSIONS_SIZE = 10_000
    CSRF_TOKEN_CACHE_SIZE = 10_000

    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead of a clock: long lessons do not expire forms

    MAX_CONTENT_LENGTH = 50 * 1024 * 1024
    UPLOAD_FOLDER = None  # defaults to instance/uploads

    MAIL_SERVER = None  # when set, mail goes out by SMTP; otherwise to instance/outbox/
    MAIL_PORT = 587
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_USE_TLS = True
    MAIL_DEFAULT_SENDER = "Sparetime <no-reply@sparetime.local>"
    MAIL_OUTBOX = None  # defaults to instance/outbox
    # Where the site is reached; used for links in e-mails sent outside a request (digests from cron).
    PUBLIC_URL = "http://127.0.0.1:5000"

    RATELIMIT_STORAGE_URI = "memory://"
    # Failed logins, counted three ways (see lms/auth/services.py): per account and client address, per
    # address across all accounts, and per account across all addresses (a ceiling for spread-out guessing).
    LOGIN_FAILURE_LIMIT = "10 per 15 minutes"
    LOGIN_IP_FAILURE_LIMIT = "30 per 15 minutes"
    LOGIN_ACCOUNT_FAILURE_LIMIT = "100 per hour"
    RESET_REQUEST_LIMIT = "5 per hour"
    # Sign-ups from one client address (each sends an e-mail); generous for a classroom behind one address.
    REGISTER_IP_LIMIT = "10 per hour"
    ENROL_KEY_FAILURE_LIMIT = "10 per 15 minutes"
    # E-mails to the course staff about one learner's requests to join one course (asking, cancelling and
    # asking again brings the notice back to their bell without another e-mail).
    JOIN_REQUEST_MAIL_LIMIT = "1 per hour"
    POSTING_LIMIT = "20 per 10 minutes"

    PASSWORD_RESET_MAX_AGE = 60 * 60  # seconds
    PEER_REVIEW_DEADLINE_HOURS = 48
    DEMO_PASSWORD = "sparetime-demo"
