"""Peer rules for course reviews (rate a course after 50% or completion) and course wishes (propose, vote,
instructors mark planned or link to a course and the voters hear about it)."""

from datetime import datetime
from functools import cache
from typing import NamedTuple

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from lms import database
from lms.database import utcnow
from lms.discussion.people import path_for
from lms.enrolment.services import find_enrolment
from lms.extensions import db
from lms.models import Course, CourseReview, CourseWish, User, WishVote
from lms.notify import audit, notify
from lms.permissions import is_course_staff
from lms.progress.services import course_percentages

REVIEW_THRESHOLD_PERCENT = 50


class FeedbackError(Exception):
    """A rule was broken; the message is safe to show."""


# --- Course reviews ------------------------------------------------------------------------------------


def review_eligibility(course, user):
    """(allowed, reason): learners who completed the course or got through half of it may rate it."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False, "Log in and take the course to review it."
    enrolment = find_enrolment(course, user)
    if enrolment is not None and enrolment.status == "removed":
        # Taken out by the staff: no new review, and no edit of an earlier one (which stays for staff to hide).
        return False, "The course staff removed you from this course, so you cannot review it."
    if enrolment is None or (enrolment.status != "active" and enrolment.completed_at is None):
        return False, "Only learners of this course can review it."
    if enrolment.completed_at is not None:
        return True, ""
    percent = course_percentages(user.id, [course.id]).get(course.id, 0)
    if percent >= REVIEW_THRESHOLD_PERCENT:
        return True, ""
    return False, f"You can review this course once you are {REVIEW_THRESHOLD_PERCENT}% through it (now {percent}%)."


def _own_review_conditions():
    """The review of :course_id by :user_id (one at most)."""
    return CourseReview.course_id == bindparam("course_id"), CourseReview.user_id == bindparam("user_id")


@cache
def _own_review_statement():
    # Built once: the review pages ask (a reused statement skips construction and cache-key work).
    return select(CourseReview).where(*_own_review_conditions())


def own_course_review(course, user):
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(_own_review_statement(), {"course_id": course.id, "user_id": user.id})


def save_course_review(course, user, rating, text):
    allowed, reason = review_eligibility(course, user)
    if not allowed:
        raise FeedbackError(reason)
    review = own_course_review(course, user)
    if review is None:
        review = CourseReview(course_id=course.id, user_id=user.id, rating=rating, text=text)
        db.session.add(review)
    elif (review.rating, review.text) != (rating, text):
        # An instructor's reply stays, but now answers an earlier version (updated_at > replied_at): the pages
        # say so. Deleting it would drop the staff's words without telling them; keeping it silently misleads.
        review.rating, review.text, review.updated_at = rating, text, utcnow()
    db.session.flush()
    return review


def reply_to_course_review(review, staff, text):
    """Publish, change or remove the staff's reply. Its author hears of a new reply, or of one to the review as
    it now reads (they rewrote it since the last reply); not of every edit of the same reply."""
    answered_this_version = (review.instructor_reply and review.replied_at is not None
                             and review.replied_at >= review.updated_at)  # fmt: skip
    review.instructor_reply = text
    review.replied_at = utcnow() if text else None
    review.replied_by_id = staff.id if text else None
    if text and not answered_this_version:
        course = db.session.get(Course, review.course_id)
        notify(review.user, "course_review_reply", f"An instructor replied to your review of {course.title}.",
               path_for("peers.course_reviews", slug=course.slug))  # fmt: skip


def hide_course_review(review, staff, reason):
    """Hidden from everyone but its author and the course staff; the author is told why."""
    course = db.session.get(Course, review.course_id)
    review.hidden_at = utcnow()
    review.hidden_reason = reason
    audit(staff, "course_review.hide", target=review, course=course, detail=reason)
    if review.user_id != staff.id:
        notify(review.user, "moderation", f"A moderator hid your review of {course.title}: {reason}",
               path_for("peers.course_reviews", slug=course.slug))  # fmt: skip


def unhide_course_review(review, staff):
    course = db.session.get(Course, review.course_id)
    review.hidden_at = None
    review.hidden_reason = ""
    audit(staff, "course_review.unhide", target=review, course=course)
    if review.user_id != staff.id:
        notify(review.user, "moderation", f"Your review of {course.title} is shown again.",
               path_for("peers.course_reviews", slug=course.slug))  # fmt: skip


def visible_reviews_query(course, *, include_hidden=False):
    return _reviews_query(course.id, include_hidden)


def _reviews_query(course_id, include_hidden):
    query = (
        select(CourseReview)
        .where(CourseReview.course_id == course_id)
        .options(joinedload(CourseReview.user), joinedload(CourseReview.replied_by))
        .order_by(CourseReview.created_at.desc(), CourseReview.id.desc())
    )
    return query if include_hidden else query.where(CourseReview.hidden_at.is_(None))


class ReviewLine(NamedTuple):
    """A review as the course page lists it (peers/_course_reviews.html), read as a plain row."""

    rating: int
    text: str
    instructor_reply: str | None
    created_at: datetime
    author_name: str | None
    reply_to_earlier_version: bool  # the author changed the review after the instructor replied


@cache
def _summary_statement():
    # The newest visible reviews with their authors' names, and the course's average and count over all its
    # visible reviews (window functions) on every row. Built once: every course page runs it.
    return (
        select(CourseReview.rating, CourseReview.text, CourseReview.instructor_reply, CourseReview.created_at,
               User.display_name, func.coalesce(CourseReview.replied_at < CourseReview.updated_at, False),
               func.avg(CourseReview.rating).over(), func.count(CourseReview.id).over())
        .outerjoin(User, User.id == CourseReview.user_id)
        .where(CourseReview.course_id == bindparam("course_id"), CourseReview.hidden_at.is_(None))
        .order_by(CourseReview.created_at.desc(), CourseReview.id.desc())
        .limit(bindparam("limit"))
    )  # fmt: skip


@cache
def _has_reviewed_statement():
    # Built once: every course page asks.
    return select(select(CourseReview.id).where(*_own_review_conditions()).exists())


def course_reviews_summary(course, viewer=None, recent=3):
    """Average, count, newest reviews and what this viewer may do, for the course page and the reviews page.
    Plain rows: the course page only shows them, and as ORM objects (with their authors) they were a fifth
    of its time."""
    # At least one row even when no review is wanted: the average and count ride on every row.
    rows = database.rows(_summary_statement(), {"course_id": course.id, "limit": max(recent, 1)}).all()
    recent_reviews = [ReviewLine._make(row[:6]) for row in rows[:recent]]
    average = round(float(rows[0][6]), 1) if rows else None
    count = rows[0][7] if rows else 0
    authenticated = viewer is not None and getattr(viewer, "is_authenticated", False)
    own = authenticated and database.rows(
        _has_reviewed_statement(), {"course_id": course.id, "user_id": viewer.id}
    ).scalar()  # fmt: skip
    allowed, reason = review_eligibility(course, viewer) if authenticated else (False, "")
    return {
        "average": average,
        "count": count,
        "recent": recent_reviews,
        "own": bool(own),  # whether the viewer has reviewed it (hidden or not)
        "can_review": allowed,
        "reason": reason,
        "is_staff": authenticated and is_course_staff(viewer, course),
        "all_url": path_for("peers.course_reviews", slug=course.slug),
        "write_url": path_for("peers.edit_course_review", slug=course.slug),
    }


# --- Course wishes -------------------------------------------------------------------------------------


def ranked_wishes(viewer, page=1, per_page=30):
    """A page of wishes ranked by votes, plus the ids the viewer voted for (one query, not one per wish)."""
    pagination = db.paginate(
        select(CourseWish)
        .options(joinedload(CourseWish.author), joinedload(CourseWish.course))
        .order_by(CourseWish.vote_count.desc(), CourseWish.created_at, CourseWish.id),
        page=page, per_page=per_page, error_out=False,
    )  # fmt: skip
    ids = [w.id for w in pagination.items]
    voted = set(db.session.scalars(
        select(WishVote.wish_id).where(WishVote.user_id == viewer.id, WishVote.wish_id.in_(ids))
    )) if ids else set()  # fmt: skip
    return pagination, voted


class DuplicateWish(FeedbackError):
    """The wish is already on the list (`wish`): a vote for it counts, a second copy would split the votes."""

    def __init__(self, wish):
        super().__init__(f'"{wish.title}" is already on the list. Vote for it instead, so the votes stay together.')
        self.wish = wish


def same_wish(title):
    """An existing wish with this title up to case and spacing, or None."""
    squeezed = "".join(title.split()).lower()
    return db.session.scalar(
        select(CourseWish).where(func.lower(func.replace(CourseWish.title, " ", "")) == squeezed)
        .order_by(CourseWish.created_at, CourseWish.id).limit(1)
    )  # fmt: skip


def has_voted(wish, user):
    return db.session.scalar(
        select(WishVote.wish_id).where(WishVote.wish_id == wish.id, WishVote.user_id == user.id)
    ) is not None  # fmt: skip


def propose_wish(user, title, why):
    """A new wish with the proposer's own vote. Refused with DuplicateWish when it is already on the list."""
    existing = same_wish(title)
    if existing is not None:
        raise DuplicateWish(existing)
    wish = CourseWish(title=title, why=why, author_id=user.id, vote_count=1)
    db.session.add(wish)
    db.session.flush()
    db.session.add(WishVote(wish_id=wish.id, user_id=user.id))
    db.session.flush()
    return wish


def toggle_vote(wish, user):
    """Vote once, or take the vote back. Returns True when the user now votes for it."""
    removed = db.session.execute(delete(WishVote).where(WishVote.wish_id == wish.id, WishVote.user_id == user.id))
    if removed.rowcount:
        delta, voting = -1, False
    else:
        try:
            with db.session.begin_nested():
                db.session.add(WishVote(wish_id=wish.id, user_id=user.id))
        except IntegrityError:
            return True  # a double click: the first request already counted the vote
        delta, voting = 1, True
    db.session.execute(
        update(CourseWish).where(CourseWish.id == wish.id)
        .values(vote_count=CourseWish.vote_count + delta).execution_options(synchronize_session=False)
    )  # fmt: skip
    db.session.refresh(wish)
    return voting


def publishable_courses():
    return db.session.execute(
        select(Course.id, Course.title).where(Course.status == "published").order_by(Course.title)
    ).all()


class WishUnchanged(FeedbackError):
    """The wish already has the status (and course) chosen: nothing to save, nobody to tell."""


def update_wish(wish, instructor, status, course_id=None):
    """Mark a wish planned, or available as a published course; every voter (and the author) is told."""
    course = None
    if status == "available":
        course = db.session.get(Course, course_id) if course_id else None
        if course is None or course.status != "published":
            raise FeedbackError("Choose the published course that answers this wish.")
    if status == wish.status and (course is None or course.id == wish.course_id):
        raise WishUnchanged(f'"{wish.title}" is already {"planned" if status == "planned" else "available"}: '
                            "its voters were told then, and nobody is told again.")  # fmt: skip
    wish.status = status
    wish.course_id = course.id if course else None
    if status == "planned":
        message, url = f'A course you wished for is planned: "{wish.title}".', path_for("peers.wishes")
    elif status == "available":
        message = f'A course you wished for is here: {course.title} (for "{wish.title}").'
        url = path_for("enrolment.course_page", slug=course.slug)
    else:
        return wish
    voters = db.session.scalars(
        select(User).join(WishVote, WishVote.user_id == User.id).where(WishVote.wish_id == wish.id)
    ).all()
    for voter in voters:
        if voter.id != instructor.id:
            notify(voter, "course_wish", message, url)
    audit(instructor, f"wish.{status}", target=wish, course=course)
    return wish

