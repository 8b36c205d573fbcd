"""Unbound Flask extensions; each is bound to the app in create_app. Imports nothing from lms."""

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
migrate = Migrate()


class Throttles:
    """The counters behind lms/throttle.py, on the `limits` storage that RATELIMIT_STORAGE_URI names (in-process,
    or Redis so that several app processes share them), counted in fixed windows.

    Flask-Limiter was used for this before, but only for its storage: no route has a limit of its own, and its
    per-request check and hooks cost about 0.1 ms on every request for nothing."""

    def init_app(self, app):
        storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
        app.extensions["lms.throttles"] = FixedWindowRateLimiter(storage)

    @staticmethod
    def counters(app):
        return app.extensions["lms.throttles"]

    def reset(self, app):
        """Forget every count (tests: one request must not throttle the next)."""
        self.counters(app).storage.reset()


throttles = Throttles()
