"""Roster views for course staff: who is in, who waits, who left; approve, decline, remove, let back in; CSV export.

Registered on the enrolment blueprint by `register(bp)` (endpoints enrolment.roster, enrolment.roster_csv ...).
"""

import csv
import io

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from lms.auth.forms import ButtonForm
from lms.database import contains_text
from lms.enrolment import services
from lms.extensions import db
from lms.models import Course, Enrolment, User
from lms.permissions import is_course_staff

SECTIONS = [
    ("active", "Enrolled"),
    ("pending", "Waiting for approval"),
    ("waitlisted", "Waitlist"),
    ("ended", "Withdrawn, declined, removed or lapsed"),
]
ENDED = ("withdrawn", "declined", "removed")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _staff_course(slug):
    """Load the course and check the visitor is its staff (or an admin): 404 unknown, 403 not staff."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        abort(404)
    if not is_course_staff(current_user, course):
        abort(403)
    return course


def _course_enrolment(course, enrolment_id):
    """An enrolment of THIS course only: ids from another course's roster are 404 here."""
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.course_id != course.id:
        abort(404)
    return enrolment


def roster_rows(course, search=""):
    """Every enrolment of the course (learner eager-loaded), waitlist in queue order, optional name/e-mail search."""
    statement = (
        select(Enrolment)
        .join(User, User.id == Enrolment.user_id)
        .where(Enrolment.course_id == course.id)
        .options(joinedload(Enrolment.user))
        .order_by(Enrolment.requested_at, Enrolment.id)
    )
    if search:
        statement = statement.where(or_(contains_text(User.display_name, search), contains_text(User.email, search)))
    return list(db.session.scalars(statement))


def safe_cell(value):
    """Spreadsheets run cells starting with = + - @ (or tab/CR) as formulas: make them plain text."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@login_required
def roster(slug):
    course = _staff_course(slug)
    search = (request.args.get("q") or "").strip()[:100]
    rows = roster_rows(course, search)
    progress = services.progress_by_user(course)
    sections = {key: [] for key, _ in SECTIONS}
    for enrolment in rows:
        sections[enrolment.status if _stands(course, enrolment) else "ended"].append(enrolment)
    return render_template("enrolment/roster.html", course=course, sections=sections, section_labels=SECTIONS,
                           progress=progress, search=search, form=ButtonForm())  # fmt: skip


def _stands(course, enrolment):
    """A request left pending when the course stopped asking for approval no longer waits for a decision: its
    learner is offered the new way in (services.still_current), so it is listed with the ended ones."""
    return enrolment.status not in ENDED and services.still_current(course, enrolment)


def _status_label(course, enrolment):
    return enrolment.status if enrolment.status in ENDED or _stands(course, enrolment) else "lapsed"


@login_required
def roster_csv(slug):
    course = _staff_course(slug)
    progress = services.progress_by_user(course)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # Times in UTC, and said so (as in the analytics CSV): the roster page shows them in the viewer's zone, and a
    # spreadsheet shared between staff in different zones must not pass one zone's times off as another's.
    writer.writerow(["Name", "E-mail", "Status", "Requested (UTC)", "Enrolled (UTC)", "Ended (UTC)", "Progress %",
                     "Account"])  # fmt: skip
    for enrolment in roster_rows(course):
        writer.writerow(
            [safe_cell(enrolment.user.display_name), safe_cell(enrolment.user.email), _status_label(course, enrolment),
             _iso(enrolment.requested_at), _iso(enrolment.enrolled_at), _iso(enrolment.ended_at),
             progress.get(enrolment.user_id, 0), "active" if enrolment.user.active else "deactivated"]
        )  # fmt: skip
    filename = f"roster-{course.slug}.csv"
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})  # fmt: skip


def _iso(value):
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def _decide(slug, enrolment_id, action):
    course = _staff_course(slug)
    enrolment = _course_enrolment(course, enrolment_id)
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    name = enrolment.user.display_name
    try:
        action(course, enrolment, current_user)
    except services.EnrolmentError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("enrolment.roster", slug=slug))
    db.session.commit()
    readmitted = action is services.readmit
    messages = {
        "active": f"{name} is enrolled again." if readmitted else f"{name} is enrolled.",
        "waitlisted": f"{name} is back on the waitlist (no free seat)." if readmitted else
                      f"{name} was approved and is on the waitlist (no free seat).",
        "declined": f"{name}'s request was declined.",
        "removed": f"{name} was removed from the course.",
    }
    flash(messages[enrolment.status], "success")
    return redirect(url_for("enrolment.roster", slug=slug))


@login_required
def approve(slug, enrolment_id):
    return _decide(slug, enrolment_id, services.approve)


@login_required
def decline(slug, enrolment_id):
    return _decide(slug, enrolment_id, services.decline)


@login_required
def readmit(slug, enrolment_id):
    return _decide(slug, enrolment_id, services.readmit)


@login_required
def remove(slug, enrolment_id):
    if request.method == "POST":
        return _decide(slug, enrolment_id, services.remove)
    course = _staff_course(slug)
    enrolment = _course_enrolment(course, enrolment_id)
    return render_template("enrolment/remove.html", course=course, enrolment=enrolment, form=ButtonForm())


def register(bp):
    bp.add_url_rule("/courses/<slug>/roster", "roster", roster)
    bp.add_url_rule("/courses/<slug>/roster.csv", "roster_csv", roster_csv)
    bp.add_url_rule("/courses/<slug>/roster/<int:enrolment_id>/approve", "approve", approve, methods=["POST"])
    bp.add_url_rule("/courses/<slug>/roster/<int:enrolment_id>/decline", "decline", decline, methods=["POST"])
    bp.add_url_rule("/courses/<slug>/roster/<int:enrolment_id>/remove", "remove", remove, methods=["GET", "POST"])
    bp.add_url_rule("/courses/<slug>/roster/<int:enrolment_id>/readmit", "readmit", readmit, methods=["POST"])
