"""Instructor analytics for one course: counts, median progress, completions per week, per-lesson
drop-off, quiz pass rates per question and the learner table — grouped queries, never one per row."""

import csv
import io
import statistics
from collections import defaultdict
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import joinedload, selectinload

from lms.extensions import db
from lms.lessons.services import load_lessons, local_today, timezone_of
from lms.models import Enrolment, Lesson, LessonProgress, Module, Question, QuizAttempt
from lms.progress.dashboard import week_start

COMPLETION_WEEKS = 12


def _active(course):
    return and_(Enrolment.course_id == course.id, Enrolment.status == "active")


def done_counts_by_user(course, lesson_ids):
    """{user_id: completed available lessons} for the course's active learners; one grouped query."""
    if not lesson_ids:
        return {}
    rows = db.session.execute(
        select(LessonProgress.user_id, func.count(LessonProgress.id))
        .join(Enrolment, and_(Enrolment.user_id == LessonProgress.user_id, _active(course)))
        .where(LessonProgress.course_id == course.id, LessonProgress.completed_at.is_not(None),
               LessonProgress.lesson_id.in_(lesson_ids))
        .group_by(LessonProgress.user_id)
    )  # fmt: skip
    return dict(rows.all())


def seconds_by_user(course):
    rows = db.session.execute(
        select(LessonProgress.user_id, func.sum(LessonProgress.seconds_spent))
        .where(LessonProgress.course_id == course.id)
        .group_by(LessonProgress.user_id)
    )
    return {uid: int(total or 0) for uid, total in rows}


def completions_per_week(course, viewer=None, now=None, weeks=COMPLETION_WEEKS):
    """[(monday, completions)] for the last `weeks` weeks, Monday to Sunday in the viewer's time zone (as the
    page dates everything else), of the learners still in the course, whom the page's other figures count (the
    chart added up to more completions than the "Completed" figure once a finisher left); one query.

    Each local week's start is turned into its UTC moment and SQL counts per week between them: grouping by
    the UTC date put a Monday-morning completion in Sydney into the week before, and a Sunday-evening one in
    New York into the week after."""
    zone = timezone_of(viewer)
    first = week_start(local_today(viewer, now)) - timedelta(weeks=weeks - 1)
    mondays = [first + timedelta(weeks=i) for i in range(weeks + 1)]
    bounds = [datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC).replace(tzinfo=None) for day in mondays]
    at = Enrolment.completed_at
    counts = db.session.execute(
        select(*[func.count(case((and_(at >= start, at < end), Enrolment.id)))
                 for start, end in zip(bounds, bounds[1:])])  # fmt: skip
        .where(_active(course), at >= bounds[0], at < bounds[-1])
    ).one()
    return list(zip(mondays, counts))


def quiz_pass_rates(course):
    """[{lesson, question, attempts, correct, rate}] from every attempt's stored answers, for the knowledge
    checks of the available lessons in course order (as load_lessons lists them for the drop-off chart)."""
    questions = db.session.scalars(
        select(Question)
        .join(Lesson, Lesson.id == Question.lesson_id)
        .join(Module, Module.id == Lesson.module_id)
        .options(selectinload(Question.choices), joinedload(Question.lesson))
        .where(Lesson.course_id == course.id, Lesson.archived_at.is_(None), Module.archived_at.is_(None),
               Lesson.pass_mark.is_not(None))
        .order_by(Module.position, Module.id, Lesson.position, Lesson.id, Question.position)
    ).all()  # fmt: skip
    if not questions:
        return []
    correct_sets = {q.id: {c.id for c in q.choices if c.is_correct} for q in questions}
    tally = defaultdict(lambda: [0, 0])  # question_id -> [attempts, correct]
    attempts = db.session.execute(
        select(QuizAttempt.answers)
        .join(Lesson, Lesson.id == QuizAttempt.lesson_id)
        .where(Lesson.course_id == course.id)
        .execution_options(yield_per=1000)
    )
    for (answers,) in attempts:
        for key, chosen in (answers or {}).items():
            qid = int(key)
            if qid in correct_sets:
                tally[qid][0] += 1
                tally[qid][1] += set(chosen) == correct_sets[qid]
    result = []
    for q in questions:
        tried, right = tally[q.id]
        result.append({"lesson": q.lesson, "question": q, "attempts": tried, "correct": right,
                       "rate": round(100 * right / tried) if tried else None})  # fmt: skip
    return result


def course_analytics(course, page=1, per_page=25, now=None, viewer=None):
    lessons = load_lessons([course.id])[course.id]
    lesson_ids = [lesson.id for lesson in lessons]
    enrolled, completed = db.session.execute(
        select(func.count(Enrolment.id), func.count(Enrolment.completed_at)).where(_active(course))
    ).one()
    started = db.session.scalar(
        select(func.count(func.distinct(LessonProgress.user_id)))
        .join(Enrolment, and_(Enrolment.user_id == LessonProgress.user_id, _active(course)))
        .where(LessonProgress.course_id == course.id)
    )
    done_by_user = done_counts_by_user(course, lesson_ids)
    total = len(lessons)
    percents = [round(100 * d / total) if total else 0 for d in done_by_user.values()]
    percents += [0] * max(0, enrolled - len(percents))
    per_lesson = dict(
        db.session.execute(
            select(LessonProgress.lesson_id, func.count(LessonProgress.id))
            .join(Enrolment, and_(Enrolment.user_id == LessonProgress.user_id, _active(course)))
            .where(LessonProgress.course_id == course.id, LessonProgress.completed_at.is_not(None))
            .group_by(LessonProgress.lesson_id)
        ).all()
    )
    dropoff = [{"lesson": lesson, "completed": per_lesson.get(lesson.id, 0),
                "share": round(100 * per_lesson.get(lesson.id, 0) / enrolled) if enrolled else 0}
               for lesson in lessons]  # fmt: skip
    learners = db.paginate(
        select(Enrolment).options(joinedload(Enrolment.user)).where(_active(course))
        .order_by(Enrolment.last_activity_at.desc().nulls_last(), Enrolment.id),
        page=page, per_page=per_page, error_out=False,
    )  # fmt: skip
    seconds = seconds_by_user(course)
    rows = [_learner_row(e, done_by_user.get(e.user_id, 0), total, seconds.get(e.user_id, 0)) for e in learners.items]
    return {
        "enrolled": enrolled, "started": started, "completed": completed,
        "median": round(statistics.median(percents)) if percents else 0,
        "weekly_completions": completions_per_week(course, viewer, now), "dropoff": dropoff,
        "quiz": quiz_pass_rates(course), "learners": learners, "rows": rows, "lesson_total": total,
    }  # fmt: skip


def _learner_row(enrolment, done, total, seconds):
    return {"enrolment": enrolment, "user": enrolment.user, "done": done,
            "percent": round(100 * done / total) if total else 0, "minutes": round(seconds / 60)}  # fmt: skip


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Spreadsheet-safe: text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def learners_csv(course):
    lessons = load_lessons([course.id])[course.id]
    total = len(lessons)
    done_by_user = done_counts_by_user(course, [lesson.id for lesson in lessons])
    seconds = seconds_by_user(course)
    enrolments = db.session.scalars(
        select(Enrolment).options(joinedload(Enrolment.user)).where(_active(course)).order_by(Enrolment.id)
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Learner", "Enrolled at (UTC)", "Lessons done", "Lessons", "Progress %", "Minutes spent",
                     "Last activity (UTC)", "Completed at (UTC)"])  # fmt: skip
    for e in enrolments:
        row = _learner_row(e, done_by_user.get(e.user_id, 0), total, seconds.get(e.user_id, 0))
        stamp = lambda value: value.strftime("%Y-%m-%d %H:%M") if value else ""  # noqa: E731
        writer.writerow([safe_cell(v) for v in (
            e.user.display_name, stamp(e.enrolled_at), row["done"], total, row["percent"], row["minutes"],
            stamp(e.last_activity_at), stamp(e.completed_at))])  # fmt: skip
    return out.getvalue()
