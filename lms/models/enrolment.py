"""A learner's membership of a course: active, pending approval, waitlisted, or ended."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.database import utcnow
from lms.extensions import db

ENROLMENT_STATES = ("active", "pending", "waitlisted", "withdrawn", "declined", "removed")


class Enrolment(db.Model):
    __tablename__ = "enrolments"
    __table_args__ = (
        UniqueConstraint("course_id", "user_id"),
        CheckConstraint(
            "status IN ('active', 'pending', 'waitlisted', 'withdrawn', 'declined', 'removed')", name="status"
        ),
        Index("ix_enrolments_user_status", "user_id", "status"),
        Index("ix_enrolments_course_status_requested", "course_id", "status", "requested_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20))
    # requested_at orders the waitlist; enrolled_at starts the drip clock.
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    enrolled_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    last_lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id", ondelete="SET NULL"))
    last_activity_at: Mapped[datetime | None]

    course: Mapped["Course"] = relationship()  # noqa: F821
    user: Mapped["User"] = relationship()  # noqa: F821

    @property
    def is_active(self):
        return self.status == "active"
