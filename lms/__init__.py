"""Sparetime: a distance-learning course platform for IT freelancers."""

import os
import secrets
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from lms.config import DefaultConfig
from lms.extensions import csrf, db, login_manager, migrate, throttles

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config=None):
    """Build the app: defaults, then instance/config.py, then LMS_* / DATABASE_URL, then test_config."""
    instance_path = Path(
        (test_config or {}).get("INSTANCE_PATH") or os.environ.get("LMS_INSTANCE_PATH") or PROJECT_ROOT / "instance"
    )
    app = Flask(
        __name__,
        instance_path=str(instance_path),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    instance_path.mkdir(parents=True, exist_ok=True)

    app.config.from_object(DefaultConfig)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env(prefix="LMS")
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if test_config:
        app.config.update(test_config)

    _finish_config(app, instance_path)
    _init_extensions(app)

    from lms import cli, csrf_tokens, errors, fragments, security, sessions, templating

    security.install_converters(app)
    _register_blueprints(app)

    sessions.init_app(app)
    templating.init_app(app)
    csrf_tokens.init_app(app)
    fragments.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    cli.init_app(app)
    _trust_proxies(app)
    return app


def _trust_proxies(app):
    """Behind PROXY_FIX_X_FOR reverse proxies, take the client's address and scheme from the headers they
    set: login throttles count per client address; HSTS and the links in e-mails need to know the visitor
    came over HTTPS. Off by default: without a proxy in front, anybody could send those headers."""
    proxies = int(app.config.get("PROXY_FIX_X_FOR") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)


def _finish_config(app, instance_path):
    config = app.config
    config.setdefault("SQLALCHEMY_DATABASE_URI", f"sqlite:///{instance_path / 'lms.sqlite'}")
    if config["SQLALCHEMY_DATABASE_URI"].startswith("postgres://"):
        config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + config["SQLALCHEMY_DATABASE_URI"][11:]
    config["UPLOAD_FOLDER"] = config.get("UPLOAD_FOLDER") or str(instance_path / "uploads")
    config["MAIL_OUTBOX"] = config.get("MAIL_OUTBOX") or str(instance_path / "outbox")
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _load_or_create_secret_key(instance_path / "secret_key")
    if config.get("PREFERRED_URL_SCHEME") == "https":
        config["SESSION_COOKIE_SECURE"] = True
        config["REMEMBER_COOKIE_SECURE"] = True


def _load_or_create_secret_key(path):
    """Keep a generated key in instance/ (mode 0600) so sessions survive restarts without a secret in the repo."""
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def _init_extensions(app):
    from lms import models, syllabus  # noqa: F401  (tables on db.metadata; the syllabus version hook)
    from lms.database import configure_engine_events, ping_when_idle, run_marked_reads_in_autocommit

    db.init_app(app)
    configure_engine_events()
    with app.app_context():
        ping_when_idle(db.engine)
    run_marked_reads_in_autocommit(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    throttles.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.login_message_category = "info"


def _register_blueprints(app):
    from lms.admin.views import bp as admin_bp
    from lms.auth.views import bp as auth_bp
    from lms.discussion.views import bp as discussion_bp
    from lms.enrolment.views import bp as enrolment_bp
    from lms.lessons.views import bp as lessons_bp
    from lms.main.views import bp as main_bp
    from lms.notifications.views import bp as notifications_bp
    from lms.peers.views import bp as peers_bp
    from lms.progress.views import bp as progress_bp
    from lms.studio.views import bp as studio_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(notifications_bp, url_prefix="/notifications")
    app.register_blueprint(studio_bp, url_prefix="/studio")
    app.register_blueprint(enrolment_bp)  # /courses/...
    app.register_blueprint(lessons_bp, url_prefix="/learn")
    app.register_blueprint(progress_bp)  # dashboard pieces, /certificates/..., /progress/..., analytics
    app.register_blueprint(discussion_bp)  # /courses/<slug>/discussion/...
    app.register_blueprint(peers_bp)  # /courses/<slug>/people, assignments, reviews, /wishes
