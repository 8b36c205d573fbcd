"""Loading discussion objects from a URL with the access check right there (no IDOR: ids must belong to
the course in the URL)."""

from functools import cache

from flask import abort, url_for
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from lms.discussion import queries
from lms.extensions import db
from lms.models import Course, Lesson
from lms.models.discussion import Post, Thread
from lms.permissions import can_view_course_page, member_params, remember_membership, with_membership


@cache
def _course_statement():
    # Built once: every discussion page runs it.
    return with_membership(select(Course).where(Course.slug == bindparam("slug")))


def load_course(slug):
    """The course and the viewer context (the membership read with the course); 404 for an unknown course,
    403 for people outside it."""
    row = db.session.execute(_course_statement(), {"slug": slug, **member_params(current_user)}).first()
    if row is None:
        abort(404)
    course, is_staff, enrolment = row
    remember_membership(current_user, course, is_staff, enrolment)
    viewer = queries.viewer_for(current_user, course)
    if viewer is None and not can_view_course_page(current_user, course):
        abort(404)  # e.g. a draft: as on its course page, nobody outside learns that it exists
    if viewer is None:
        abort(403, "The discussion is for learners enrolled in this course. Enrol on the course page to join in.")
    return course, viewer


def load_thread(course, thread_id):
    thread = db.get_or_404(Thread, thread_id, options=[joinedload(Thread.author)])  # the byline needs it
    if thread.course_id != course.id:
        abort(404)  # a thread of another course is never reachable through this course's URL
    return thread


@cache
def _thread_for_reader_statement():
    user = bindparam("user_id")
    return (
        select(Thread, queries.last_read_subquery(user), queries.following_subquery(user))
        .where(Thread.id == bindparam("thread_id"))
        .options(joinedload(Thread.author))
    )


def load_thread_for_reader(course, thread_id, user):
    """The thread (404 outside this course) with how far the user has read it and whether they follow it,
    in one query: (thread, last_read_post_id, following)."""
    row = db.session.execute(_thread_for_reader_statement(), {"thread_id": thread_id, "user_id": user.id}).first()
    if row is None or row[0].course_id != course.id:
        abort(404)
    thread, last_read, following = row
    return thread, last_read or 0, bool(following)


def load_post(course, thread, post_id):
    post = db.get_or_404(Post, post_id)
    if post.thread_id != thread.id:
        abort(404)
    return post


def load_lesson(course, lesson_id):
    if not lesson_id:
        return None
    lesson = db.session.get(Lesson, lesson_id)
    if lesson is None or lesson.course_id != course.id or lesson.archived_at is not None:
        return None
    return lesson


def require_author(post):
    if post.author_id != current_user.id:
        abort(403, "Only the author can do that.")


def thread_url(course, thread, **kwargs):
    return url_for("discussion.thread", slug=course.slug, thread_id=thread.id, **kwargs)


def post_anchor_url(course, thread, post):
    page = queries.page_of_post(thread, post)
    return url_for("discussion.thread", slug=course.slug, thread_id=thread.id, page=page if page > 1 else None,
                   _anchor=f"post-{post.id}")  # fmt: skip

