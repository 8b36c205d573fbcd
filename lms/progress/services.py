"""Progress rules: completion percentages (one grouped query per page, never one per lesson)."""

from sqlalchemy import and_, func, select

from lms.extensions import db
from lms.models import Course, Lesson, LessonProgress, Module


def available_lessons_clause():
    """Lessons that count towards completion: not archived, in a module that is not archived."""
    return and_(Lesson.archived_at.is_(None), Module.archived_at.is_(None))


def course_percentages(user_id, course_ids):
    """{course_id: percent 0-100} for one learner across many courses, in one grouped query.

    percent = completed available lessons / available lessons (Course.lesson_count, kept by the studio).
    """
    course_ids = list(course_ids)
    if not course_ids or user_id is None:
        return {}
    done = (
        select(LessonProgress.course_id, func.count(LessonProgress.id).label("done"))
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .join(Module, Module.id == Lesson.module_id)
        .where(
            LessonProgress.user_id == user_id,
            LessonProgress.course_id.in_(course_ids),
            LessonProgress.completed_at.is_not(None),
            available_lessons_clause(),
        )
        .group_by(LessonProgress.course_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Course.id, Course.lesson_count, func.coalesce(done.c.done, 0))
        .outerjoin(done, done.c.course_id == Course.id)
        .where(Course.id.in_(course_ids))
    )
    return {cid: (min(100, round(100 * d / total)) if total else 0) for cid, total, d in rows}
