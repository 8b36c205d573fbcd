"""Studio rules: course structure, totals, publishing."""

from sqlalchemy import func, select

from lms.extensions import db
from lms.models import Course, Lesson, Module


def recompute_course_totals(course):
    """Refresh the denormalised lesson_count and total_minutes from the available lessons."""
    count, minutes = db.session.execute(
        select(func.count(Lesson.id), func.coalesce(func.sum(Lesson.minutes), 0))
        .join(Module, Module.id == Lesson.module_id)
        .where(Lesson.course_id == course.id, Lesson.archived_at.is_(None), Module.archived_at.is_(None))
    ).one()
    course.lesson_count, course.total_minutes = count, minutes
    return course


__all__ = ["Course", "recompute_course_totals"]
