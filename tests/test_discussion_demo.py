"""Demo discussions: seeded into whichever demo courses exist, idempotent, with the promised variety."""

from sqlalchemy import func, select

from lms.extensions import db
from lms.models import Enrolment, User
from lms.models.discussion import Post, Thread
from tests.factories import make_course


def test_seed_creates_lively_discussions_once(app, make_user):
    from lms.demo import discussions

    instructor = make_user("instructor@example.com", "Ivo Instructor", role="instructor")
    learner = make_user("learner@example.com", "Lena Learner")
    course = make_course(instructor, "Client communication", slug="client-communication", modules=((5, 5),))
    from tests.factories import enrol

    enrol(learner, course)
    users = {"instructor": instructor, "learner": learner, "admin": make_user(role="admin")}
    assert discussions.seed(users) is True
    db.session.commit()
    threads = db.session.scalars(select(Thread).where(Thread.course_id == course.id)).all()
    assert any(t.pinned and t.author_id == instructor.id for t in threads)
    questions = [t for t in threads if t.kind == "question" and t.accepted_post_id]
    assert len(questions) >= 2
    assert any(t.anonymous for t in threads)
    assert any("/auth/people/" in p.body_html for p in db.session.scalars(select(Post)))
    assert any(t.lesson_id for t in threads)
    maya = db.session.scalar(select(User).where(User.email == "maya@example.com"))
    assert maya.check_password(app.config["DEMO_PASSWORD"])
    active = db.session.scalar(select(func.count(Enrolment.id)).where(Enrolment.course_id == course.id,
                                                                       Enrolment.status == "active"))  # fmt: skip
    db.session.refresh(course)
    assert course.enrolled_count == active == 5
    for thread in threads:
        replies = db.session.scalar(select(func.count(Post.id)).where(Post.thread_id == thread.id)) - 1
        assert thread.reply_count == replies
    posts_before = db.session.scalar(select(func.count(Post.id)))
    assert discussions.seed(users) is False
    assert db.session.scalar(select(func.count(Post.id))) == posts_before


def test_seed_skips_missing_courses(app, make_user):
    from lms.demo import discussions

    users = {"instructor": make_user(role="instructor"), "learner": make_user(), "admin": make_user(role="admin")}
    discussions.seed(users)
    assert db.session.scalar(select(func.count(Thread.id))) == 0
