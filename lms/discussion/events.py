"""Who hears about what: notifications for replies, mentions, accepted answers and moderation, and digests.

Each event notifies each person at most once (a follower who is also mentioned gets the mention only),
never the person who caused it, and only people who still take part in the course.
"""

import re
from collections import defaultdict

from sqlalchemy import delete, func, select, update

from lms.database import utcnow
from lms.discussion.people import Viewer, byline, member_ids, path_for, staff_ids
from lms.extensions import db
from lms.mail import send_mail
from lms.models import Block, Course, CourseStaff, Notification, User
from lms.models.discussion import BoardFollow, Post, ThreadFollow
from lms.notify import absolute_url, notify, shortened


def post_url(course, post):
    return path_for("discussion.goto_post", slug=course.slug, post_id=post.id)


def _label_for(recipient_id, staff, author, anonymous):
    return byline(author, anonymous, Viewer(recipient_id, recipient_id in staff)).label


def _send(course, recipients, make_message, url, actor=None):
    """recipients: {user_id: kind}, in priority order already resolved. One notification each."""
    ids = member_ids(course, recipients)
    if not ids:
        return
    users = db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.id)).all()
    staff = staff_ids(course)
    for user in users:
        kind = recipients[user.id]
        message = make_message(user.id, kind, staff)
        notify(user, kind, message, url, actor=actor,
               email_subject=f"Sparetime · {course.title}: {shortened(message, 60)}")


def _blocked_with(author, ids):
    """Those of `ids` with a block either way with `author` (one query)."""
    ids = list(ids)
    if not ids:
        return set()
    return set(db.session.scalars(
        select(Block.blocked_id).where(Block.blocker_id == author.id, Block.blocked_id.in_(ids))
        .union(select(Block.blocker_id).where(Block.blocked_id == author.id, Block.blocker_id.in_(ids)))
    ))  # fmt: skip


def _not_blocked(author, users):
    """Those of `users` with no block either way with `author`: a mention is a direct call, and blocking someone
    hides the two of you from each other (lms/peers/directory.py)."""
    users = list(users)
    blocked = _blocked_with(author, [user.id for user in users])
    return [user for user in users if user.id not in blocked]


def post_created(course, thread, post, author, *, mentioned, new_thread):
    """A new thread or reply: mentioned members, thread followers and board followers, once each."""
    recipients = {}
    for user in _not_blocked(author, mentioned):
        recipients.setdefault(user.id, "mention")
    followers = select(ThreadFollow.user_id).where(ThreadFollow.thread_id == thread.id)
    board = select(BoardFollow.user_id).where(BoardFollow.course_id == course.id)
    for user_id in db.session.scalars(followers.union(board)):
        recipients.setdefault(user_id, "new_thread" if new_thread else "reply")
    recipients.pop(author.id, None)
    # Nor do followers hear of the posts of someone they blocked (or who blocked them); the course's staff do,
    # so that a learner cannot keep their posts from the moderators by blocking them.
    if recipients:
        for user_id in _blocked_with(author, set(recipients) - staff_ids(course)):
            del recipients[user_id]

    def message(recipient_id, kind, staff):
        who = _label_for(recipient_id, staff, author, post.anonymous)
        if kind == "mention":
            return f"{who} mentioned you in “{thread.title}”"
        if kind == "new_thread":
            return f"{who} started “{thread.title}” in {course.title}"
        return f"{who} replied in “{thread.title}”"

    _send(course, recipients, message, post_url(course, post), author)


def mentioned_in_edit(course, thread, post, author, users):
    """People an edit newly mentions, except those this post has mentioned before: taking a mention out and
    putting it back, edit after edit, must not call them again each time."""
    url = post_url(course, post)
    recipients = {user.id: "mention" for user in _not_blocked(author, users) if user.id != author.id}
    if recipients:
        told = db.session.scalars(
            select(Notification.user_id).where(Notification.user_id.in_(recipients), Notification.url == url,
                                               Notification.kind == "mention")
        )  # fmt: skip
        for user_id in set(told):
            recipients.pop(user_id, None)

    def message(recipient_id, kind, staff):
        return f"{_label_for(recipient_id, staff, author, post.anonymous)} mentioned you in “{thread.title}”"

    _send(course, recipients, message, url, author)


def answer_accepted(course, thread, post, actor):
    """Tell the answer's author, once per answer: an asker who unmarks it and accepts it again (or goes back to it
    from another answer) must not call them again each time."""
    if post.author_id is None or post.author_id == actor.id:
        return
    url = post_url(course, post)
    told = db.session.scalar(
        select(Notification.id).where(Notification.user_id == post.author_id, Notification.url == url,
                                      Notification.kind == "accepted").limit(1)
    )  # fmt: skip
    if told is not None:
        return
    message = f"Your answer in “{thread.title}” was marked as the accepted answer"
    _send(course, {post.author_id: "accepted"}, lambda *_: message, url)


def post_reported(course, thread, post, reporter):
    """Tell the course's moderators (its staff and the admins) that a post waits in the report queue; not the
    reporter, nor the post's author should they be staff (the report is about them)."""
    recipients = {user_id: "post_report" for user_id in staff_ids(course) - {reporter.id, post.author_id}}
    message = f"A post in “{thread.title}” was reported by a learner in {course.title}."
    _send(course, recipients, lambda *_: message, path_for("discussion.reports", slug=course.slug))


def moderated(course, thread, author_id, actor, message, url):
    """Tell the author of moderated content what happened (not the moderator themself)."""
    if author_id is None or author_id == actor.id:
        return
    _send(course, {author_id: "moderation"}, lambda *_: message, url)


def retitled(course, thread, old_title):
    """The staff replaced a thread's title (an abusive one, say): the notifications already made about it quote
    the title, so they now quote the new one. Else the old title lives on in everyone's bell and in the digests
    still to be sent. Only notifications that link into this thread change: one query for its posts, one update."""
    post_ids = db.session.scalars(select(Post.id).where(Post.thread_id == thread.id))
    urls = [path_for("discussion.goto_post", slug=course.slug, post_id=post_id) for post_id in post_ids]
    urls.append(path_for("discussion.thread", slug=course.slug, thread_id=thread.id))
    quoted_old, quoted_new = f"“{old_title}”", f"“{thread.title}”"
    db.session.execute(
        update(Notification)
        .where(Notification.url.in_(urls), Notification.message.contains(quoted_old, autoescape=True))
        .values(message=func.substr(func.replace(Notification.message, quoted_old, quoted_new), 1, 500))
        .execution_options(synchronize_session=False)
    )


def post_withdrawn(course, post, *, staff_still_read):
    """A moderator hid the post, or its author removed it: the unread notices that point at it ("Tom mentioned you
    in ...", "... replied in ...") go, so that no bell or digest still calls readers to a post they can no longer
    read (read ones stay, as history). The course's staff still read a hidden post: theirs stay then. The author's
    own moderation notice is of another kind and stays."""
    conditions = [
        Notification.url == post_url(course, post),
        Notification.kind.in_(("mention", "reply", "new_thread")),
        Notification.read_at.is_(None),
    ]
    if staff_still_read:
        conditions.append(Notification.user_id.not_in(staff_ids(course)))
    db.session.execute(delete(Notification).where(*conditions), execution_options={"synchronize_session": False})


def blocked(blocker, other):
    """A block between the two, either way, silences the discussion notices one causes the other from now on
    (_not_blocked, post_created); the unread ones already waiting go too, so that no bell or digest still brings
    them. Except where the recipient moderates (staff hear of every post in their courses, admins everywhere):
    a learner cannot keep their posts from the staff by blocking them. Read ones stay, as history."""
    for recipient, actor in ((blocker, other), (other, blocker)):
        if recipient.is_admin:
            continue
        conditions = [
            Notification.user_id == recipient.id,  # the notifications' index is by user
            Notification.actor_id == actor.id,
            Notification.read_at.is_(None),
            Notification.kind.in_(("mention", "reply", "new_thread")),
        ]
        staffed = db.session.scalars(
            select(Course.slug).join(CourseStaff, CourseStaff.course_id == Course.id)
            .where(CourseStaff.user_id == recipient.id)
        )  # fmt: skip
        for slug in staffed:
            board = path_for("discussion.board", slug=slug)
            conditions.append(Notification.url.not_like(f"%{board}%"))
        db.session.execute(delete(Notification).where(*conditions), execution_options={"synchronize_session": False})


def left_course(course, user):
    """`user` left the course (withdrew, or the staff removed them): their unread notifications that link into its
    discussion go, so that no digest mails them and the bell keeps no unread links to a board they can no longer
    open (read ones stay, as history; the same rule as for moot join-request notices in lms.enrolment.services).
    Staff and admins who leave as learners still moderate it: theirs stay."""
    if member_ids(course, {user.id}):
        return
    board = path_for("discussion.board", slug=course.slug)
    db.session.execute(
        delete(Notification).where(
            Notification.user_id == user.id,  # the notifications' index is by user
            Notification.read_at.is_(None),
            Notification.url.contains(board, autoescape=True),  # a path, or a full address made outside a request
        ),
        execution_options={"synchronize_session": False},
    )


# --- Digests ---------------------------------------------------------------------------------------------


def send_digests(frequency):
    """One e-mail per user whose preference is `frequency`, listing notifications not e-mailed yet.

    Returns the number of e-mails sent. Each notification goes out once: emailed_at is set in the same
    transaction, and the UPDATE only claims rows that are still unsent.
    """
    if frequency not in ("daily", "weekly"):
        raise ValueError("frequency must be daily or weekly")
    pending = db.session.execute(
        select(Notification, User)
        .join(User, User.id == Notification.user_id)
        # Read in the app already: nothing left to tell (the claim below settles them all the same).
        .where(User.email_preference == frequency, User.active.is_(True), Notification.emailed_at.is_(None),
               Notification.read_at.is_(None))
        .order_by(Notification.user_id, Notification.created_at, Notification.id)
    ).all()
    by_user = defaultdict(list)
    users = {}
    for notification, user in pending:
        by_user[user.id].append(notification)
        users[user.id] = user
    course_titles = _course_titles(notification.url for notification, _ in pending)
    # Every e-mail is written before the first commit: a commit expires the rows loaded above, and reading them
    # afterwards would cost a query per notification and per user.
    digests = [
        ([n.id for n in items], users[user_id].email, _digest_subject(frequency, len(items)),
         _digest_body(frequency, items, course_titles))
        for user_id, items in by_user.items()
    ]  # fmt: skip
    sent = 0
    for ids, email, subject, body in digests:
        claimed = db.session.execute(
            update(Notification)
            .where(Notification.id.in_(ids), Notification.emailed_at.is_(None))
            .values(emailed_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != len(ids):
            db.session.rollback()  # another digest run took some of them: leave this user to it
            continue
        send_mail(email, subject, body)
        db.session.commit()
        sent += 1
    return sent


def _digest_subject(frequency, count):
    noun = "update" if count == 1 else "updates"
    return f"Sparetime {frequency} digest: {count} {noun}"


# The course part of a notification's link: /courses/<slug>/... (a path, or a full address made outside a request).
_COURSE_IN_URL = re.compile(r"/courses/([^/?#]+)/")


def _course_titles(urls):
    """{slug: title} of the courses the links point into, in one query: a digest line names its course, as the
    subject of an immediate e-mail does ("Tom replied in “Deposits?”" alone does not say where)."""
    slugs = {match.group(1) for url in urls if (match := _COURSE_IN_URL.search(url or ""))}
    if not slugs:
        return {}
    return dict(db.session.execute(select(Course.slug, Course.title).where(Course.slug.in_(slugs))).all())


def _digest_line(item, course_titles):
    match = _COURSE_IN_URL.search(item.url or "")
    title = course_titles.get(match.group(1)) if match else None
    return f"- {item.message} ({title})" if title and title not in item.message else f"- {item.message}"


def _digest_body(frequency, items, course_titles):
    """Digests go out from cron, outside any request: links start with LMS_PUBLIC_URL (lms.notify.absolute_url)."""
    lines = [f"Here is what happened since your last {frequency} digest:", ""]
    for item in items:
        lines.append(_digest_line(item, course_titles))
        if item.url:
            lines.append(f"  {absolute_url(item.url)}")
    lines += [
        "",
        "You receive this digest because of your e-mail preference. To change it or stop these e-mails,",
        f"open your profile: {absolute_url(path_for('auth.profile'))}",
    ]
    return "\n".join(lines) + "\n"
