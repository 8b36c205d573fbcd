"""Discussion models (threads, posts, votes, follows, read marks, reports).

A thread's opening post holds its body (Thread.first_post_id); every later post is a reply. Counters that
lists sort or show (reply_count, vote_count, last_post_id, last_activity_at) are denormalised on the thread
so the board never counts rows per thread.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.database import utcnow
from lms.extensions import db

THREAD_KINDS = ("discussion", "question")


class Thread(db.Model):
    __tablename__ = "discussion_threads"
    __table_args__ = (
        CheckConstraint("kind IN ('discussion', 'question')", name="kind"),
        # The board: pinned first, then recent activity, per course (and per lesson under a lesson page).
        Index("ix_discussion_threads_board", "course_id", "pinned", "last_activity_at"),
        Index("ix_discussion_threads_lesson", "lesson_id", "last_activity_at"),
        Index("ix_discussion_threads_author", "author_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id", ondelete="SET NULL"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="discussion")
    anonymous: Mapped[bool] = mapped_column(default=False)
    pinned: Mapped[bool] = mapped_column(default=False)
    locked: Mapped[bool] = mapped_column(default=False)
    lock_reason: Mapped[str] = mapped_column(String(300), default="")
    first_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("discussion_posts.id", ondelete="SET NULL", use_alter=True)
    )
    accepted_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("discussion_posts.id", ondelete="SET NULL", use_alter=True)
    )
    last_post_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    reply_count: Mapped[int] = mapped_column(default=0)
    vote_count: Mapped[int] = mapped_column(default=0)

    author: Mapped["User | None"] = relationship(foreign_keys=[author_id])  # noqa: F821
    lesson: Mapped["Lesson | None"] = relationship()  # noqa: F821

    @property
    def is_question(self):
        return self.kind == "question"


class Post(db.Model):
    __tablename__ = "discussion_posts"
    __table_args__ = (
        # Replies are read in id order (insertion order) per thread.
        Index("ix_discussion_posts_thread_id", "thread_id", "id"),
        Index("ix_discussion_posts_author", "author_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("discussion_threads.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body_md: Mapped[str] = mapped_column(Text, default="")
    # render_markdown(body_md, ugc=True) with @mentions linked, made once on save.
    body_html: Mapped[str] = mapped_column(Text, default="")
    quoted_post_id: Mapped[int | None] = mapped_column(ForeignKey("discussion_posts.id", ondelete="SET NULL"))
    anonymous: Mapped[bool] = mapped_column(default=False)
    vote_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]  # "removed by author": the row stays so replies keep their context
    hidden_at: Mapped[datetime | None]
    hidden_reason: Mapped[str] = mapped_column(String(300), default="")
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    author: Mapped["User | None"] = relationship(foreign_keys=[author_id])  # noqa: F821
    thread: Mapped[Thread] = relationship(foreign_keys=[thread_id])


class PostVote(db.Model):
    __tablename__ = "discussion_post_votes"
    __table_args__ = (UniqueConstraint("post_id", "user_id"), Index("ix_discussion_post_votes_user", "user_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("discussion_posts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ThreadFollow(db.Model):
    __tablename__ = "discussion_thread_follows"
    __table_args__ = (UniqueConstraint("thread_id", "user_id"), Index("ix_discussion_thread_follows_user", "user_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("discussion_threads.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BoardFollow(db.Model):
    __tablename__ = "discussion_board_follows"
    __table_args__ = (UniqueConstraint("course_id", "user_id"), Index("ix_discussion_board_follows_user", "user_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ThreadRead(db.Model):
    """Read mark per (user, thread), FlaskBB-style: everything up to last_read_post_id has been seen."""

    __tablename__ = "discussion_thread_reads"
    __table_args__ = (UniqueConstraint("user_id", "thread_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    thread_id: Mapped[int] = mapped_column(ForeignKey("discussion_threads.id", ondelete="CASCADE"), index=True)
    last_read_post_id: Mapped[int] = mapped_column(default=0)
    last_read_at: Mapped[datetime] = mapped_column(default=utcnow)


class PostReport(db.Model):
    __tablename__ = "discussion_post_reports"
    __table_args__ = (Index("ix_discussion_post_reports_open", "course_id", "resolved_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # course_id is denormalised so the staff queue is one indexed query per course.
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(ForeignKey("discussion_posts.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(500))
    # The post's stored HTML when it was first reported: what the moderators judge, even after its author edits
    # or deletes it (a deleted post keeps no text).
    reported_html: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolution: Mapped[str] = mapped_column(String(300), default="")

    post: Mapped[Post] = relationship()
    reporter: Mapped["User | None"] = relationship(foreign_keys=[reporter_id])  # noqa: F821


def _install_search(target, connection, **kw):
    from lms.discussion.search import create_search_ddl

    create_search_ddl(connection)


event.listen(db.metadata, "after_create", _install_search)
