"""Named access predicates, used by views and templates alike (registered as Jinja globals)."""

from functools import cache

from sqlalchemy import and_, bindparam, select

from lms.extensions import db
from lms.models import Course, CourseStaff, Enrolment
from lms.request_cache import forget, remember
from lms.request_cache import memoised as _memoised


def forget_access(user=None, course=None):
    """Drop memoised answers after a change of enrolment or staff within the same request."""
    forget()


def _is_authenticated(user):
    return user is not None and getattr(user, "is_authenticated", False)


def with_membership(statement):
    """A select over Course, plus (is staff, the Enrolment in any state or None) of the user bound as
    :member_id: pages load their course and the visitor's membership in one statement. Pass
    member_params(user) with the statement's own parameters and hand each row's two extra values to
    remember_membership."""
    staff = (
        select(CourseStaff.user_id)
        .where(CourseStaff.course_id == Course.id, CourseStaff.user_id == bindparam("member_id"))
        .exists()
    )
    return statement.add_columns(staff.label("is_staff"), Enrolment).outerjoin(
        Enrolment, and_(Enrolment.course_id == Course.id, Enrolment.user_id == bindparam("member_id"))
    )


def member_params(user):
    return {"member_id": user.id if _is_authenticated(user) else None}


def remember_membership(user, course, is_staff, enrolment):
    """What a with_membership statement read: the answer _membership would otherwise query for."""
    if _is_authenticated(user):
        remember(("membership", user.id, course.id), (bool(is_staff), enrolment))


def _membership(user, course):
    """(is staff, the Enrolment in any state or None: one per learner and course) in ONE query, memoised for
    the request: almost every course page asks both questions, and the course page also asks for a pending,
    waitlisted or ended enrolment."""

    def load():
        row = db.session.execute(_membership_statement(), {"course_id": course.id, "member_id": user.id}).first()
        return (bool(row[1]), row[2]) if row is not None else (False, None)

    return _memoised(("membership", user.id, course.id), load)


@cache
def _membership_statement():
    """For pages that did not read the membership with their course: the same columns, by course id. Built
    once per process (a reused statement skips construction and cache-key work)."""
    return with_membership(select(Course.id).where(Course.id == bindparam("course_id")))


def is_course_staff(user, course):
    if not _is_authenticated(user):
        return False
    if user.is_admin:
        return True
    return _membership(user, course)[0]


def is_course_owner(user, course):
    return _is_authenticated(user) and (user.is_admin or course.owner_id == user.id)


def active_enrolment(user, course):
    enrolment = enrolment_in(user, course)
    return enrolment if enrolment is not None and enrolment.status == "active" else None


def enrolment_in(user, course):
    """The user's enrolment in the course in any state (active, pending, waitlisted, withdrawn, ...), or None."""
    if not _is_authenticated(user):
        return None
    return _membership(user, course)[1]


def is_enrolled(user, course):
    return active_enrolment(user, course) is not None


def can_view_course_page(user, course):
    """Catalog page: published courses for everyone; archived ones for their learners; all for staff."""
    if course.status == "published":
        return True
    if is_course_staff(user, course):
        return True
    return course.status == "archived" and is_enrolled(user, course)


def can_take_course(user, course):
    """Read lessons and take part: active learners of a published or archived course, or staff."""
    if is_course_staff(user, course):
        return True
    return course.status in ("published", "archived") and is_enrolled(user, course)


def can_moderate(user, course):
    return is_course_staff(user, course)


def can_create_courses(user):
    return _is_authenticated(user) and user.is_instructor


def register_template_globals(app):
    app.jinja_env.globals.update(
        is_course_staff=is_course_staff,
        is_course_owner=is_course_owner,
        can_moderate=can_moderate,
        can_create_courses=can_create_courses,
    )
