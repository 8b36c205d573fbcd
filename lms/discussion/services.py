"""Discussion rules: posting, editing, votes, accepted answers, following and read marks.

No request or session access here; views pass the acting user and commit once.
"""

from datetime import timedelta
from functools import cache

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError

from lms import database
from lms.content import render_markdown
from lms.database import upsert, utcnow
from lms.discussion import events
from lms.discussion.people import addressed, find_mentioned_members, link_mentions
from lms.extensions import db
from lms.models import AuditEntry
from lms.models.discussion import BoardFollow, Post, PostVote, Thread, ThreadFollow, ThreadRead
from lms.throttle import is_throttled, record_hit

MAX_BODY = 20_000
MAX_TITLE = 200
# The same form sent again this soon (a double click, or back and send again) is the post already made.
RESENT_WITHIN = timedelta(minutes=10)


class DiscussionError(Exception):
    """A rule was broken; the message is safe to show to the user."""


class PostingTooFast(DiscussionError):
    pass


def render_body(course, source):
    """Stored HTML of a post: sanitized Markdown with links to mentioned members. Returns (html, members)."""
    members = find_mentioned_members(course, source)
    return str(render_markdown(link_mentions(source, members), ugc=True)), members


def check_posting_rate(user):
    if is_throttled("POSTING_LIMIT", user.id):
        raise PostingTooFast(
            "You are posting faster than we allow (to keep spam out). Please wait a few minutes and try again; "
            "your text is still in the form."
        )


def _count_post(user):
    record_hit("POSTING_LIMIT", user.id)


def _just_posted(author, body, now, *conditions):
    """The author's own post of exactly this text made moments ago (and not removed since), or None."""
    return db.session.scalars(
        select(Post)
        .where(Post.author_id == author.id, Post.body_md == body, Post.created_at >= now - RESENT_WITHIN,
               Post.deleted_at.is_(None), *conditions)
        .order_by(Post.id.desc())
        .limit(1)
    ).first()  # fmt: skip


def create_thread(course, author, *, title, body, kind="discussion", lesson=None, anonymous=False):
    now = utcnow()
    resent = _just_posted(author, body, now, Post.thread_id == Thread.id, Thread.first_post_id == Post.id,
                          Thread.course_id == course.id, Thread.title == title.strip())  # fmt: skip
    if resent is not None:
        return db.session.get(Thread, resent.thread_id)
    check_posting_rate(author)
    thread = Thread(
        course_id=course.id, lesson_id=lesson.id if lesson else None, author_id=author.id, title=title.strip(),
        kind=kind, anonymous=anonymous, created_at=now, last_activity_at=now,
    )  # fmt: skip
    db.session.add(thread)
    db.session.flush()
    html, members = render_body(course, body)
    post = Post(thread_id=thread.id, author_id=author.id, body_md=body, body_html=html, anonymous=anonymous,
                created_at=now)  # fmt: skip
    db.session.add(post)
    db.session.flush()
    thread.first_post_id = thread.last_post_id = post.id
    follow_thread(thread, author)
    mark_read(thread, author, post.id)
    _count_post(author)
    db.session.flush()
    events.post_created(course, thread, post, author, mentioned=addressed(body, members).values(), new_thread=True)
    return thread


def add_reply(course, thread, author, *, body, anonymous=False, quoted_post=None, author_is_staff=False):
    if thread.locked and not author_is_staff:
        raise DiscussionError(f"This thread is locked: {thread.lock_reason or 'no new replies'}.")
    now = utcnow()
    # Only while it is still the thread's last post: the same short text ("Thanks!") after someone else's reply
    # is a new reply, not the form sent again.
    last_post = select(Thread.last_post_id).where(Thread.id == thread.id).scalar_subquery()
    resent = _just_posted(author, body, now, Post.thread_id == thread.id, Post.id != thread.first_post_id,
                          Post.id == last_post)  # fmt: skip
    if resent is not None:
        return resent
    check_posting_rate(author)
    html, members = render_body(course, body)
    post = Post(
        thread_id=thread.id, author_id=author.id, body_md=body, body_html=html, anonymous=anonymous,
        quoted_post_id=quoted_post.id if quoted_post is not None else None, created_at=now,
    )  # fmt: skip
    db.session.add(post)
    db.session.flush()
    # SQL-side increments: two replies at once both count.
    db.session.execute(
        update(Thread)
        .where(Thread.id == thread.id)
        .values(reply_count=Thread.reply_count + 1, last_post_id=post.id, last_activity_at=now)
    )
    db.session.refresh(thread)
    follow_thread(thread, author)
    mark_read(thread, author, post.id)
    _count_post(author)
    events.post_created(course, thread, post, author, mentioned=addressed(body, members).values(), new_thread=False)
    return post


def quote_markdown(post, label):
    """The reply box prefilled with a quoted post as a Markdown blockquote."""
    lines = (post.body_md or "").strip().splitlines() or [""]
    quoted = "\n".join(f"> {line}" if line else ">" for line in lines)
    return f"> **{label}** wrote:\n>\n{quoted}\n\n"


def edit_post(course, thread, post, editor, *, body, title=None):
    if post.deleted_at is not None:
        raise DiscussionError("This post was removed and can no longer be edited.")
    old_members = addressed(post.body_md, find_mentioned_members(course, post.body_md))
    html, members = render_body(course, body)
    post.body_md, post.body_html, post.edited_at = body, html, utcnow()
    if title is not None and post.id == thread.first_post_id:
        thread.title = title.strip()
    new_mentions = [user for key, user in addressed(body, members).items() if key not in old_members]
    db.session.flush()
    events.mentioned_in_edit(course, thread, post, editor, new_mentions)
    return post


def renamed_by_moderator(thread):
    """Whether staff replaced the thread's title (lms.discussion.moderation.rename_thread, which audits it): its
    author then no longer changes it, or an edit of the opening post would put the old title back."""
    return db.session.scalar(
        select(AuditEntry.id).where(AuditEntry.action == "discussion.rename", AuditEntry.target_type == "thread",
                                    AuditEntry.target_id == thread.id).limit(1)
    ) is not None  # fmt: skip


def delete_post(course, thread, post):
    """Removed by author: the text goes, the row stays so replies (and quotes of it) keep their place."""
    if counts_toward_thread(post):
        add_thread_votes(thread, -post.vote_count)
    post.deleted_at = utcnow()
    post.body_md, post.body_html = "", ""
    if thread.accepted_post_id == post.id:
        thread.accepted_post_id = None
    events.post_withdrawn(course, post, staff_still_read=False)
    return post


def toggle_vote(post, user):
    """Upvote as helpful, or take the vote back. True when the user now has a vote on the post."""
    if post.author_id == user.id:
        raise DiscussionError("You cannot mark your own post as helpful.")
    removed = db.session.execute(delete(PostVote).where(PostVote.post_id == post.id, PostVote.user_id == user.id))
    if removed.rowcount:
        _add_votes(post, -1)
        return False
    try:
        with db.session.begin_nested():
            db.session.add(PostVote(post_id=post.id, user_id=user.id))
    except IntegrityError:
        return True  # a double click from another tab voted first; the unique constraint keeps it at one
    _add_votes(post, 1)
    return True


def _add_votes(post, delta):
    db.session.execute(update(Post).where(Post.id == post.id).values(vote_count=Post.vote_count + delta))
    if counts_toward_thread(post):  # staff may still vote on a hidden post; unhiding it adds its votes then
        db.session.execute(
            update(Thread).where(Thread.id == post.thread_id).values(vote_count=Thread.vote_count + delta)
        )


def counts_toward_thread(post):
    """Whether the post's votes are in its thread's vote count (the board's "helpful", its "Most helpful" sort):
    only posts everyone can read count, so removing or hiding a post takes its votes out, and unhiding it puts
    them back (add_thread_votes)."""
    return post.deleted_at is None and post.hidden_at is None


def add_thread_votes(thread, delta):
    if delta:
        db.session.execute(update(Thread).where(Thread.id == thread.id).values(vote_count=Thread.vote_count + delta))


def set_accepted(course, thread, post, actor):
    """Mark (or unmark, when it already is) the accepted answer of a question."""
    if not thread.is_question:
        raise DiscussionError("Only questions have an accepted answer.")
    if post.id == thread.first_post_id or post.deleted_at is not None or post.hidden_at is not None:
        raise DiscussionError("That post cannot be the accepted answer.")
    if thread.accepted_post_id == post.id:
        thread.accepted_post_id = None
        return False
    thread.accepted_post_id = post.id
    db.session.flush()
    events.answer_accepted(course, thread, post, actor)
    return True


def is_following(thread, user):
    return db.session.scalar(
        select(ThreadFollow.id).where(ThreadFollow.thread_id == thread.id, ThreadFollow.user_id == user.id)
    ) is not None


def follow_thread(thread, user):
    if is_following(thread, user):
        return
    try:
        with db.session.begin_nested():
            db.session.add(ThreadFollow(thread_id=thread.id, user_id=user.id))
    except IntegrityError:
        pass  # already following (another request was first)


def unfollow_thread(thread, user):
    db.session.execute(delete(ThreadFollow).where(ThreadFollow.thread_id == thread.id, ThreadFollow.user_id == user.id))


def is_following_board(course, user):
    return database.rows(_board_follow_statement(), {"course_id": course.id, "user_id": user.id}).first() is not None


@cache
def _board_follow_statement():
    return select(BoardFollow.id).where(BoardFollow.course_id == bindparam("course_id"),
                                        BoardFollow.user_id == bindparam("user_id"))  # fmt: skip


def set_board_follow(course, user, follow):
    if not follow:
        db.session.execute(
            delete(BoardFollow).where(BoardFollow.course_id == course.id, BoardFollow.user_id == user.id)
        )
    elif not is_following_board(course, user):
        try:
            with db.session.begin_nested():
                db.session.add(BoardFollow(course_id=course.id, user_id=user.id))
        except IntegrityError:
            pass


def mark_read(thread, user, up_to_post_id, last_read=None):
    """Move the user's read mark forward to up_to_post_id; never backwards. One upsert, safe when the thread
    is open in two tabs at once; no write at all when the caller knows the mark is already there."""
    if last_read is not None and up_to_post_id <= last_read:
        return
    db.session.execute(_read_mark_upsert(), {"thread_id": thread.id, "user_id": user.id,
                                             "last_read_post_id": up_to_post_id, "last_read_at": utcnow()})  # fmt: skip


@cache
def _read_mark_upsert():
    return upsert(
        ThreadRead.__table__, ("thread_id", "user_id", "last_read_post_id", "last_read_at"), ("user_id", "thread_id"),
        {"last_read_post_id": "CASE WHEN excluded.last_read_post_id > discussion_thread_reads.last_read_post_id "
                              "THEN excluded.last_read_post_id ELSE discussion_thread_reads.last_read_post_id END",
         "last_read_at": "excluded.last_read_at"},
    )  # fmt: skip


# --- Contract functions for other features ---------------------------------------------------------------


def recent_threads_for_lesson(lesson, viewer, limit=5):
    """Threads attached to a lesson, newest activity first, as shown under the lesson page.

    Each item: thread, byline (anonymity respected), reply_count, unread. One query.
    """
    from lms.discussion.queries import thread_rows, thread_summaries, viewer_for

    course = lesson.course
    context = viewer_for(viewer, course)
    if context is None:
        return []
    threads = thread_summaries(_lesson_threads_statement(), {"course_id": course.id, "lesson_id": lesson.id,
                                                            "user_id": context.user_id, "limit": limit})  # fmt: skip
    return thread_rows(threads, context)


@cache
def _lesson_threads_statement():
    """Built once per process: every lesson page runs it (building it took a third of its cost)."""
    from lms.discussion.queries import thread_summaries_statement

    return (
        thread_summaries_statement()
        .where(Thread.course_id == bindparam("course_id"), Thread.lesson_id == bindparam("lesson_id"))
        .order_by(Thread.pinned.desc(), Thread.last_activity_at.desc(), Thread.id.desc())
        .limit(bindparam("limit"))
    )


def recent_replies_for_user(user, limit=5):
    """Recent replies by others in threads the user authored or follows, for the dashboard.

    Each item: dict(course_slug, course_title, thread_title, author_label, created_at, url, excerpt).
    """
    from lms.discussion.queries import recent_replies

    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return recent_replies(user, limit)

