"""Everything stored about a learner, as one JSON document they can download."""

from datetime import date, datetime

from sqlalchemy import inspect, select

from lms.database import utcnow
from lms.extensions import db
from lms.models import (
    Certificate, Course, DailyActivity, Enrolment, Lesson, LessonProgress, Notification, QuizAttempt,
)  # fmt: skip

PRIVATE_USER_FIELDS = {"password_hash", "session_token"}


def _value(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _row(obj, exclude=()):
    return {attr.key: _value(getattr(obj, attr.key)) for attr in inspect(obj).mapper.column_attrs
            if attr.key not in exclude}  # fmt: skip


def _rows(model, *where, order_by=None):
    return [_row(obj) for obj in db.session.scalars(select(model).where(*where).order_by(order_by or model.id))]


def _authored(model_name, user):
    """Rows of lms.models.discussion.<model_name> the user wrote, or None when that model does not exist
    (checked at call time: the discussion feature owns those models)."""
    from lms.models import discussion

    model = getattr(discussion, model_name, None)
    if model is None or not hasattr(model, "author_id"):
        return None
    return _rows(model, model.author_id == user.id)


def export_user_data(user):
    courses = {
        cid: (slug, title)
        for cid, slug, title in db.session.execute(
            select(Course.id, Course.slug, Course.title)
            .join(Enrolment, Enrolment.course_id == Course.id)
            .where(Enrolment.user_id == user.id)
        )
    }
    enrolments = []
    for row in _rows(Enrolment, Enrolment.user_id == user.id):
        slug, title = courses.get(row["course_id"], ("", ""))
        enrolments.append({**row, "course_slug": slug, "course_title": title})
    lesson_titles = dict(
        db.session.execute(
            select(Lesson.id, Lesson.title)
            .join(LessonProgress, LessonProgress.lesson_id == Lesson.id)
            .where(LessonProgress.user_id == user.id)
        ).all()
    )
    progress = [{**row, "lesson_title": lesson_titles.get(row["lesson_id"], "")}
                for row in _rows(LessonProgress, LessonProgress.user_id == user.id)]  # fmt: skip
    data = {
        "exported_at": utcnow().isoformat(),
        "profile": _row(user, exclude=PRIVATE_USER_FIELDS),
        "enrolments": enrolments,
        "lesson_progress": progress,
        "quiz_attempts": _rows(QuizAttempt, QuizAttempt.user_id == user.id),
        "certificates": _rows(Certificate, Certificate.user_id == user.id),
        "daily_activity": _rows(DailyActivity, DailyActivity.user_id == user.id, order_by=DailyActivity.day),
        "notifications": _rows(Notification, Notification.user_id == user.id),
    }
    for key, model_name in (("discussion_threads", "Thread"), ("discussion_posts", "Post")):
        rows = _authored(model_name, user)
        if rows is not None:
            data[key] = rows
    return data
