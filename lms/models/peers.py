"""Peer models: practice assignments with rubric, submissions and peer reviews; connections, blocks,
reports and study partners; course reviews; course wishes and votes."""

from datetime import datetime, timedelta

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.database import utcnow
from lms.extensions import db

# --- Practice assignments ---------------------------------------------------------------------------


class Assignment(db.Model):
    """A practice task under one lesson, answered by learners and reviewed by peers with a rubric."""

    __tablename__ = "peer_assignments"
    __table_args__ = (CheckConstraint("reviews_required BETWEEN 1 AND 5", name="reviews_required"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"), unique=True)
    # Denormalised from the lesson so the staff queue of a course is one indexed query.
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    prompt_md: Mapped[str] = mapped_column(Text, default="")
    prompt_html: Mapped[str] = mapped_column(Text, default="")
    reviews_required: Mapped[int] = mapped_column(default=2)
    # Bumped by every review allocation: the row lock that UPDATE takes serialises the allocations of one
    # assignment on PostgreSQL and SQLite alike, so each sees the slots handed out just before it.
    allocations: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    lesson: Mapped["Lesson"] = relationship()  # noqa: F821
    criteria: Mapped[list["RubricCriterion"]] = relationship(
        back_populates="assignment", order_by="RubricCriterion.position", cascade="all, delete-orphan"
    )


class RubricCriterion(db.Model):
    __tablename__ = "peer_rubric_criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("peer_assignments.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(120))
    level_1: Mapped[str] = mapped_column(String(300), default="")
    level_2: Mapped[str] = mapped_column(String(300), default="")
    level_3: Mapped[str] = mapped_column(String(300), default="")
    level_4: Mapped[str] = mapped_column(String(300), default="")

    assignment: Mapped[Assignment] = relationship(back_populates="criteria")

    @property
    def levels(self):
        return [(1, self.level_1), (2, self.level_2), (3, self.level_3), (4, self.level_4)]


class Submission(db.Model):
    """One learner's response to an assignment: a draft until submitted_at, editable until a review starts."""

    __tablename__ = "peer_submissions"
    __table_args__ = (
        UniqueConstraint("assignment_id", "user_id"),
        # The allocation query: submitted work of one assignment, fewest claimed slots, oldest first.
        Index("ix_peer_submissions_queue", "assignment_id", "reviews_claimed", "submitted_at"),
        CheckConstraint("reviews_claimed >= 0", name="reviews_claimed"),
        CheckConstraint("review_count >= 0", name="review_count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("peer_assignments.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    body_md: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None]
    # Set by the first review slot handed out: from then on the response is frozen.
    review_started_at: Mapped[datetime | None]
    # Finished, visible reviews plus open (unexpired) review slots; only ever changed by conditional
    # UPDATEs (claimed < required), which is what keeps concurrent reviewers from over-covering a submission.
    reviews_claimed: Mapped[int] = mapped_column(default=0)
    review_count: Mapped[int] = mapped_column(default=0)
    # Turnaround promise: set once when the reviews were late and the submission went to the staff queue.
    sent_to_staff_at: Mapped[datetime | None] = mapped_column(index=True)

    assignment: Mapped[Assignment] = relationship()
    user: Mapped["User"] = relationship()  # noqa: F821

    @property
    def is_submitted(self):
        return self.submitted_at is not None

    @property
    def is_editable(self):
        return self.review_started_at is None


class ReviewAssignment(db.Model):
    """A review slot: this reviewer was handed this submission and has until expires_at to review it."""

    __tablename__ = "peer_review_assignments"
    __table_args__ = (
        UniqueConstraint("submission_id", "reviewer_id"),
        Index("ix_peer_review_assignments_reviewer", "reviewer_id", "assignment_id"),
        Index("ix_peer_review_assignments_open", "assignment_id", "completed_at", "released_at", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("peer_assignments.id", ondelete="CASCADE"))
    submission_id: Mapped[int] = mapped_column(ForeignKey("peer_submissions.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    # Set when an abandoned slot expired and gave its place back to the submission.
    released_at: Mapped[datetime | None]

    submission: Mapped[Submission] = relationship()


class Review(db.Model):
    __tablename__ = "peer_reviews"
    __table_args__ = (
        UniqueConstraint("submission_id", "reviewer_id"),
        Index("ix_peer_reviews_reviewer", "reviewer_id", "assignment_id"),
        Index("ix_peer_reviews_assignment_created", "assignment_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("peer_assignments.id", ondelete="CASCADE"))
    submission_id: Mapped[int] = mapped_column(ForeignKey("peer_submissions.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    by_staff: Mapped[bool] = mapped_column(default=False)
    comment_md: Mapped[str] = mapped_column(Text, default="")
    comment_html: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    helpful_at: Mapped[datetime | None]
    reply_md: Mapped[str] = mapped_column(Text, default="")
    reply_html: Mapped[str] = mapped_column(Text, default="")
    replied_at: Mapped[datetime | None]
    hidden_at: Mapped[datetime | None]
    hidden_reason: Mapped[str] = mapped_column(String(300), default="")

    submission: Mapped[Submission] = relationship()
    reviewer: Mapped["User | None"] = relationship()  # noqa: F821
    scores: Mapped[list["ReviewScore"]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def score_map(self):
        return {s.criterion_id: s.score for s in self.scores}


class ReviewScore(db.Model):
    __tablename__ = "peer_review_scores"
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 4", name="score"),)

    review_id: Mapped[int] = mapped_column(ForeignKey("peer_reviews.id", ondelete="CASCADE"), primary_key=True)
    criterion_id: Mapped[int] = mapped_column(
        ForeignKey("peer_rubric_criteria.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    score: Mapped[int]


# --- Peer directory ----------------------------------------------------------------------------------

CONNECTION_STATES = ("pending", "accepted", "declined")


class Connection(db.Model):
    """A connection between two learners, stored once per pair (user_a_id < user_b_id)."""

    __tablename__ = "peer_connections"
    __table_args__ = (
        UniqueConstraint("user_a_id", "user_b_id"),
        CheckConstraint("user_a_id < user_b_id", name="ordered_pair"),
        CheckConstraint("status IN ('pending', 'accepted', 'declined')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_a_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    user_b_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    responded_at: Mapped[datetime | None]

    requester: Mapped["User"] = relationship(foreign_keys=[requester_id])  # noqa: F821
    user_a: Mapped["User"] = relationship(foreign_keys=[user_a_id])  # noqa: F821
    user_b: Mapped["User"] = relationship(foreign_keys=[user_b_id])  # noqa: F821

    def other_id(self, user_id):
        return self.user_b_id if self.user_a_id == user_id else self.user_a_id


class Block(db.Model):
    __tablename__ = "peer_blocks"

    blocker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    blocked_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PeerReport(db.Model):
    __tablename__ = "peer_reports"
    __table_args__ = (UniqueConstraint("reporter_id", "reported_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reported_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PartnerRequest(db.Model):
    """"Match me with a study partner" in one course; matched_with_id is set for both sides of a pair."""

    __tablename__ = "peer_partner_requests"
    __table_args__ = (
        UniqueConstraint("course_id", "user_id"),
        Index("ix_peer_partner_requests_waiting", "course_id", "matched_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    matched_with_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    matched_at: Mapped[datetime | None]

    user: Mapped["User"] = relationship(foreign_keys=[user_id])  # noqa: F821
    matched_with: Mapped["User | None"] = relationship(foreign_keys=[matched_with_id])  # noqa: F821


# --- Course reviews and wishes ----------------------------------------------------------------------


REVIEW_EDIT_GRACE = timedelta(minutes=5)


class CourseReview(db.Model):
    __tablename__ = "course_reviews"
    __table_args__ = (
        UniqueConstraint("course_id", "user_id"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),
        Index("ix_course_reviews_course_visible", "course_id", "hidden_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    rating: Mapped[int]
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When its author last changed the rating or text (lms/peers/feedback.py): a staff reply or hiding it is no
    # edit of theirs, so this column has no onupdate.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    hidden_at: Mapped[datetime | None]
    hidden_reason: Mapped[str] = mapped_column(String(300), default="")
    instructor_reply: Mapped[str] = mapped_column(Text, default="")
    replied_at: Mapped[datetime | None]
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped["User"] = relationship(foreign_keys=[user_id])  # noqa: F821
    replied_by: Mapped["User | None"] = relationship(foreign_keys=[replied_by_id])  # noqa: F821

    @property
    def was_edited(self):
        """Changed by its author after a few minutes: a fix right after publishing is no edit worth a label (and
        the two timestamps of a new review, each taken by its own default, differ by microseconds)."""
        return self.updated_at - self.created_at > REVIEW_EDIT_GRACE


WISH_STATES = ("open", "planned", "available")


class CourseWish(db.Model):
    __tablename__ = "course_wishes"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'planned', 'available')", name="status"),
        CheckConstraint("vote_count >= 0", name="vote_count"),
        Index("ix_course_wishes_ranking", "vote_count", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(160))
    why: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))
    # Kept in step with WishVote rows by conditional UPDATEs, so the ranked list never counts votes per row.
    vote_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    author: Mapped["User | None"] = relationship()  # noqa: F821
    course: Mapped["Course | None"] = relationship()  # noqa: F821


class WishVote(db.Model):
    __tablename__ = "course_wish_votes"

    wish_id: Mapped[int] = mapped_column(ForeignKey("course_wishes.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
