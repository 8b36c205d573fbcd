"""Progress rules: opening and completing lessons, measured time, quiz results, course completion and
certificates. Writes are race-safe upserts on the (user_id, lesson_id) / (user_id, day) unique keys, so
parallel requests never create a second row or lose an update. Services flush; views commit.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import and_, bindparam, func, select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from lms import database
from lms.database import upsert, utcnow
from lms.extensions import db
from lms.lessons.services import local_today
from lms.models import Certificate, Course, DailyActivity, Enrolment, Lesson, LessonProgress, Module, QuizAttempt
from lms.request_cache import forget, memoised

# Time spent is measured from page activity: one beat credits at most this many seconds, and nothing
# when the previous activity is older than IDLE_AFTER (the tab was left open, the learner went away).
MAX_SECONDS_PER_BEAT = 60
IDLE_AFTER = timedelta(minutes=5)


def available_lessons_clause():
    """Lessons that count towards completion: not archived, in a module that is not archived."""
    return and_(Lesson.archived_at.is_(None), Module.archived_at.is_(None))


def course_percentages(user_id, course_ids):
    """{course_id: percent 0-100} for one learner across many courses (memoised for the request)."""
    course_ids = tuple(course_ids)
    return dict(memoised(("percentages", user_id, course_ids), lambda: _course_percentages(user_id, course_ids)))


@cache
def _percentages_statement():
    """Built once per process with placeholders: the catalog, course page and dashboard all run it."""
    done = (
        select(LessonProgress.course_id, func.count(LessonProgress.id).label("done"))
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .join(Module, Module.id == Lesson.module_id)
        .where(
            LessonProgress.user_id == bindparam("user_id"),
            LessonProgress.course_id.in_(bindparam("course_ids", expanding=True)),
            LessonProgress.completed_at.is_not(None),
            available_lessons_clause(),
        )
        .group_by(LessonProgress.course_id)
        .subquery()
    )
    return (
        select(Course.id, Course.lesson_count, func.coalesce(done.c.done, 0))
        .outerjoin(done, done.c.course_id == Course.id)
        .where(Course.id.in_(bindparam("course_ids", expanding=True)))
    )


def _course_percentages(user_id, course_ids):
    """{course_id: percent 0-100} for one learner across many courses, in one grouped query.

    percent = completed available lessons / available lessons (Course.lesson_count, kept by the studio).
    """
    course_ids = list(course_ids)
    if not course_ids or user_id is None:
        return {}
    rows = database.rows(_percentages_statement(), {"user_id": user_id, "course_ids": course_ids}).all()
    return {cid: (min(100, round(100 * d / total)) if total else 0) for cid, total, d in rows}


# What each kind of progress write changes in a learner's existing row for the lesson (SQL; `excluded` holds
# the row the write would have inserted).
_PROGRESS_ON_CONFLICT = {
    "opened": {"last_opened_at": "excluded.last_opened_at"},
    "heartbeat": {"seconds_spent": "lesson_progress.seconds_spent + excluded.seconds_spent"},
    "done": {"completed_at": "COALESCE(lesson_progress.completed_at, excluded.completed_at)"},  # the first one
    "quiz": {"quiz_attempts": "lesson_progress.quiz_attempts + 1",
             "best_score": "CASE WHEN lesson_progress.best_score IS NULL OR excluded.best_score > "
                           "lesson_progress.best_score THEN excluded.best_score ELSE lesson_progress.best_score END"},
}  # fmt: skip
_PROGRESS_COLUMNS = ("user_id", "lesson_id", "course_id", "first_opened_at", "last_opened_at", "completed_at",
                     "seconds_spent", "quiz_attempts", "best_score")  # fmt: skip


@cache
def _progress_upsert(kind):
    returning = ("completed_at",) if kind == "done" else ()
    return upsert(LessonProgress.__table__, _PROGRESS_COLUMNS, ("user_id", "lesson_id"), _PROGRESS_ON_CONFLICT[kind],
                  returning)  # fmt: skip


def _upsert_progress(kind, user_id, lesson, now, **new_row):
    """Insert the learner's progress row for the lesson, or update the existing one as `kind` says (one
    statement); new_row holds what a new row starts with besides having been opened now."""
    values = {"user_id": user_id, "lesson_id": lesson.id, "course_id": lesson.course_id, "first_opened_at": now,
              "last_opened_at": now, "completed_at": None, "seconds_spent": 0, "quiz_attempts": 0, "best_score": None,
              **new_row}  # fmt: skip
    return db.session.execute(_progress_upsert(kind), values)


# Re-opening the lesson you are on within this window changes nothing worth a write: the resume pointer is
# already here and time spent comes from the heartbeat.
REOPEN_WRITE_INTERVAL = timedelta(minutes=5)


def open_needs_recording(progress_row, enrolment, lesson, now=None):
    """False when this learner opened this lesson moments ago and it is already their resume point."""
    if progress_row is None or enrolment.last_lesson_id != lesson.id:
        return True
    return (now or utcnow()) - progress_row.last_opened_at >= REOPEN_WRITE_INTERVAL


def record_lesson_open(user, lesson, enrolment, now=None):
    """First/last opened for the lesson and "resume here" on the enrolment. Idempotent."""
    now = now or utcnow()
    _upsert_progress("opened", user.id, lesson, now)
    _move_resume_pointer(enrolment, lesson, now)


@cache
def _resume_pointer_update():
    return (
        update(Enrolment.__table__)
        .where(Enrolment.__table__.c.id == bindparam("enrolment_id"))
        .values(last_lesson_id=bindparam("lesson_id"), last_activity_at=bindparam("now"))
    )


def _move_resume_pointer(enrolment, lesson, now):
    """"Resume here" and the last activity on the enrolment, as one cached UPDATE: left to the commit's flush,
    the change cost the lesson page a tenth of its time. The enrolment in memory is told the same values as
    already saved, so the flush has nothing left to write."""
    if enrolment.id is None:  # new in this session (the demo seeder): let the ORM insert it first
        db.session.flush()
    db.session.execute(_resume_pointer_update(), {"enrolment_id": enrolment.id, "lesson_id": lesson.id, "now": now})
    set_committed_value(enrolment, "last_lesson_id", lesson.id)
    set_committed_value(enrolment, "last_activity_at", now)


@dataclass
class Completion:
    newly_done: bool
    completed_at: datetime | None = None  # the lesson's first completion
    course_completed: bool = False
    certificate: Certificate | None = None


def is_lesson_done(user, lesson):
    return db.session.scalar(
        select(LessonProgress.completed_at).where(LessonProgress.user_id == user.id,
                                                  LessonProgress.lesson_id == lesson.id)  # fmt: skip
    ) is not None


def mark_lesson_done(user, lesson, now=None):
    """Complete a lesson once (the first completion time is kept) and, when it was the last available
    lesson, complete the course and issue the certificate. Safe under parallel requests."""
    now = now or utcnow()
    forget("percentages")  # this request's memoised completion percentages are about to change
    completed_at = _upsert_progress("done", user.id, lesson, now, completed_at=now).scalar_one()
    result = Completion(newly_done=completed_at == now, completed_at=completed_at)
    if result.newly_done:  # marking a lesson done again cannot finish the course: skip the locked count
        result.course_completed, result.certificate = complete_course_if_finished(user, lesson.course_id, now)
    return result


def complete_course_if_finished(user, course_id, now=None):
    """(completed now?, certificate) — completes the enrolment when every available lesson is done.

    The enrolment row is locked first (PostgreSQL), so of two parallel last completions the later one
    counts after the earlier has committed and sees both lessons done.
    """
    now = now or utcnow()
    enrolment = db.session.scalar(
        select(Enrolment)
        .where(Enrolment.user_id == user.id, Enrolment.course_id == course_id, Enrolment.status == "active")
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if enrolment is None:
        return False, None
    total, done = db.session.execute(
        select(func.count(Lesson.id), func.count(LessonProgress.completed_at))
        .join(Module, Module.id == Lesson.module_id)
        .outerjoin(LessonProgress, and_(LessonProgress.lesson_id == Lesson.id, LessonProgress.user_id == user.id))
        .where(Lesson.course_id == course_id, available_lessons_clause())
    ).one()
    if not total or done < total:
        return False, None
    newly = enrolment.completed_at is None
    if newly:
        enrolment.completed_at = now
    return newly, issue_certificate(user.id, course_id, now)


def complete_learners_now_finished(course_id, now=None):
    """After the studio removes or archives lessons: complete the enrolment of, and issue the certificate to,
    every active learner who has now done every lesson left. Their last lesson was the one removed, so no
    "mark done" of theirs will ever do it. Returns how many were completed."""
    now = now or utcnow()
    total = (
        select(func.count(Lesson.id))
        .join(Module, Module.id == Lesson.module_id)
        .where(Lesson.course_id == course_id, available_lessons_clause())
        .scalar_subquery()
    )
    done = (
        select(func.count(LessonProgress.lesson_id))
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .join(Module, Module.id == Lesson.module_id)
        .where(LessonProgress.user_id == Enrolment.user_id, LessonProgress.course_id == course_id,
               LessonProgress.completed_at.is_not(None), available_lessons_clause())  # fmt: skip
        .correlate(Enrolment)
        .scalar_subquery()
    )
    finished = db.session.scalars(
        select(Enrolment)
        .where(Enrolment.course_id == course_id, Enrolment.status == "active", Enrolment.completed_at.is_(None),
               total > 0, done >= total)  # fmt: skip
        .with_for_update()
    ).all()
    for enrolment in finished:
        enrolment.completed_at = now
        issue_certificate(enrolment.user_id, course_id, now)
    return len(finished)


@cache
def _certificate_insert():
    # Nothing on any conflict: the learner's certificate exists already (or, in theory, its random code does).
    return upsert(Certificate.__table__, ("code", "user_id", "course_id", "issued_at", "revoked_reason"), ())


def issue_certificate(user_id, course_id, now=None):
    """The learner's certificate for the course, created once (unique per user and course)."""
    certificate = {"code": secrets.token_urlsafe(16), "user_id": user_id, "course_id": course_id,
                   "issued_at": now or utcnow(), "revoked_reason": ""}  # fmt: skip
    db.session.execute(_certificate_insert(), certificate)
    return db.session.scalar(
        select(Certificate)
        .where(Certificate.user_id == user_id, Certificate.course_id == course_id)
        .execution_options(populate_existing=True)
    )


def record_quiz_attempt(user, lesson, score, passed, answers, now=None):
    """Keep the attempt, count it and keep the best score on the lesson's progress row."""
    now = now or utcnow()
    attempt = QuizAttempt(
        user_id=user.id, lesson_id=lesson.id, score=score, passed=passed, created_at=now,
        answers={str(qid): sorted(chosen) for qid, chosen in answers.items()},
    )  # fmt: skip
    db.session.add(attempt)
    _upsert_progress("quiz", user.id, lesson, now, quiz_attempts=1, best_score=score)
    db.session.flush()
    return attempt


def has_passed_quiz(user, lesson):
    if not lesson.has_quiz:
        return True
    best = db.session.scalar(
        select(LessonProgress.best_score).where(LessonProgress.user_id == user.id, LessonProgress.lesson_id == lesson.id)
    )
    return best is not None and best >= lesson.pass_mark


def credited_seconds(reported, last_activity_at, now):
    """Seconds a heartbeat may add: capped per beat, never more than really elapsed since the previous
    activity (two open tabs do not count twice), nothing after an idle gap."""
    try:
        reported = int(reported)
    except (TypeError, ValueError):
        return 0
    reported = max(0, min(reported, MAX_SECONDS_PER_BEAT))
    if last_activity_at is None:
        return reported
    elapsed = now - last_activity_at
    if elapsed > IDLE_AFTER or elapsed.total_seconds() < 0:
        return 0
    return min(reported, int(elapsed.total_seconds()))


def record_heartbeat(user, lesson, enrolment, reported_seconds, now=None):
    """Add measured seconds to the lesson and to today's activity (the learner's local day)."""
    now = now or utcnow()
    # Measured from the learner's last activity in any course: two tabs in two courses share the same minutes.
    last_activity_at = db.session.scalar(
        select(func.max(Enrolment.last_activity_at)).where(Enrolment.user_id == user.id)
    )
    seconds = credited_seconds(reported_seconds, last_activity_at, now)
    _upsert_progress("heartbeat", user.id, lesson, now, seconds_spent=seconds)
    _move_resume_pointer(enrolment, lesson, now)
    if seconds:
        add_daily_seconds(user, seconds, now)
    return seconds


def add_daily_seconds(user, seconds, now=None):
    db.session.execute(_daily_seconds_upsert(), {"user_id": user.id, "day": local_today(user, now), "seconds": seconds})


@cache
def _daily_seconds_upsert():
    return upsert(DailyActivity.__table__, ("user_id", "day", "seconds"), ("user_id", "day"),
                  {"seconds": "daily_activity.seconds + excluded.seconds"})  # fmt: skip


def set_weekly_goal(user, minutes):
    user.weekly_goal_minutes = minutes


def certificate_by_code(code):
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


def certificates_of(user):
    # Each card names its course: joined here, not loaded one certificate at a time.
    return db.session.scalars(
        select(Certificate)
        .options(joinedload(Certificate.course))
        .where(Certificate.user_id == user.id)
        .order_by(Certificate.issued_at.desc())
    ).all()

