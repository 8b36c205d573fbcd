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


def test_seed_demo_mails_link_to_the_sites_address(app, runner, outbox):
    """The demo's notifications are e-mailed to its accounts while seeding, outside any real request: their links
    must lead to the site (PUBLIC_URL), not to http://localhost/, where nothing answers."""
    import re

    app.config["PUBLIC_URL"] = "http://127.0.0.1:5000"
    app.config["SERVER_NAME"] = None  # as when the command runs for real (the tests' app names a host)
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    links = [link for mail in outbox() for link in re.findall(r"https?://\S+", mail.get_content())]
    assert links and all(link.startswith("http://127.0.0.1:5000/") for link in links), links
