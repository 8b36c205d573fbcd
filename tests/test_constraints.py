"""Database constraints back every rule: they are declared on the metadata (so create_all and the migrations
have them) and the database really enforces them — a duplicate or an unknown state is an IntegrityError on
SQLite and PostgreSQL alike, whatever the Python code checked first."""

import re

import pytest
from sqlalchemy import CheckConstraint, UniqueConstraint, insert
from sqlalchemy.exc import IntegrityError

from lms.database import utcnow
from lms.extensions import db
from lms.models import (
    BoardFollow,
    Certificate,
    CourseReview,
    CourseStaff,
    CourseWish,
    DailyActivity,
    Enrolment,
    LessonProgress,
    Post,
    PostVote,
    Question,
    Thread,
    ThreadFollow,
    ThreadRead,
    Upload,
    User,
    WishVote,
)
from lms.models.course import COURSE_STATES, ENROLMENT_POLICIES, LEVELS
from lms.models.discussion import THREAD_KINDS
from lms.models.enrolment import ENROLMENT_STATES
from lms.models.peers import CONNECTION_STATES, WISH_STATES
from lms.models.user import EMAIL_PREFERENCES, ROLES
from tests.factories import add_quiz, enrol, lessons_of, make_course

# (table, columns) that must be unique: one row per learner and thing.
UNIQUE = [
    ("users", ("email",)),
    ("users", ("session_token",)),
    ("courses", ("slug",)),
    ("course_skills", ("course_id", "name")),
    ("course_staff", ("course_id", "user_id")),
    ("enrolments", ("course_id", "user_id")),
    ("lesson_progress", ("user_id", "lesson_id")),
    ("certificates", ("user_id", "course_id")),
    ("certificates", ("code",)),
    ("daily_activity", ("user_id", "day")),
    ("uploads", ("stored_name",)),
    ("discussion_post_votes", ("post_id", "user_id")),
    ("discussion_thread_follows", ("thread_id", "user_id")),
    ("discussion_board_follows", ("course_id", "user_id")),
    ("discussion_thread_reads", ("user_id", "thread_id")),
    ("course_reviews", ("course_id", "user_id")),
    ("course_wish_votes", ("wish_id", "user_id")),
    ("peer_assignments", ("lesson_id",)),
    ("peer_submissions", ("assignment_id", "user_id")),
    ("peer_reviews", ("submission_id", "reviewer_id")),
    ("peer_review_assignments", ("submission_id", "reviewer_id")),
    ("peer_review_scores", ("review_id", "criterion_id")),
    ("peer_connections", ("user_a_id", "user_b_id")),
    ("peer_blocks", ("blocker_id", "blocked_id")),
    ("peer_partner_requests", ("course_id", "user_id")),
]
# Every enumeration column: the database allows exactly the values the code knows.
ENUMERATIONS = [
    ("users", "role", ROLES),
    ("users", "email_preference", EMAIL_PREFERENCES),
    ("courses", "level", LEVELS),
    ("courses", "status", COURSE_STATES),
    ("courses", "enrolment_policy", ENROLMENT_POLICIES),
    ("course_staff", "role", ("owner", "instructor")),
    ("enrolments", "status", ENROLMENT_STATES),
    ("questions", "kind", ("single", "multiple")),
    ("uploads", "kind", ("cover", "attachment", "video", "image")),
    ("discussion_threads", "kind", THREAD_KINDS),
    ("peer_connections", "status", CONNECTION_STATES),
    ("course_wishes", "status", WISH_STATES),
]
# Short string columns that hold a state, a role, a level, a policy or a kind (names we treat as enumerations).
ENUM_NAMES = re.compile(r"^(role|status|level|kind|.*_policy|.*_preference)$")
# Open-ended labels, not enumerations: notification kinds grow with features and are never read back as state.
FREE_LABELS = {("notifications", "kind")}


def _table(name):
    return db.metadata.tables[name]


def _unique_column_sets(table):
    sets = {tuple(sorted(c.name for c in table.primary_key.columns))}
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint):
            sets.add(tuple(sorted(c.name for c in constraint.columns)))
    for index in table.indexes:
        if index.unique:
            sets.add(tuple(sorted(c.name for c in index.columns)))
    for column in table.columns:
        if column.unique:
            sets.add((column.name,))
    return sets


def _allowed_values(table, column):
    for constraint in table.constraints:
        if isinstance(constraint, CheckConstraint):
            match = re.fullmatch(rf"\s*{column}\s+IN\s*\((.*)\)\s*", str(constraint.sqltext), re.IGNORECASE | re.DOTALL)
            if match:
                return tuple(re.findall(r"'([^']*)'", match.group(1)))
    return None


def test_metadata_declares_the_unique_constraints(app):
    missing = [(t, cols) for t, cols in UNIQUE if tuple(sorted(cols)) not in _unique_column_sets(_table(t))]
    assert missing == []


def test_metadata_declares_a_check_on_every_enumeration(app):
    for table, column, values in ENUMERATIONS:
        assert _allowed_values(_table(table), column) == tuple(values), (table, column)
    listed = {(t, c) for t, c, _ in ENUMERATIONS}
    found = {
        (table.name, column.name)
        for table in db.metadata.sorted_tables
        for column in table.columns
        if ENUM_NAMES.match(column.name)
    }
    assert found - listed - FREE_LABELS == set(), "an enumeration column without a CHECK constraint"


def test_every_foreign_key_says_what_happens_on_delete(app):
    loose = [
        f"{table.name}.{fk.parent.name}"
        for table in db.metadata.sorted_tables
        for fk in table.foreign_keys
        if (fk.ondelete or "").upper() not in ("CASCADE", "SET NULL")
        or ((fk.ondelete or "").upper() == "SET NULL" and not fk.parent.nullable)
    ]
    assert loose == []


@pytest.fixture
def world(app, make_user):
    owner = make_user(role="instructor", email="owner@example.com")
    learner = make_user(email="learner@example.com")
    course = make_course(owner, "Constraints", slug="constraints")
    lesson = add_quiz(lessons_of(course)[0])
    enrol(learner, course)
    thread = Thread(course_id=course.id, author_id=owner.id, title="Hi")
    db.session.add(thread)
    db.session.flush()
    post = Post(thread_id=thread.id, author_id=owner.id, body_md="x", body_html="<p>x</p>")
    wish = CourseWish(title="A course on VAT", why="Because.", author_id=learner.id)
    db.session.add_all([post, wish])
    db.session.commit()
    return {"owner": owner, "learner": learner, "course": course, "lesson": lesson, "thread": thread, "post": post,
            "wish": wish}  # fmt: skip


def _refused(model, **values):
    """Insert one row straight into the table (no Python checks): the database must refuse it."""
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.execute(insert(model).values(**values))
    db.session.rollback()


def _accepted(model, **values):
    db.session.execute(insert(model).values(**values))
    db.session.commit()


def test_the_database_refuses_duplicates(world):
    w = world
    user, course, lesson, post, thread = w["learner"], w["course"], w["lesson"], w["post"], w["thread"]
    now = utcnow()
    _refused(Enrolment, course_id=course.id, user_id=user.id, status="pending", requested_at=now)
    _refused(User, email=user.email, display_name="Twin", password_hash="x", session_token="other-token")
    _refused(CourseStaff, course_id=course.id, user_id=w["owner"].id, role="instructor")
    cases = [
        (LessonProgress, dict(user_id=user.id, lesson_id=lesson.id, course_id=course.id)),
        (PostVote, dict(post_id=post.id, user_id=user.id)),
        (ThreadFollow, dict(thread_id=thread.id, user_id=user.id)),
        (BoardFollow, dict(course_id=course.id, user_id=user.id)),
        (ThreadRead, dict(thread_id=thread.id, user_id=user.id, last_read_post_id=0)),
        (CourseReview, dict(course_id=course.id, user_id=user.id, rating=4, text="")),
        (WishVote, dict(wish_id=w["wish"].id, user_id=user.id)),
        (Certificate, dict(user_id=user.id, course_id=course.id, code="code-1")),
        (DailyActivity, dict(user_id=user.id, day=now.date(), seconds=60)),
    ]
    for model, values in cases:
        _accepted(model, **values)
        _refused(model, **values)
    _refused(Certificate, user_id=w["owner"].id, course_id=course.id, code="code-1")  # codes are unique too


def test_the_database_refuses_unknown_states_and_out_of_range_numbers(world):
    w = world
    user, course, lesson = w["learner"], w["course"], w["lesson"]
    _refused(User, email="new@example.com", display_name="New", password_hash="x", session_token="t1", role="root")
    _refused(User, email="new@example.com", display_name="New", password_hash="x", session_token="t1",
             role="learner", email_preference="hourly")  # fmt: skip
    for column, value in (("status", "secret"), ("level", "expert"), ("enrolment_policy", "invite"), ("capacity", 0)):
        values = dict(slug="other", title="Other", status="draft", level="intro", enrolment_policy="open")
        _refused(type(course), **(values | {column: value}))
    _refused(Enrolment, course_id=course.id, user_id=w["owner"].id, status="vip", requested_at=utcnow())
    _refused(CourseStaff, course_id=course.id, user_id=user.id, role="boss")
    _refused(Question, lesson_id=lesson.id, prompt="?", kind="essay")
    _refused(Upload, stored_name="a" * 32 + ".pdf", original_name="a.pdf", content_type="application/pdf", size=1,
             kind="script")  # fmt: skip
    _refused(Thread, course_id=course.id, title="x", kind="poll")
    _refused(CourseWish, title="Another wish", status="done")
    _refused(CourseReview, course_id=course.id, user_id=w["owner"].id, rating=6, text="")
    _refused(CourseReview, course_id=course.id, user_id=w["owner"].id, rating=0, text="")
    _refused(LessonProgress, user_id=user.id, lesson_id=lesson.id, course_id=course.id, seconds_spent=-1)


def test_the_database_refuses_orphans(world):
    _refused(Enrolment, course_id=999999, user_id=world["learner"].id, status="active", requested_at=utcnow())
    _refused(PostVote, post_id=999999, user_id=world["learner"].id)
