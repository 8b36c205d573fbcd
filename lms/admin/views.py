"""Admin: users and roles, deactivation, and the audit log of staff actions."""

from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from lms.admin.forms import RoleForm
from lms.auth import services as accounts
from lms.auth.forms import ButtonForm
from lms.database import contains_text
from lms.extensions import db
from lms.models import AuditEntry, Course, User
from lms.notify import audit
from lms.security import query_int
from lms.studio.services import taught_course_count

bp = Blueprint("admin", __name__)


def _back_to_list():
    """The users list as the admin left it (search and page, from the form's hidden fields), at the same row."""
    args = {name: request.form.get(name) for name in ("q", "page") if request.form.get(name)}
    anchor = f"user-{request.view_args['user_id']}" if request.view_args.get("user_id") else None
    return redirect(url_for("admin.users", **args, _anchor=anchor))


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


@bp.get("/users")
@admin_required
def users():
    q = request.args.get("q", "").strip()[:100]
    query = select(User).order_by(User.created_at.desc(), User.id.desc())
    if q:
        query = query.where(or_(contains_text(User.email, q), contains_text(User.display_name, q)))
    page = db.paginate(query, page=query_int("page", 1), per_page=25, error_out=False)
    return render_template("admin/users.html", page=page, q=q, role_form=RoleForm())


@bp.post("/users/<int:user_id>/role")
@admin_required
def set_role(user_id):
    user = db.get_or_404(User, user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    if user.id == current_user.id and form.role.data != "admin":
        flash("You cannot remove your own admin role; ask another admin.", "error")
        return _back_to_list()
    previous = user.role
    if form.role.data == previous:  # nothing changed: nothing to log
        flash(f"{user.display_name} is already {previous}.", "info")
        return _back_to_list()
    accounts.set_role(user, form.role.data)
    audit(current_user, "role.change", target=user, detail=f"{user.email}: {previous} -> {user.role}")
    db.session.commit()
    message = f"{user.display_name} is now {user.role}."
    # The role only decides who may create courses: course staff rows stay, and an owner cannot be taken off.
    taught = taught_course_count(user) if user.role == "learner" else 0
    if taught:
        message += (f" They still teach the {taught} course{'' if taught == 1 else 's'} they are on the staff of: "
                    "a role only decides who may create courses.")  # fmt: skip
    flash(message, "success")
    return _back_to_list()


@bp.post("/users/<int:user_id>/deactivate")
@admin_required
def deactivate(user_id):
    user = db.get_or_404(User, user_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    if user.id == current_user.id:
        flash("You cannot deactivate your own account.", "error")
        return _back_to_list()
    if not user.active:  # a second click, or a tab opened before: nothing to do, nothing to log
        flash(f"{user.display_name} is already deactivated.", "info")
        return _back_to_list()
    accounts.deactivate(user)
    audit(current_user, "user.deactivate", target=user, detail=user.email)
    db.session.commit()
    flash(f"{user.display_name} is deactivated and logged out everywhere.", "success")
    return _back_to_list()


@bp.post("/users/<int:user_id>/reactivate")
@admin_required
def reactivate(user_id):
    user = db.get_or_404(User, user_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    if user.active:
        flash(f"{user.display_name} can already log in.", "info")
        return _back_to_list()
    accounts.reactivate(user)
    audit(current_user, "user.reactivate", target=user, detail=user.email)
    db.session.commit()
    flash(f"{user.display_name} can log in again.", "success")
    return _back_to_list()


@bp.get("/audit")
@admin_required
def audit_log():
    action = request.args.get("action", "").strip()[:60]
    actor = request.args.get("actor", "").strip()[:100]
    # The course of each entry comes with it (its title and slug only), not one query per row.
    query = (
        select(AuditEntry)
        .options(joinedload(AuditEntry.course).load_only(Course.title, Course.slug))
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    )
    if action:
        query = query.where(AuditEntry.action.startswith(action))
    if actor:
        query = query.join(User, User.id == AuditEntry.actor_id).where(
            or_(contains_text(User.email, actor), contains_text(User.display_name, actor))
        )
    actions = db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).all()
    page = db.paginate(query, page=query_int("page", 1), per_page=50, error_out=False)
    return render_template("admin/audit.html", page=page, action=action, actor=actor, actions=actions)

