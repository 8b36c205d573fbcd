"""Progress: time-spent heartbeat, weekly goal, certificates (list and public verification), the
learner's data export, and the instructor's course analytics with CSV. The dashboard itself is the home
page (lms.main.views.index renders it from lms.progress.dashboard)."""

import json

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lms.auth import current_account
from lms.extensions import db
from lms.lessons.services import course_outline
from lms.models import Course, CourseStaff, Lesson
from lms.permissions import active_enrolment, is_course_staff
from lms.progress import analytics as course_stats
from lms.progress import services
from lms.progress.export import export_user_data
from lms.progress.forms import GoalForm, HeartbeatForm
from lms.security import query_int

bp = Blueprint("progress", __name__)


@bp.post("/progress/heartbeat")
@login_required
def heartbeat():
    form = HeartbeatForm()
    if not form.validate_on_submit():
        return jsonify({"ok": False}), 400
    lesson = db.session.get(Lesson, form.lesson_id.data)
    if lesson is None:
        return jsonify({"ok": False}), 404
    enrolment = active_enrolment(current_user, lesson.course)
    if enrolment is None or lesson.course.status not in ("published", "archived"):
        return jsonify({"ok": True, "credited": 0})  # staff previews and visitors are not tracked
    state = course_outline(current_user, lesson.course, enrolment).state_of(lesson.id)
    if state is None or not state.available:
        return jsonify({"ok": False}), 403
    credited = services.record_heartbeat(current_user, lesson, enrolment, form.seconds.data)
    db.session.commit()
    return jsonify({"ok": True, "credited": credited})


@bp.post("/progress/goal")
@login_required
def set_goal():
    form = GoalForm()
    if form.validate_on_submit():
        services.set_weekly_goal(current_account(), form.weekly_goal_minutes.data)
        db.session.commit()
        flash(f"Your weekly goal is now {form.weekly_goal_minutes.data} minutes.", "success")
    else:
        for errors in form.errors.values():
            flash(" ".join(errors), "error")
    return redirect(url_for("main.index") + "#weekly-goal")


@bp.get("/progress/certificates")
@login_required
def certificates():
    return render_template("progress/certificates.html", certificates=services.certificates_of(current_user))


@bp.get("/certificates/<code>")
def verify_certificate(code):
    certificate = services.certificate_by_code(code) if len(code) <= 64 else None
    if certificate is None:
        return render_template("progress/certificate_unknown.html", code=code), 404
    course = certificate.course
    instructors = db.session.scalars(
        select(CourseStaff)
        .options(joinedload(CourseStaff.user))
        .where(CourseStaff.course_id == course.id)
        .order_by(CourseStaff.role.desc(), CourseStaff.added_at)
    ).all()
    names = [staff.user.display_name for staff in instructors]
    return render_template(
        "progress/certificate.html", certificate=certificate, course=course, learner=certificate.user,
        instructors=names or ([course.owner.display_name] if course.owner else []),
    )  # fmt: skip


@bp.get("/progress/my-data.json")
@login_required
def export_my_data():
    body = json.dumps(export_user_data(current_account()), indent=2, ensure_ascii=False)
    return Response(
        body, mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="sparetime-my-data.json"', "Cache-Control": "no-store"},
    )  # fmt: skip


def _course_for_staff(slug):
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        abort(404)
    if not is_course_staff(current_user, course):
        abort(403)
    return course


@bp.get("/studio/courses/<slug>/analytics")
@login_required
def analytics(slug):
    course = _course_for_staff(slug)
    stats = course_stats.course_analytics(course, page=query_int("page", 1), viewer=current_user)
    return render_template("progress/analytics.html", course=course, stats=stats)


@bp.get("/studio/courses/<slug>/analytics.csv")
@login_required
def analytics_csv(slug):
    course = _course_for_staff(slug)
    return Response(
        course_stats.learners_csv(course), mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{course.slug}-learners.csv"'},
    )  # fmt: skip
