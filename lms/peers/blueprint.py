"""The peers blueprint object and the loaders its view modules share (load -> check access)."""

from flask import Blueprint, abort
from flask_login import current_user
from sqlalchemy import select

from lms.extensions import db
from lms.models import Course, Lesson

bp = Blueprint("peers", __name__)


def load_course(slug):
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        abort(404)
    return course


def load_lesson(course, lesson_id):
    """A lesson of this course only: another course's lesson id in this URL is a 404."""
    lesson = db.session.get(Lesson, lesson_id)
    if lesson is None or lesson.course_id != course.id or lesson.archived_at is not None:
        abort(404)
    return lesson


def require_staff(course):
    from lms.permissions import is_course_staff

    if not is_course_staff(current_user, course):
        abort(403)
