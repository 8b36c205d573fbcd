"""The notification bell: list, open one (marks it read), mark all read."""

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select, update

from lms.auth.forms import ButtonForm
from lms.database import utcnow
from lms.extensions import db
from lms.models import Notification
from lms.security import query_int
from lms.urls import safe_next

bp = Blueprint("notifications", __name__)


@bp.get("/")
@login_required
def index():
    query = (
        select(Notification)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    page = db.paginate(query, page=query_int("page", 1), per_page=30, error_out=False)
    return render_template("notifications/index.html", page=page)


@bp.post("/<int:notification_id>/open")
@login_required
def open_notification(notification_id):
    notification = db.get_or_404(Notification, notification_id)
    if notification.user_id != current_user.id:
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.commit()
    return redirect(safe_next(notification.url, "notifications.index"))


@bp.post("/read-all")
@login_required
def mark_all_read():
    if not ButtonForm().validate_on_submit():
        abort(400)
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
    return redirect(url_for("notifications.index"))
