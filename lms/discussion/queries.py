"""Read side of the discussion: board lists, thread pages, search results and dashboard feeds.

Every function here runs a fixed number of queries whatever the amount of data: authors are joined,
read marks and the viewer's votes are fetched for a whole page in one query each.
"""

from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from sqlalchemy import Integer, bindparam, func, or_, select, true, union, union_all
from sqlalchemy.orm import joinedload

from lms import database
from lms.discussion import search
from lms.discussion.people import Byline, Viewer, byline, path_for
from lms.extensions import db
from lms.models import Block, Course, CourseStaff, Enrolment, User
from lms.models.discussion import Post, PostReport, PostVote, Thread, ThreadFollow, ThreadRead
from lms.pagination import ListPage
from lms.permissions import can_take_course, is_course_staff
from lms.syllabus import syllabus

THREADS_PER_PAGE = 25
POSTS_PER_PAGE = 50
FILTERS = ("all", "unanswered", "following", "mine")
SORTS = ("recent", "top")


def viewer_for(user, course):
    """Viewer context, or None when the user may not read this course's discussion."""
    if is_course_staff(user, course):
        return Viewer(user.id, True)
    if not can_take_course(user, course):
        return None
    return Viewer(user.id, False)


class PostAuthor(NamedTuple):
    """An author as bylines need them (lms/discussion/people.py), read with the post or thread."""

    id: int
    display_name: str


def _author(author_id, name):
    """The author of a post or thread read as a plain row; None once the account is deleted."""
    return PostAuthor(author_id, name) if author_id is not None else None


class ThreadSummary(NamedTuple):
    """What a thread list shows of a thread, read as a plain row with its author's name and the reader's read
    mark: a board page of 25 threads and their authors as ORM objects cost about three times as much to load."""

    id: int
    title: str
    kind: str
    pinned: bool
    locked: bool
    accepted_post_id: int | None
    last_activity_at: object
    vote_count: int
    reply_count: int
    last_post_id: int | None
    lesson_id: int | None
    anonymous: bool
    author_id: int | None
    author_name: str | None
    last_read_post_id: int | None  # the reader's (:user_id) read mark; None when never opened or no reader

    @property
    def is_question(self):
        return self.kind == "question"

    @property
    def author(self):
        return _author(self.author_id, self.author_name)


@cache
def thread_summaries_statement():
    """Select ThreadSummary rows for the reader :user_id; callers add their conditions, order and limit."""
    return select(
        Thread.id, Thread.title, Thread.kind, Thread.pinned, Thread.locked, Thread.accepted_post_id,
        Thread.last_activity_at, Thread.vote_count, Thread.reply_count, Thread.last_post_id, Thread.lesson_id,
        Thread.anonymous, Thread.author_id, User.display_name, last_read_subquery(bindparam("user_id")),
    ).outerjoin(User, User.id == Thread.author_id)  # fmt: skip


def thread_summaries(statement, params=None):
    return [ThreadSummary._make(row) for row in database.rows(statement, params).all()]


@dataclass
class ThreadRow:
    thread: ThreadSummary
    byline: Byline
    reply_count: int
    unread: bool
    url: str = ""
    lesson_title: str = ""

    @property
    def fragment_key(self):
        """Everything the row's HTML in thread_list (discussion/_macros.html) shows, with the course and
        show_lesson, which the macro adds: the key it is kept under by lms/fragments.py."""
        t = self.thread
        return (t.id, t.title, t.kind, t.pinned, t.accepted_post_id, t.locked, t.last_activity_at, t.vote_count,
                self.reply_count, self.unread, self.byline, self.lesson_title)  # fmt: skip


def thread_rows(threads, viewer):
    """Wrap threads (read for this viewer, with their read marks) for a list: byline, reply count, unread flag."""
    return [
        ThreadRow(thread, byline(thread.author, thread.anonymous, viewer), thread.reply_count,
                  (thread.last_post_id or 0) > (thread.last_read_post_id or 0))
        for thread in threads
    ]  # fmt: skip


@cache
def _board_statements(filter_, sort, by_lesson):
    """(page of threads, count) for one kind of board view, built once per process: building them took as long
    as running them. Values come as parameters: course_id, lesson_id, user_id, offset."""
    conditions = [Thread.course_id == bindparam("course_id")]
    if by_lesson:
        conditions.append(Thread.lesson_id == bindparam("lesson_id"))
    user_id = bindparam("user_id")
    if filter_ == "unanswered":
        conditions += [Thread.kind == "question", Thread.accepted_post_id.is_(None)]
    elif filter_ == "following":
        conditions.append(Thread.id.in_(select(ThreadFollow.thread_id).where(ThreadFollow.user_id == user_id)))
    elif filter_ == "mine":
        conditions.append(Thread.author_id == user_id)
    order = [Thread.pinned.desc()]
    if sort == "top":
        order.append(Thread.vote_count.desc())
    order += [Thread.last_activity_at.desc(), Thread.id.desc()]
    # The count rides along on every row as an uncorrelated subquery, which the database runs once.
    count = select(func.count(Thread.id)).where(*conditions).scalar_subquery()
    threads = thread_summaries_statement().add_columns(count).where(*conditions).order_by(*order)
    return threads.limit(THREADS_PER_PAGE).offset(bindparam("offset")), select(count)


def board_page(course, viewer, *, filter_="all", sort="recent", lesson_id=None, page=1):
    """A page of the board's threads and how many there are, in one statement (a page past the last, which has
    no rows to carry the count, asks for it separately)."""
    page_statement, count_statement = _board_statements(filter_, sort, lesson_id is not None)
    params = {"course_id": course.id, "lesson_id": lesson_id, "user_id": viewer.user_id,
              "offset": (page - 1) * THREADS_PER_PAGE}  # fmt: skip
    # Authors are joined (no query per row for the byline); lesson tags come from the in-memory syllabus.
    found = database.rows(page_statement, params).all()
    threads = [ThreadSummary._make(row[:-1]) for row in found]
    if found:
        total = found[0][-1]
    else:
        total = database.rows(count_statement, params).scalar() if page > 1 else 0
    rows = thread_rows(threads, viewer)
    titles = {lesson.id: lesson.title for lesson in syllabus(course)}  # archived lessons get no tag
    for row in rows:
        row.lesson_title = titles.get(row.thread.lesson_id, "")
    return ListPage(page, THREADS_PER_PAGE, total), rows


class PostSummary(NamedTuple):
    """What a thread page shows of a post (discussion/_post.html), read as a plain row with its author's
    name: a page of 50 posts and their authors as ORM objects cost three times as much to load."""

    id: int
    author_id: int | None
    anonymous: bool
    body_html: str
    vote_count: int
    created_at: object
    edited_at: object
    deleted_at: object
    hidden_at: object
    hidden_reason: str
    author_name: str | None


@cache
def _post_summaries_statement():
    return select(
        Post.id, Post.author_id, Post.anonymous, Post.body_html, Post.vote_count, Post.created_at, Post.edited_at,
        Post.deleted_at, Post.hidden_at, Post.hidden_reason, User.display_name,
    ).outerjoin(User, User.id == Post.author_id)  # fmt: skip


@dataclass
class PostView:
    post: PostSummary
    byline: Byline
    voted: bool = False
    is_opening: bool = False
    is_accepted: bool = False
    fragment_key: tuple = ()  # what its rendered HTML is kept under (lms/fragments.py); see _post_views


def _post_views(posts, viewer, thread, voted_ids):
    """Each post with how this viewer sees it. Its fragment key names every value discussion/_post.html shows
    or decides on (thread.html adds the course's slug), so an edit, vote, hide, rename, lock or accepted
    answer is a new key: whatever that template starts to read must be added here."""
    shared = (thread.id, thread.locked, thread.is_question, thread.author_id == viewer.user_id, viewer.is_staff)
    views = []
    for p in posts:
        view = PostView(p, byline(_author(p.author_id, p.author_name), p.anonymous, viewer), p.id in voted_ids,
                        p.id == thread.first_post_id, p.id == thread.accepted_post_id)  # fmt: skip
        # The post itself is every column the template reads (PostSummary), so it goes into the key whole.
        view.fragment_key = (shared, p, p.author_id == viewer.user_id, view.byline, view.voted, view.is_opening,
                             view.is_accepted)  # fmt: skip
        views.append(view)
    return views


def _reply_conditions():
    """The posts of thread :thread_id other than the :excluded ones (see _reply_params)."""
    return Post.thread_id == bindparam("thread_id"), Post.id.not_in(bindparam("excluded", expanding=True))


def _reply_params(thread):
    """A thread's replies are its posts other than the opening post and the accepted answer, which are shown on
    top of page 1."""
    return {"thread_id": thread.id, "excluded": [i for i in (thread.first_post_id, thread.accepted_post_id) if i]}


def last_read_subquery(user_id):
    """For a select over Thread: the user's read mark on each thread (NULL when never opened)."""
    return (
        select(ThreadRead.last_read_post_id)
        .where(ThreadRead.thread_id == Thread.id, ThreadRead.user_id == user_id)
        .scalar_subquery()
    )


def following_subquery(user_id):
    """For a select over Thread: whether the user follows each thread."""
    return select(ThreadFollow.id).where(ThreadFollow.thread_id == Thread.id, ThreadFollow.user_id == user_id).exists()


@cache
def _thread_page_statement():
    """The thread page's posts in one statement, built once per process: the opening post and accepted answer
    (:top_ids, page 1 only) and a page of the other replies in id order (_reply_conditions), each with whether
    the reader (:user_id) found it helpful."""
    replies_page = (
        select(Post.id)
        .where(*_reply_conditions())
        .order_by(Post.id)
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
        .subquery("replies_page")
    )
    top = select(Post.id).where(Post.id.in_(bindparam("top_ids", expanding=True)))
    # One list of ids, so each database looks the posts up by primary key (with an OR of the two conditions
    # PostgreSQL scanned every post).
    page_ids = union_all(select(replies_page.c.id), top).subquery("page_ids")
    voted = select(PostVote.id).where(PostVote.post_id == Post.id, PostVote.user_id == bindparam("user_id")).exists()
    return _post_summaries_statement().add_columns(voted).where(Post.id.in_(select(page_ids.c.id)))


def thread_page(thread, viewer, page=1):
    """Opening post and accepted answer (on page 1) plus one page of the other replies, in id order.
    A page past the last shows no replies (as a list's pages do), rather than an error."""
    reply_params = _reply_params(thread)
    top_ids = reply_params["excluded"] if page == 1 else []
    rows = database.rows(_thread_page_statement(), {
        **reply_params, "top_ids": top_ids, "user_id": viewer.user_id, "limit": POSTS_PER_PAGE,
        "offset": (page - 1) * POSTS_PER_PAGE,
    }).all()  # fmt: skip
    voted = {row[0] for row in rows if row[-1]}
    posts = sorted((PostSummary._make(row[:-1]) for row in rows), key=lambda p: p.id)
    # The opening post, then the accepted answer, then the replies in id order.
    top = sorted((p for p in posts if p.id in top_ids), key=lambda p: p.id != thread.first_post_id)
    replies = [p for p in posts if p.id not in top_ids]
    # The thread keeps its reply count, so the page needs no COUNT over the posts.
    page_obj = ListPage(page, POSTS_PER_PAGE, max(0, thread.reply_count - (1 if thread.accepted_post_id else 0)))
    views = _post_views(top + replies, viewer, thread, voted)
    return page_obj, views[: len(top)], views[len(top) :]


def page_of_post(thread, post):
    """Where a post appears: (page, anchor). Opening post and accepted answer are on page 1."""
    if post.id in (thread.first_post_id, thread.accepted_post_id):
        return 1
    before = database.rows(_replies_before_statement(), {**_reply_params(thread), "post_id": post.id}).scalar()
    return before // POSTS_PER_PAGE + 1


@cache
def _replies_before_statement():
    return select(func.count(Post.id)).where(*_reply_conditions(), Post.id < bindparam("post_id"))


def first_unread_post(thread, last_read_post_id):
    return db.session.scalar(
        select(Post).where(Post.thread_id == thread.id, Post.id > last_read_post_id).order_by(Post.id).limit(1)
    )


def course_lessons(course):
    """Lessons a thread can be attached to (id, title), in syllabus order; from the in-memory syllabus."""
    return syllabus(course)


def open_reports(course):
    return db.session.scalars(
        select(PostReport)
        .where(PostReport.course_id == course.id, PostReport.resolved_at.is_(None))
        .options(joinedload(PostReport.reporter), joinedload(PostReport.post).joinedload(Post.thread),
                 joinedload(PostReport.post).joinedload(Post.author))  # fmt: skip
        .order_by(PostReport.created_at, PostReport.id)
    ).all()


@dataclass
class SearchHit:
    post: Post
    byline: Byline
    title_html: object
    snippet_html: object


def search_page(course, viewer, query, page=1, per_page=20):
    """The page of search hits as a ListPage (items: SearchHit), so a page past the last can say so; None when
    the query has no word to look for (only punctuation or symbols)."""
    if not search.tokens(query):
        return None
    page = max(page, 1)
    offset = (page - 1) * per_page
    with_snippets, total = search.search_post_ids(
        db.session.connection(), course.id, query, include_hidden=viewer.is_staff, limit=per_page, offset=offset
    )
    ids = [row[0] for row in with_snippets]
    posts = {}
    if ids:
        posts = {p.id: p for p in db.session.scalars(
            select(Post).where(Post.id.in_(ids)).options(joinedload(Post.author), joinedload(Post.thread))
        )}  # fmt: skip
    hits = []
    for post_id, title_html, snippet_html in with_snippets:
        post = posts[post_id]
        hits.append(SearchHit(post, byline(post.author, post.anonymous, viewer), title_html, snippet_html))
    return ListPage(page, per_page, total, hits)


@cache
def _recent_replies_statement(for_admin):
    """Built once per process (the dashboard runs it on every visit)."""
    user_id = bindparam("user_id")
    own_threads = union(
        select(ThreadFollow.thread_id).where(ThreadFollow.user_id == user_id),
        select(Thread.id).where(Thread.author_id == user_id),
    ).subquery()
    enrolled = select(Enrolment.course_id).where(Enrolment.user_id == user_id, Enrolment.status == "active")
    staffed = select(CourseStaff.course_id).where(CourseStaff.user_id == user_id)
    # As for notifications (lms.discussion.events.post_created): no replies of someone blocked either way, except
    # in courses the user moderates (a learner cannot keep their posts from the staff by blocking them).
    blocked = union(
        select(Block.blocked_id).where(Block.blocker_id == user_id),
        select(Block.blocker_id).where(Block.blocked_id == user_id),
    ).subquery()
    # Plain rows (no ORM objects): only these columns are shown, and the dashboard runs it on every visit.
    return (
        select(Post.id, Post.author_id, Post.anonymous, Post.created_at, User.display_name, Thread.title, Course.id,
               Course.slug, Course.title, Course.id.in_(staffed))  # fmt: skip
        .join(Thread, Thread.id == Post.thread_id)
        .join(Course, Course.id == Thread.course_id)
        .outerjoin(User, User.id == Post.author_id)
        .where(
            Post.thread_id.in_(select(own_threads.c[0])),
            or_(Post.author_id.is_(None), Post.author_id != user_id),
            Post.id != Thread.first_post_id,
            Post.deleted_at.is_(None),
            Post.hidden_at.is_(None),
            true() if for_admin else or_(Course.id.in_(enrolled), Course.id.in_(staffed)),
            true() if for_admin else or_(Post.author_id.is_(None), Course.id.in_(staffed),
                                         Post.author_id.not_in(select(blocked.c[0]))),  # fmt: skip
        )
        .order_by(Post.id.desc())
        .limit(bindparam("limit"))
    )


def recent_replies(user, limit):
    """Replies by others in threads the user started or follows, in courses they still take part in."""
    # The user's threads (followed or started) first, so the posts are found through the (thread_id, id)
    # index instead of walking every post newest-first (slow on PostgreSQL with 100,000 posts).
    # Each row says whether the user is on the course's staff, which decides how anonymous posts are labelled.
    rows = database.rows(_recent_replies_statement(user.is_admin), {"user_id": user.id, "limit": limit}).all()
    items = []
    for post_id, author_id, anonymous, created_at, author_name, thread_title, _, slug, course_title, staff in rows:
        viewer = Viewer(user.id, user.is_admin or bool(staff))
        items.append({
            "course_slug": slug, "course_title": course_title, "thread_title": thread_title,
            "author_label": byline(_author(author_id, author_name), anonymous, viewer).label, "created_at": created_at,
            "url": path_for("discussion.goto_post", slug=slug, post_id=post_id),
        })  # fmt: skip
    return items

