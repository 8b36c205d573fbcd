"""Deleting one's own account: what must be settled first, and what goes.

The database's foreign keys decide what goes with the user row (progress, enrolments, certificates, votes,
notifications, connections, practice responses: ON DELETE CASCADE) and what stays without a name (posts, reviews
given to peers, staff replies: SET NULL, shown as "Former member"; so are others' notifications they caused and their
audit entries, by _forget_name). This module first settles the counts those rows feed, so that nothing keeps counting
a person who is gone: seats, helpful votes, wish votes and review places.
"""

import re

from sqlalchemy import delete, func, select, update

from lms.discussion import services as discussion
from lms.discussion.people import FORMER_MEMBER, path_for
from lms.enrolment import services as enrolment_services
from lms.extensions import db
from lms.models import AuditEntry, Course, CourseWish, Enrolment, Notification, Post, PostVote, User, WishVote
from lms.notify import audit
from lms.peers import feedback
from lms.peers.allocation import release_slots_of


def deletion_problem(user):
    """Why the account cannot be deleted yet (None: it can)."""
    owned = db.session.scalars(select(Course.title).where(Course.owner_id == user.id).order_by(Course.title)).all()
    if owned:
        titles = ", ".join(f"“{title}”" for title in owned)
        return (f"You own {titles}. A course needs its owner, so this account cannot be deleted while it owns "
                "any: delete the drafts you no longer need in the studio, and write to the Sparetime admins about "
                "the others.")  # fmt: skip
    if user.role == "admin":
        admins = db.session.scalar(select(func.count(User.id)).where(User.role == "admin", User.active.is_(True)))
        if admins <= 1:
            return "You are the only admin. Make someone else an admin before deleting your account."
    return None


def delete_account(user):
    """Delete the account and everything that is only theirs. Callers check deletion_problem() first, commit,
    and end the browser's session."""
    for enrolment in db.session.scalars(
        select(Enrolment).where(Enrolment.user_id == user.id, Enrolment.status.in_(enrolment_services.CURRENT_STATES))
    ).all():
        # As a withdrawal: the seat goes to the first on the waitlist, a request's notices to staff go.
        enrolment_services.withdraw(db.session.get(Course, enrolment.course_id), user)
    voted_posts = select(Post).join(PostVote, PostVote.post_id == Post.id).where(PostVote.user_id == user.id)
    for post in db.session.scalars(voted_posts).all():
        discussion.toggle_vote(post, user)  # takes the vote back from the post's and the thread's counts
    voted_wishes = select(CourseWish).join(WishVote, WishVote.wish_id == CourseWish.id).where(
        WishVote.user_id == user.id
    )
    for wish in db.session.scalars(voted_wishes).all():
        feedback.toggle_vote(wish, user)
    release_slots_of(user.id)
    _unlink_mentions(user.id)
    # Staff actions stay on the record (who removed whom), but about "deleted user <id>" (SQLite may give the id to
    # a new account): the e-mail address is theirs and goes with them.
    db.session.execute(
        update(AuditEntry).where(AuditEntry.detail.contains(user.email, autoescape=True))
        .values(detail=func.replace(AuditEntry.detail, user.email, f"deleted user {user.id}")),
        execution_options={"synchronize_session": False},
    )  # fmt: skip
    audit(user, "account.delete", target=user, detail=f"user {user.id} deleted their account")
    user_id = user.id
    db.session.flush()
    _forget_name(user_id)
    db.session.expunge(user)
    db.session.execute(delete(User).where(User.id == user_id), execution_options={"synchronize_session": False})


def _forget_name(user_id):
    """Where they are named after the row goes: as "Former member", as on their posts. Notifications they caused
    ("Maya replied in ...") give up the name written into them; their audit entries (this deletion's too) lose their
    actor by the foreign key, and actor_deleted keeps the log from blaming the system for what a person did."""
    db.session.execute(
        update(Notification).where(Notification.actor_id == user_id, Notification.actor_name != "")
        .values(message=func.substr(func.replace(Notification.message, Notification.actor_name, FORMER_MEMBER), 1, 500),
                actor_name=""),
        execution_options={"synchronize_session": False},
    )  # fmt: skip
    db.session.execute(
        update(AuditEntry).where(AuditEntry.actor_id == user_id).values(actor_deleted=True),
        execution_options={"synchronize_session": False},
    )


def _unlink_mentions(user_id):
    """Others' posts that @mentioned them link to their profile in the HTML stored on save; with the account gone
    that link is a 404. The mention stays as its author wrote it, as text. (A post's HTML is in its fragment key,
    so the cached thread pages follow.)"""
    href = f'href="{path_for("auth.public_profile", user_id=user_id)}"'
    link = re.compile(rf"<a {re.escape(href)}[^>]*>(.*?)</a>", re.DOTALL)
    for post in db.session.scalars(select(Post).where(Post.body_html.contains(href, autoescape=True))).all():
        post.body_html = link.sub(r"\1", post.body_html)
