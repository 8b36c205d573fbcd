"""Home page and health check."""

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import text

from lms.extensions import db

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    return render_template("main/index.html", user=current_user)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any database failure means "not healthy", never a traceback
        db.session.rollback()
        return {"status": "unavailable"}, 503
    return {"status": "ok"}
