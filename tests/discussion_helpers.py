"""Test data for the discussion tests: a course with staff, learners and threads, built on the services."""

import pytest
from sqlalchemy import insert

from lms.database import utcnow
from lms.discussion import services
from lms.extensions import db
from lms.models.discussion import Post, Thread
from tests.factories import enrol, make_course


class World:
    """A course with an instructor, two enrolled learners, an outsider and the staff of another course."""

    def __init__(self, make_user):
        self.instructor = make_user("ivo@example.com", "Ivo Instructor", role="instructor")
        self.maya = make_user("maya@example.com", "Maya Lindqvist")
        self.tom = make_user("tom@example.com", "Tom Okafor")
        self.outsider = make_user("out@example.com", "Olga Outsider")
        self.other_instructor = make_user("other@example.com", "Otto Other", role="instructor")
        self.admin = make_user("admin@example.com", "Ada Admin", role="admin")
        self.course = make_course(self.instructor, "Client communication", slug="client-communication",
                                  modules=((5, 10),))  # fmt: skip
        self.other_course = make_course(self.other_instructor, "Other course", slug="other-course")
        enrol(self.maya, self.course)
        enrol(self.tom, self.course)
        enrol(self.outsider, self.other_course)
        self.lesson = self.course.modules[0].lessons[0]

    def thread(self, author=None, title="How do you handle scope creep?", body="Asking for a friend.", **kwargs):
        thread = services.create_thread(self.course, author or self.maya, title=title, body=body, **kwargs)
        db.session.commit()
        return thread

    def reply(self, thread, author=None, body="Put it in writing.", **kwargs):
        post = services.add_reply(self.course, thread, author or self.tom, body=body, **kwargs)
        db.session.commit()
        return post

    def url(self, suffix=""):
        return f"/courses/{self.course.slug}/discussion/{suffix}"

    def thread_url(self, thread, suffix=""):
        return self.url(f"threads/{thread.id}{suffix}")

    def post_url(self, thread, post, action):
        return self.url(f"threads/{thread.id}/posts/{post.id}/{action}")


def bulk_replies(thread, author, count):
    """Many replies in one INSERT (fast), keeping the thread's counters right."""
    now = utcnow()
    db.session.execute(insert(Post), [
        {"thread_id": thread.id, "author_id": author.id, "body_md": f"Reply {i}", "body_html": f"<p>Reply {i}</p>",
         "created_at": now, "anonymous": False, "vote_count": 0, "hidden_reason": ""}
        for i in range(count)
    ])  # fmt: skip
    thread.reply_count += count
    thread.last_post_id = db.session.scalar(db.select(db.func.max(Post.id)).where(Post.thread_id == thread.id))
    db.session.commit()


def bulk_threads(course, author, count):
    now = utcnow()
    db.session.execute(insert(Thread), [
        {"course_id": course.id, "author_id": author.id, "title": f"Thread {i}", "kind": "discussion",
         "created_at": now, "last_activity_at": now, "reply_count": i % 7, "vote_count": 0, "anonymous": i % 3 == 0,
         "pinned": False, "locked": False, "lock_reason": "", "last_post_id": i}
        for i in range(count)
    ])  # fmt: skip
    db.session.commit()


@pytest.fixture
def world(app, make_user):
    return World(make_user)


@pytest.fixture
def use(client, login):
    """use(user): log the test client out, then in as that user."""

    def switch(user):
        client.post("/auth/logout")
        if user is not None:
            login(user)

    return switch
