"""Everything stored about a learner, as one JSON document they can download."""

from datetime import date, datetime

from sqlalchemy import inspect, select

from lms.database import utcnow
from lms.extensions import db
from lms.models import (
    Certificate, Course, DailyActivity, Enrolment, Lesson, LessonProgress, Notification, QuizAttempt,
)  # fmt: skip

PRIVATE_USER_FIELDS = {"password_hash", "session_token"}


def _value(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _row(obj, exclude=()):
    return {attr.key: _value(getattr(obj, attr.key)) for attr in inspect(obj).mapper.column_attrs
            if attr.key not in exclude}  # fmt: skip


def _rows(model, *where, order_by=None, exclude=()):
    rows = db.session.scalars(select(model).where(*where).order_by(order_by or model.id))
    return [_row(obj, exclude) for obj in rows]


def _authored(model_name, user):
    """Rows of lms.models.discussion.<model_name> the user wrote, or None when that model does not exist
    (checked at call time: the discussion feature owns those models)."""
    from lms.models import discussion

    model = getattr(discussion, model_name, None)
    if model is None or not hasattr(model, "author_id"):
        return None
    return _rows(model, model.author_id == user.id)


# More of what a learner leaves in the other features: (key in the export, module of lms.models, model, the
# column naming the learner, the column to sort by). Looked up when exporting, like _authored: each feature owns
# its models. Rows that name the learner only as someone else's subject are left out: blocks and reports made
# about them would tell who blocked or reported them.
OWNED_ROWS = (
    ("discussion_votes", "discussion", "PostVote", "user_id", "id"),
    ("discussion_thread_follows", "discussion", "ThreadFollow", "user_id", "id"),
    ("discussion_board_follows", "discussion", "BoardFollow", "user_id", "id"),
    ("discussion_read_marks", "discussion", "ThreadRead", "user_id", "id"),
    ("discussion_reports_made", "discussion", "PostReport", "reporter_id", "id"),
    ("practice_submissions", "peers", "Submission", "user_id", "id"),
    ("peer_reviews_given", "peers", "Review", "reviewer_id", "id"),
    ("peer_review_slots", "peers", "ReviewAssignment", "reviewer_id", "id"),
    ("course_reviews", "peers", "CourseReview", "user_id", "id"),
    ("course_wishes", "peers", "CourseWish", "author_id", "id"),
    ("course_wish_votes", "peers", "WishVote", "user_id", "wish_id"),
    ("study_partner_requests", "peers", "PartnerRequest", "user_id", "id"),
    ("blocks_made", "peers", "Block", "blocker_id", "blocked_id"),
    ("people_reports_made", "peers", "PeerReport", "reporter_id", "id"),
)

# Columns of those rows that are someone else's, not the learner's: of a post report, the staff's side (their
# note and who resolved it, shown only in the staff's queue) and the reported post's text as kept for the
# moderators, which its author may have removed since (the thread then shows the reporter "Removed by author").
OTHERS_COLUMNS = {"discussion_reports_made": {"reported_html", "resolution", "resolved_by_id"}}


def _owned(module_name, model_name, column, order, user, exclude=()):
    import importlib

    model = getattr(importlib.import_module(f"lms.models.{module_name}"), model_name, None)
    if model is None or not hasattr(model, column):
        return None
    return _rows(model, getattr(model, column) == user.id, order_by=getattr(model, order), exclude=exclude)


def _peer_extras(user, data):
    """Connections (either side) and the peer feedback on the learner's own practice responses, without who
    gave it: reviewers stay anonymous to the author, in the app and here. Nor a review the staff hid (an abusive
    one): the practice page no longer shows it to the author, so neither does the export."""
    from lms.models import peers

    if hasattr(peers, "Connection"):
        connection = peers.Connection
        data["connections"] = _rows(connection, (connection.user_a_id == user.id) | (connection.user_b_id == user.id))
    if hasattr(peers, "Review") and hasattr(peers, "Submission"):
        review, submission = peers.Review, peers.Submission
        received = db.session.scalars(
            select(review).join(submission, submission.id == review.submission_id)
            .where(submission.user_id == user.id, review.hidden_at.is_(None)).order_by(review.id)
        )  # fmt: skip
        data["peer_reviews_received"] = [_row(item, exclude={"reviewer_id"}) for item in received]


def export_user_data(user):
    courses = {
        cid: (slug, title)
        for cid, slug, title in db.session.execute(
            select(Course.id, Course.slug, Course.title)
            .join(Enrolment, Enrolment.course_id == Course.id)
            .where(Enrolment.user_id == user.id)
        )
    }
    enrolments = []
    for row in _rows(Enrolment, Enrolment.user_id == user.id):
        slug, title = courses.get(row["course_id"], ("", ""))
        enrolments.append({**row, "course_slug": slug, "course_title": title})
    lesson_titles = dict(
        db.session.execute(
            select(Lesson.id, Lesson.title)
            .join(LessonProgress, LessonProgress.lesson_id == Lesson.id)
            .where(LessonProgress.user_id == user.id)
        ).all()
    )
    progress = [{**row, "lesson_title": lesson_titles.get(row["lesson_id"], "")}
                for row in _rows(LessonProgress, LessonProgress.user_id == user.id)]  # fmt: skip
    data = {
        "exported_at": utcnow().isoformat(),
        "profile": _row(user, exclude=PRIVATE_USER_FIELDS),
        "enrolments": enrolments,
        "lesson_progress": progress,
        "quiz_attempts": _rows(QuizAttempt, QuizAttempt.user_id == user.id),
        "certificates": _rows(Certificate, Certificate.user_id == user.id),
        "daily_activity": _rows(DailyActivity, DailyActivity.user_id == user.id, order_by=DailyActivity.day),
        "notifications": _rows(Notification, Notification.user_id == user.id),
    }
    for key, model_name in (("discussion_threads", "Thread"), ("discussion_posts", "Post")):
        rows = _authored(model_name, user)
        if rows is not None:
            data[key] = rows
    for key, module_name, model_name, column, order in OWNED_ROWS:
        rows = _owned(module_name, model_name, column, order, user, OTHERS_COLUMNS.get(key, ()))
        if rows is not None:
            data[key] = rows
    _peer_extras(user, data)
    return data
