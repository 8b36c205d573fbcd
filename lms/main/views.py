"""Home page and health check."""

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import text

from lms.database import autocommit_reads
from lms.extensions import db

bp = Blueprint("main", __name__)


@bp.get("/")
@autocommit_reads
def index():
    """The learner's dashboard when logged in, the landing page otherwise."""
    if current_user.is_authenticated:
        from lms.progress.dashboard import dashboard
        from lms.progress.forms import GoalForm

        minutes = request.args.get("minutes", type=int)
        context = dashboard(current_user, minutes=minutes)
        goal_form = GoalForm(weekly_goal_minutes=current_user.weekly_goal_minutes)
        return render_template("progress/dashboard.html", goal_form=goal_form, minutes=minutes, **context)
    return render_template("main/index.html", user=current_user)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any database failure means "not healthy", never a traceback
        db.session.rollback()
        return {"status": "unavailable"}, 503
    return {"status": "ok"}
