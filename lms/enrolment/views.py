"""Catalog, course pages, enrol and withdraw. (Roster views: lms/enrolment/roster.py, same blueprint.)"""

from functools import cache

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from lms.auth.forms import ButtonForm
from lms.database import autocommit_reads
from lms.enrolment import catalog, roster, services
from lms.enrolment.forms import EnrolForm
from lms.extensions import db
from lms.lessons.services import syllabus_openings
from lms.models import Course
from lms.peers.services import course_reviews_summary
from lms.permissions import can_view_course_page, is_course_staff, member_params, remember_membership, with_membership
from lms.progress.services import course_percentages
from lms.syllabus import fragment_key as syllabus_fragment_key
from lms.syllabus import syllabus
from lms.templating import has_endpoint

bp = Blueprint("enrolment", __name__)
roster.register(bp)


def _viewer():
    return current_user if current_user.is_authenticated else None


@bp.get("/courses/", endpoint="catalog")
@autocommit_reads
def catalog_page():
    query = catalog.parse_catalog_args(request.args)
    viewer = _viewer()
    page, mine = catalog.catalog_page(query, viewer.id if viewer else None)
    course_ids = [course.id for course in page.items]
    active_ids = [cid for cid, enrolment in mine.items() if enrolment.status == "active"]
    percentages = course_percentages(viewer.id, active_ids) if viewer and active_ids else {}
    week_minutes = (viewer.weekly_goal_minutes if viewer else None) or 120
    return render_template(
        "enrolment/catalog.html", page=page, query=query, mine=mine, percentages=percentages,
        skills=catalog.skill_options(), levels=catalog.LEVEL_LABELS, lengths=catalog.LENGTH_CHOICES,
        sorts=catalog.SORT_CHOICES, length_label=catalog.length_label, week_minutes=week_minutes,
        card_fragment_key=catalog.card_fragment_key, course_skills=catalog.skills_by_course(course_ids),
    )  # fmt: skip


@cache
def _course_statement():
    # Built once per process: a reused statement skips construction and cache-key work.
    return with_membership(select(Course).where(Course.slug == bindparam("slug")).options(
        joinedload(Course.skills), joinedload(Course.owner)))  # fmt: skip


def load_course(slug):
    """The course with its skills, owner and the visitor's membership in one query; its syllabus comes from
    lms/syllabus.py."""
    row = db.session.execute(_course_statement(), {"slug": slug, **member_params(current_user)}).unique().first()
    if row is None:
        abort(404)
    course, is_staff, enrolment = row
    remember_membership(current_user, course, is_staff, enrolment)
    return course


def load_visible_course(slug):
    """404 (not 403) for drafts and archived courses the visitor may not see: their existence stays private."""
    course = load_course(slug)
    if not can_view_course_page(current_user, course):
        abort(404)
    return course


# The calls to action that show the enrolment form; the others (continue, staff, log in first...) build none.
ENROL_FORM_ACTIONS = ("enrol", "key", "request", "waitlist")


def choose_action(course, enrolment, is_staff):
    """Which call to action this visitor gets on the course page."""
    if enrolment is not None and services.still_current(course, enrolment):
        return {"active": "continue", "pending": "pending", "waitlisted": "waitlisted"}[enrolment.status]
    if is_staff:
        return "staff"
    if enrolment is not None and enrolment.status == "removed":
        return "removed"
    if course.status != "published":
        return "closed"
    if services.window_problem(course):
        return "window"
    if not current_user.is_authenticated:
        return "login"
    if course.enrolment_policy == "key":
        return "key"
    if course.enrolment_policy == "approval":
        return "request"
    if course.capacity is not None and course.enrolled_count >= course.capacity:
        return "waitlist"
    return "enrol"


def render_course_page(course, enrol_form=None, status=200):
    viewer = _viewer()
    enrolment = services.find_enrolment(course, viewer) if viewer else None
    is_staff = is_course_staff(current_user, course)
    action = choose_action(course, enrolment, is_staff)
    modules, lessons = [], {}
    for lesson in syllabus(course):  # open lessons in course order, each with its module
        if lesson.module_id not in lessons:
            modules.append(lesson.module)
            lessons[lesson.module_id] = []
        lessons[lesson.module_id].append(lesson)
    openings = syllabus_openings(modules, enrolment, current_user)
    return render_template(
        "enrolment/course.html", course=course, enrolment=enrolment, action=action, is_staff=is_staff,
        modules=modules, lessons=lessons, openings=openings, openings_key=tuple(openings.items()),
        enrol_form=enrol_form or (EnrolForm() if action in ENROL_FORM_ACTIONS else None),
        window_problem=services.window_problem(course), format_date=services.format_date,
        waitlist_position=services.waitlist_position(enrolment) if action == "waitlisted" else None,
        percent=course_percentages(viewer.id, [course.id]).get(course.id, 0) if action == "continue" else None,
        reviews_summary=course_reviews_summary(course, viewer),
        outcomes=[line.strip() for line in (course.outcomes or "").splitlines() if line.strip()],
        preview_links=has_endpoint("lessons.lesson"), continue_link=has_endpoint("lessons.course_home"),
        level_label=catalog.LEVEL_LABELS.get(course.level, course.level), syllabus_key=syllabus_fragment_key(course),
    ), status  # fmt: skip


@bp.get("/courses/<slug>")
@autocommit_reads
def course_page(slug):
    course = load_visible_course(slug)
    return render_course_page(course)


def _login_first(slug):
    flash("Please log in to enrol.", "info")
    return redirect(url_for("auth.login", next=url_for("enrolment.course_page", slug=slug)))


@bp.post("/courses/<slug>/enrol")
def enrol(slug):
    if not current_user.is_authenticated:
        return _login_first(slug)
    course = load_visible_course(slug)
    form = EnrolForm()
    if not form.validate_on_submit():
        return render_course_page(course, enrol_form=form, status=400)
    try:
        enrolment = services.enrol_learner(course, current_user, key=form.key.data)
    except services.KeyThrottled as error:
        db.session.rollback()
        abort(429, str(error))
    except services.WrongKey as error:
        db.session.rollback()
        form.key.errors = [str(error)]
        return render_course_page(course, enrol_form=form, status=400)
    except services.EnrolmentError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("enrolment.course_page", slug=slug))
    db.session.commit()
    if enrolment.status == "pending":
        flash("Your request to join was sent. We will tell you when the course staff decide.", "success")
    elif enrolment.status == "waitlisted":
        flash(f"The course is full. You are number {services.waitlist_position(enrolment)} on the waitlist; "
              "we will enrol you and tell you when a seat opens.", "success")  # fmt: skip
    else:
        flash(f"You are enrolled in {course.title}. Enjoy!", "success")
        if has_endpoint("lessons.course_home"):
            return redirect(url_for("lessons.course_home", slug=slug))
    return redirect(url_for("enrolment.course_page", slug=slug))


@bp.route("/courses/<slug>/withdraw", methods=["GET", "POST"])
def withdraw(slug):
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=url_for("enrolment.withdraw", slug=slug)))
    course = load_course(slug)
    enrolment = services.find_enrolment(course, current_user)
    if enrolment is None or enrolment.status not in services.CURRENT_STATES:
        if not can_view_course_page(current_user, course):
            abort(404)
        flash("You are not enrolled in this course, so there is nothing to withdraw from.", "info")
        return redirect(url_for("enrolment.course_page", slug=slug))
    form = ButtonForm()
    if form.validate_on_submit():
        was = enrolment.status
        try:
            services.withdraw(course, current_user)
        except services.EnrolmentError as error:
            db.session.rollback()
            flash(str(error), "error")
            return redirect(url_for("enrolment.course_page", slug=slug))
        db.session.commit()
        flash({"active": f"You left {course.title}. Your progress is kept if you come back.",
               "pending": "Your request to join was cancelled.",
               "waitlisted": "You left the waitlist."}[was], "success")  # fmt: skip
        return redirect(url_for("enrolment.catalog"))
    return render_template("enrolment/withdraw.html", course=course, enrolment=enrolment, form=form)
