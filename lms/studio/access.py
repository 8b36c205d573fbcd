"""Load-and-check helpers for studio views: staff only, and ids must belong to the course in the URL."""

from zoneinfo import ZoneInfo

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from lms.extensions import db
from lms.models import Course, Lesson, Module, Question
from lms.permissions import is_course_owner, is_course_staff
from lms.templating import user_timezone


def staff_course(slug, *options):
    course = db.first_or_404(select(Course).where(Course.slug == slug).options(*options))
    if not is_course_staff(current_user, course):
        abort(403)
    return course


def owner_course(slug):
    course = staff_course(slug)
    if not is_course_owner(current_user, course):
        abort(403)
    return course


def module_of(course, module_id):
    module = db.get_or_404(Module, module_id)
    if module.course_id != course.id:
        abort(404)
    return module


def lesson_of(course, lesson_id):
    lesson = db.get_or_404(Lesson, lesson_id)
    if lesson.course_id != course.id:
        abort(404)
    return lesson


def question_of(lesson, question_id):
    question = db.get_or_404(Question, question_id)
    if question.lesson_id != lesson.id:
        abort(404)
    return question


def local_to_utc(value):
    """A naive datetime typed in the viewer's time zone -> naive UTC for storage."""
    if value is None:
        return None
    return value.replace(tzinfo=user_timezone()).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def utc_to_local(value):
    if value is None:
        return None
    return value.replace(tzinfo=ZoneInfo("UTC")).astimezone(user_timezone()).replace(tzinfo=None)


__all__ = ["lesson_of", "local_to_utc", "module_of", "owner_course", "staff_course", "utc_to_local"]
