"""Demo data: progress. The demo learner is part-way through "client-communication" (Continue resumes at
lesson 4), has finished "giving-and-receiving-feedback" with a certificate, has a weekly goal of 90
minutes and 8 weeks of history. Eight peers in client-communication give the instructor's analytics a
real drop-off curve, quiz pass rates and completions over time. Idempotent: each part checks first.
"""

import random
from datetime import datetime, time, timedelta

from flask import current_app
from sqlalchemy import func, select

from lms.auth import services as accounts
from lms.database import utcnow
from lms.extensions import db
from lms.lessons.services import load_lessons
from lms.models import Course, DailyActivity, Enrolment, LessonProgress, Question
from lms.progress import services as progress

PEERS = [
    ("peer1@example.com", "Priya Patel"), ("peer2@example.com", "Tom Berg"), ("peer3@example.com", "Aisha Khan"),
    ("peer4@example.com", "Marco Rossi"), ("peer5@example.com", "Julia Nowak"), ("peer6@example.com", "Kenji Sato"),
    ("peer7@example.com", "Sofia Lind"), ("peer8@example.com", "Omar Haddad"),
]  # fmt: skip
# Share of client-communication each peer has done, for a curve that steps down where learners stall.
PEER_PROGRESS = (1.0, 1.0, 0.85, 0.7, 0.55, 0.4, 0.25, 0.1)


def _course(slug):
    return db.session.scalar(select(Course).where(Course.slug == slug))


def _active_enrolment(user, course, enrolled_at):
    """The learner's enrolment, made active (created only if the enrolment seed did not create it)."""
    enrolment = db.session.scalar(
        select(Enrolment).where(Enrolment.user_id == user.id, Enrolment.course_id == course.id)
    )
    if enrolment is None:
        enrolment = Enrolment(course_id=course.id, user_id=user.id, status="active", requested_at=enrolled_at)
        db.session.add(enrolment)
        course.enrolled_count += 1
    elif enrolment.status != "active":
        course.enrolled_count += 1
        enrolment.status = "active"
    enrolment.enrolled_at = enrolled_at  # earlier than today, so drip modules are already open
    db.session.flush()
    return enrolment


def _has_progress(user, course):
    return db.session.scalar(
        select(func.count(LessonProgress.id)).where(LessonProgress.user_id == user.id, LessonProgress.course_id == course.id)
    )


def _answers(lesson, correct):
    questions = db.session.scalars(select(Question).where(Question.lesson_id == lesson.id)).all()
    answers = {}
    for question in questions:
        right = {c.id for c in question.choices if c.is_correct}
        wrong = {c.id for c in question.choices if not c.is_correct}
        answers[question.id] = right if correct or not wrong else {min(wrong)}
    return answers


def _take_lessons(user, enrolment, lessons, start, rng, fail_quizzes=False):
    """Open and complete `lessons` in order from `start`, a few hours apart, passing their checks."""
    moment = start
    for lesson in lessons:
        moment += timedelta(hours=rng.randint(5, 40))
        progress.record_lesson_open(user, lesson, enrolment, now=moment)
        if lesson.pass_mark is not None:
            if fail_quizzes:
                progress.record_quiz_attempt(user, lesson, 0, False, _answers(lesson, False), now=moment)
            progress.record_quiz_attempt(user, lesson, 100, True, _answers(lesson, True), now=moment)
        progress.mark_lesson_done(user, lesson, now=moment + timedelta(minutes=lesson.minutes))
        row = db.session.scalar(
            select(LessonProgress).where(LessonProgress.user_id == user.id, LessonProgress.lesson_id == lesson.id)
        )
        row.seconds_spent = lesson.minutes * 60 + rng.randint(-60, 120)
        enrolment.last_activity_at = moment
    return moment


def _seed_learner(learner, now, rng):
    created = False
    communication = _course("client-communication")
    if communication is not None and not _has_progress(learner, communication):
        enrolment = _active_enrolment(learner, communication, now - timedelta(days=12))
        lessons = load_lessons([communication.id])[communication.id]
        _take_lessons(learner, enrolment, lessons[:3], now - timedelta(days=10), rng)
        if len(lessons) > 3:  # opened, not finished: "Continue" resumes here
            progress.record_lesson_open(learner, lessons[3], enrolment, now=now - timedelta(days=1))
        created = True
    feedback = _course("giving-and-receiving-feedback")
    if feedback is not None and not _has_progress(learner, feedback):
        enrolment = _active_enrolment(learner, feedback, now - timedelta(days=40))
        lessons = load_lessons([feedback.id])[feedback.id]
        _take_lessons(learner, enrolment, lessons, now - timedelta(days=38), rng)
        created = True
    return created


def _seed_history(learner, now, rng):
    if db.session.scalar(select(func.count(DailyActivity.id)).where(DailyActivity.user_id == learner.id)):
        return False
    learner.weekly_goal_minutes = 90
    today = now.date()
    for days_ago in range(56):
        if rng.random() < 0.45:
            continue  # weekly, not daily: plenty of days without learning
        minutes = rng.choice((6, 10, 12, 15, 20, 25, 35))
        db.session.add(DailyActivity(user_id=learner.id, day=today - timedelta(days=days_ago), seconds=minutes * 60))
    return True


def _seed_peers(now, rng):
    course = _course("client-communication")
    if course is None:
        return False
    lessons = load_lessons([course.id])[course.id]
    created = False
    password = current_app.config["DEMO_PASSWORD"]
    for index, ((email, name), share) in enumerate(zip(PEERS, PEER_PROGRESS, strict=True)):
        user = accounts.find_user_by_email(email)
        if user is None:
            user = accounts.create_user(email, name, password)
            user.headline = "Freelance developer"
            created = True
        if _has_progress(user, course):
            continue
        start = now - timedelta(days=70 - index * 6)
        enrolment = _active_enrolment(user, course, start)
        done = max(1, round(share * len(lessons)))
        _take_lessons(user, enrolment, lessons[:done], start, rng, fail_quizzes=index % 3 == 1)
        created = True
    return created


def seed(users):
    """Create the demo progress if missing; return True when anything was created."""
    rng = random.Random(5)  # the same demo every time
    now = datetime.combine(utcnow().date(), time(12, 0))
    learner = users["learner"]
    created = _seed_learner(learner, now, rng)
    created = _seed_history(learner, now, rng) or created
    created = _seed_peers(now, rng) or created
    db.session.flush()
    return created
