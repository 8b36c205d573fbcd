"""Parallel writes lose nothing and duplicate nothing: quiz attempts, helpful votes, wish votes and follows.

Threads start together at a gate and each calls the real service in its own app context and session, then
commits — as parallel requests would. Runs on SQLite (writers queue on the database lock) and on PostgreSQL
(real row-level concurrency): `TEST_DATABASE_URL=postgresql+psycopg://... pytest tests/test_concurrency_writes.py`.
"""

import threading

from sqlalchemy import func, select

from lms.discussion import services as discussion
from lms.extensions import db
from lms.models import (
    BoardFollow,
    Course,
    CourseWish,
    Lesson,
    LessonProgress,
    Post,
    PostVote,
    QuizAttempt,
    Thread,
    ThreadFollow,
    User,
    WishVote,
)
from lms.peers import feedback
from lms.progress import services as progress
from tests.factories import add_quiz, enrol, lessons_of, make_course

THREADS = 8


def run_in_parallel(app, count, work):
    """Start `count` threads that wait on one gate, then call work(i) in their own app context (and so their
    own database session and connection); returns the errors raised."""
    gate = threading.Barrier(count)
    errors = []

    def runner(i):
        try:
            with app.app_context():
                gate.wait(timeout=30)
                try:
                    work(i)
                    db.session.commit()
                finally:
                    db.session.remove()
        except Exception as error:  # collected and asserted on by the caller
            errors.append(repr(error))

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"
    return errors


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _setup(make_user, learners=1):
    owner = make_user(role="instructor", email="owner@example.com", name="Owner")
    users = [make_user(email=f"learner{i}@example.com", name=f"Learner {i}") for i in range(learners)]
    course = make_course(owner, "Parallel", slug="parallel")
    lesson = add_quiz(lessons_of(course)[0], pass_mark=50)
    for user in users:
        enrol(user, course)
    thread = discussion.create_thread(course, owner, title="Rates?", body="What do you charge?")
    db.session.commit()
    post = db.session.get(Post, thread.first_post_id)
    ids = {"owner": owner.id, "users": [u.id for u in users], "course": course.id, "lesson": lesson.id,
           "thread": thread.id, "post": post.id}  # fmt: skip
    db.session.remove()  # the threads must read committed rows, not this session's identity map
    return ids


def test_parallel_quiz_submissions_keep_every_attempt_and_the_best_score(app, make_user):
    ids = _setup(make_user)
    scores = [10, 90, 40, 100, 0, 70, 55, 30]

    def submit(i):
        user, lesson = db.session.get(User, ids["users"][0]), db.session.get(Lesson, ids["lesson"])
        progress.record_quiz_attempt(user, lesson, scores[i], scores[i] >= 50, {})

    assert run_in_parallel(app, THREADS, submit) == []
    attempts = db.session.scalars(select(QuizAttempt.score).where(QuizAttempt.lesson_id == ids["lesson"])).all()
    assert sorted(attempts) == sorted(scores), "every attempt is kept"
    row = db.session.scalar(select(LessonProgress).where(LessonProgress.lesson_id == ids["lesson"]))
    assert _count(LessonProgress) == 1, "one progress row per learner and lesson"
    assert row.quiz_attempts == THREADS and row.best_score == 100


def _vote_counts(ids):
    db.session.expire_all()
    post, thread = db.session.get(Post, ids["post"]), db.session.get(Thread, ids["thread"])
    return _count(PostVote, PostVote.post_id == ids["post"]), post.vote_count, thread.vote_count


def test_parallel_votes_by_one_user_leave_at_most_one_vote_and_a_true_count(app, make_user):
    ids = _setup(make_user)

    def vote(i):
        discussion.toggle_vote(db.session.get(Post, ids["post"]), db.session.get(User, ids["users"][0]))

    assert run_in_parallel(app, THREADS, vote) == []
    rows, post_count, thread_count = _vote_counts(ids)
    # Each request toggles, so the end state may be "voted" or "not voted" — but never two votes, and the
    # counters always match the rows.
    assert rows in (0, 1) and post_count == rows and thread_count == rows


def test_parallel_votes_by_many_users_are_all_counted(app, make_user):
    ids = _setup(make_user, learners=THREADS)

    def vote(i):
        discussion.toggle_vote(db.session.get(Post, ids["post"]), db.session.get(User, ids["users"][i]))

    assert run_in_parallel(app, THREADS, vote) == []
    assert _vote_counts(ids) == (THREADS, THREADS, THREADS), "no lost update of the counters"


def test_parallel_follows_leave_one_follow(app, make_user):
    ids = _setup(make_user)

    def follow(i):
        user = db.session.get(User, ids["users"][0])
        discussion.follow_thread(db.session.get(Thread, ids["thread"]), user)
        discussion.set_board_follow(db.session.get(Course, ids["course"]), user, True)

    assert run_in_parallel(app, THREADS, follow) == []
    assert _count(ThreadFollow, ThreadFollow.thread_id == ids["thread"], ThreadFollow.user_id == ids["users"][0]) == 1
    assert _count(BoardFollow, BoardFollow.course_id == ids["course"], BoardFollow.user_id == ids["users"][0]) == 1


def test_parallel_wish_votes_are_counted_once_per_user(app, make_user):
    ids = _setup(make_user, learners=THREADS)
    wish = CourseWish(title="Pricing retainers", why="Monthly work.", author_id=ids["owner"])
    db.session.add(wish)
    db.session.commit()
    wish_id = wish.id
    db.session.remove()

    def vote(i):
        feedback.toggle_vote(db.session.get(CourseWish, wish_id), db.session.get(User, ids["users"][i]))

    assert run_in_parallel(app, THREADS, vote) == []
    db.session.expire_all()
    assert _count(WishVote, WishVote.wish_id == wish_id) == THREADS
    assert db.session.get(CourseWish, wish_id).vote_count == THREADS

    def vote_again(i):  # the same user, many tabs: never two votes, the counter matches the rows
        feedback.toggle_vote(db.session.get(CourseWish, wish_id), db.session.get(User, ids["users"][0]))

    assert run_in_parallel(app, THREADS, vote_again) == []
    db.session.expire_all()
    rows = _count(WishVote, WishVote.wish_id == wish_id)
    assert rows in (THREADS - 1, THREADS) and db.session.get(CourseWish, wish_id).vote_count == rows
