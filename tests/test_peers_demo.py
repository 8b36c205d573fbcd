"""seed-demo: peers data (assignment with submissions and reviews, visible peers, wishes, course reviews), idempotent."""

from sqlalchemy import func, select

from lms.extensions import db
from lms.models import CourseReview, CourseWish, Review, Submission, User, WishVote


def _counts():
    models = (Submission, Review, CourseReview, CourseWish, WishVote)
    return [db.session.scalar(select(func.count()).select_from(m)) for m in models]


def test_seed_demo_creates_peer_data_once(app, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    first = _counts()
    submissions, reviews, course_reviews, wishes, votes = first
    assert submissions == 4 and reviews == 3 and course_reviews == 4 and wishes == 3 and votes == 7
    assert db.session.scalar(select(func.count(User.id)).where(User.profile_visible.is_(True))) >= 4
    assert db.session.scalar(select(func.count(Submission.id)).where(Submission.sent_to_staff_at.is_not(None))) == 1
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert _counts() == first
