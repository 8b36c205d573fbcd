"""Moderation rules (course staff and admins): pin, lock, hide, move, reports. Every action is audited."""

from sqlalchemy import select

from lms.database import utcnow
from lms.discussion import events, services
from lms.discussion.people import path_for
from lms.extensions import db
from lms.models.discussion import PostReport
from lms.notify import audit


def _thread_url(course, thread):
    return path_for("discussion.thread", slug=course.slug, thread_id=thread.id)


def set_pinned(course, thread, actor, pinned):
    thread.pinned = pinned
    audit(actor, "discussion.pin" if pinned else "discussion.unpin", target=thread, course=course, detail=thread.title)


def lock_thread(course, thread, actor, reason):
    thread.locked, thread.lock_reason = True, reason
    audit(actor, "discussion.lock", target=thread, course=course, detail=f"{thread.title}: {reason}")
    events.moderated(course, thread, thread.author_id, actor,
                     f"Your thread “{thread.title}” was locked: {reason}", _thread_url(course, thread))  # fmt: skip


def unlock_thread(course, thread, actor):
    thread.locked, thread.lock_reason = False, ""
    audit(actor, "discussion.unlock", target=thread, course=course, detail=thread.title)


def rename_thread(course, thread, actor, title, reason):
    """Replace a thread's title: hiding the opening post leaves its title on the board and the thread page. The
    audit entry keeps the old title."""
    old_title, thread.title = thread.title, title.strip()
    audit(actor, "discussion.rename", target=thread, course=course,
          detail=f"{old_title} -> {thread.title}: {reason}")  # fmt: skip
    events.retitled(course, thread, old_title)
    events.moderated(course, thread, thread.author_id, actor,
                     f"A moderator renamed your thread to “{thread.title}”: {reason}", _thread_url(course, thread))  # fmt: skip


def hide_post(course, thread, post, actor, reason):
    if services.counts_toward_thread(post):
        services.add_thread_votes(thread, -post.vote_count)
    post.hidden_at, post.hidden_reason, post.hidden_by_id = utcnow(), reason, actor.id
    if thread.accepted_post_id == post.id:
        thread.accepted_post_id = None
    audit(actor, "discussion.hide", target=post, course=course, detail=f"{thread.title}: {reason}")
    events.post_withdrawn(course, post, staff_still_read=True)
    events.moderated(course, thread, post.author_id, actor,
                     f"A moderator hid your post in “{thread.title}”: {reason}",
                     events.post_url(course, post))  # fmt: skip


def unhide_post(course, thread, post, actor):
    was_hidden = post.hidden_at is not None
    post.hidden_at, post.hidden_reason, post.hidden_by_id = None, "", None
    if was_hidden and services.counts_toward_thread(post):
        services.add_thread_votes(thread, post.vote_count)
    audit(actor, "discussion.unhide", target=post, course=course, detail=thread.title)


def move_thread(course, thread, actor, lesson):
    thread.lesson_id = lesson.id if lesson is not None else None
    where = lesson.title if lesson is not None else "the general board"
    audit(actor, "discussion.move", target=thread, course=course, detail=f"{thread.title} -> {where}")
    events.moderated(course, thread, thread.author_id, actor,
                     f"Your thread “{thread.title}” was moved to {where}", _thread_url(course, thread))  # fmt: skip


def report_post(course, post, reporter, reason):
    """A report for the staff queue, of which the course's moderators are told. A reader's second report of a post
    still open in the queue adds their new reason to it instead of a second entry (a double click, or a reader
    insisting), and tells no one again."""
    report = db.session.scalar(
        select(PostReport).where(PostReport.post_id == post.id, PostReport.reporter_id == reporter.id,
                                 PostReport.resolved_at.is_(None))
    )  # fmt: skip
    if report is None:
        report = PostReport(course_id=course.id, post_id=post.id, reporter_id=reporter.id, reason=reason,
                            reported_html=post.body_html)  # fmt: skip
        db.session.add(report)
        events.post_reported(course, post.thread, post, reporter)
    elif reason and reason not in report.reason:
        report.reason = f"{report.reason} / {reason}"[:500]
    return report


def resolve_report(course, report, actor, resolution=""):
    report.resolved_at, report.resolved_by_id, report.resolution = utcnow(), actor.id, resolution
    audit(actor, "discussion.resolve_report", target=report, course=course, detail=resolution or report.reason)
