"""Completions under parallel requests: the (user_id, lesson_id) unique key and an insert-or-update keep
exactly one completion per learner and lesson, and parallel completions of different lessons lose none.

Runs on SQLite (writers queue on the database lock) and on PostgreSQL (real row-level concurrency) —
`TEST_DATABASE_URL=postgresql+psycopg://... pytest tests/test_progress_concurrency.py`.
"""

import threading

from sqlalchemy import func, select

from lms.extensions import db
from lms.models import Certificate, Enrolment, LessonProgress
from tests.factories import enrol, lessons_of, make_course


def run_in_parallel(app, count, work):
    """Start `count` threads that wait on one gate, then call work(i) in their own app context."""
    gate = threading.Event()
    results, errors = [None] * count, []

    def runner(i):
        gate.wait()
        try:
            with app.app_context():
                results[i] = work(i)
        except Exception as error:  # collected and asserted on below
            errors.append(repr(error))

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    gate.set()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors


def logged_in_clients(app, client, login, user, count):
    login(user)
    cookie = client.get_cookie("session")
    clients = []
    for _ in range(count):
        c = app.test_client()
        c.set_cookie("session", cookie.value, domain=cookie.domain)
        clients.append(c)
    return clients


def test_100_parallel_mark_done_requests_leave_one_completion(app, client, login, make_user):
    instructor = make_user(role="instructor")
    learner = make_user()
    course = make_course(instructor, modules=((5, 5),))
    enrol(learner, course)
    lesson = lessons_of(course)[0]
    path = f"/learn/{course.slug}/lessons/{lesson.id}/done"
    clients = logged_in_clients(app, client, login, learner, 100)
    db.session.commit()

    results, errors = run_in_parallel(
        app, 100, lambda i: clients[i].post(path, headers={"Accept": "application/json"}).status_code
    )
    assert errors == []
    assert results == [200] * 100
    db.session.expire_all()
    rows = db.session.scalars(select(LessonProgress).where(LessonProgress.user_id == learner.id)).all()
    assert len(rows) == 1 and rows[0].completed_at is not None


def test_parallel_completions_of_different_lessons_lose_none(app, make_user):
    from lms.models import Lesson, User
    from lms.progress.services import mark_lesson_done

    instructor = make_user(role="instructor")
    learner = make_user()
    course = make_course(instructor, modules=((5,) * 12, (5,) * 12))
    enrol(learner, course)
    lesson_ids = [lesson.id for lesson in lessons_of(course)]
    user_id = learner.id
    db.session.commit()

    def complete(i):
        user = db.session.get(User, user_id)
        result = mark_lesson_done(user, db.session.get(Lesson, lesson_ids[i]))
        db.session.commit()
        return result.course_completed

    results, errors = run_in_parallel(app, len(lesson_ids), complete)
    assert errors == []
    db.session.expire_all()
    done = db.session.scalar(
        select(func.count()).where(LessonProgress.user_id == user_id, LessonProgress.completed_at.is_not(None))
    )
    assert done == 24
    # whichever completion came last saw every lesson done: the course is complete, one certificate
    assert results.count(True) == 1
    assert db.session.scalar(select(Enrolment.completed_at)) is not None
    assert db.session.scalar(select(func.count(Certificate.id))) == 1
