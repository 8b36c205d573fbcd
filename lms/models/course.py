"""Courses as ordered modules of ordered lessons, with knowledge checks, staff and uploaded files."""

import secrets
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.database import utcnow
from lms.extensions import db

LEVELS = ("intro", "intermediate", "advanced")
COURSE_STATES = ("draft", "published", "archived")
ENROLMENT_POLICIES = ("open", "key", "approval")


def first_syllabus_version():
    """Where a new course's syllabus version starts: anywhere, not at 0. A deleted draft's syllabus can stay in
    the memory of app processes under (course id, version), and SQLite gives the next new course the deleted
    one's id: counting from the same start, it would be shown the deleted course's lessons."""
    return secrets.randbelow(2**30)


class Course(db.Model):
    __tablename__ = "courses"
    __table_args__ = (
        CheckConstraint("level IN ('intro', 'intermediate', 'advanced')", name="level"),
        CheckConstraint("status IN ('draft', 'published', 'archived')", name="status"),
        CheckConstraint("enrolment_policy IN ('open', 'key', 'approval')", name="enrolment_policy"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        Index("ix_courses_status_published_at", "status", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(160))
    summary: Mapped[str] = mapped_column(String(300), default="")
    description_md: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    # One outcome per line: "what you will be able to do".
    outcomes: Mapped[str] = mapped_column(Text, default="")
    level: Mapped[str] = mapped_column(String(20), default="intro")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    cover_upload_id: Mapped[int | None] = mapped_column(ForeignKey("uploads.id", ondelete="SET NULL", use_alter=True))

    enrolment_policy: Mapped[str] = mapped_column(String(20), default="open")
    enrolment_key_hash: Mapped[str | None] = mapped_column(String(255))
    capacity: Mapped[int | None]
    enrol_opens_at: Mapped[datetime | None]
    enrol_closes_at: Mapped[datetime | None]

    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None]

    # Denormalised so catalog cards and capacity checks never count rows per course:
    # kept up to date by the studio (lessons/minutes) and enrolment (seats) services.
    total_minutes: Mapped[int] = mapped_column(default=0)
    lesson_count: Mapped[int] = mapped_column(default=0)
    enrolled_count: Mapped[int] = mapped_column(default=0)
    # Bumped in the same transaction as any change to the course's modules or lessons (lms/syllabus.py),
    # so every app process can keep the syllabus in memory and know at once when its copy is stale.
    syllabus_version: Mapped[int] = mapped_column(default=first_syllabus_version, server_default="0")

    owner: Mapped["User | None"] = relationship(foreign_keys=[owner_id])  # noqa: F821
    modules: Mapped[list["Module"]] = relationship(
        back_populates="course", order_by="Module.position", cascade="all, delete-orphan"
    )
    skills: Mapped[list["CourseSkill"]] = relationship(
        back_populates="course", cascade="all, delete-orphan", order_by="CourseSkill.name"
    )
    staff: Mapped[list["CourseStaff"]] = relationship(back_populates="course", cascade="all, delete-orphan")
    cover: Mapped["Upload | None"] = relationship(foreign_keys=[cover_upload_id], post_update=True)

    @property
    def skill_names(self):
        return [s.name for s in self.skills]

    @property
    def is_published(self):
        return self.status == "published"

    def __repr__(self):
        return f"<Course {self.slug}>"


class CourseSkill(db.Model):
    __tablename__ = "course_skills"

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(60), primary_key=True, index=True)

    course: Mapped[Course] = relationship(back_populates="skills")


class CourseStaff(db.Model):
    """Who may edit and moderate a course: its owner and co-instructors."""

    __tablename__ = "course_staff"
    __table_args__ = (CheckConstraint("role IN ('owner', 'instructor')", name="role"),)

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(20), default="instructor")
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship(back_populates="staff")
    user: Mapped["User"] = relationship()  # noqa: F821


class Module(db.Model):
    __tablename__ = "modules"
    __table_args__ = (
        Index("ix_modules_course_position", "course_id", "position"),
        CheckConstraint("drip_days IS NULL OR drip_days >= 0", name="drip_days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(160))
    summary: Mapped[str] = mapped_column(String(500), default="")
    # Drip: opens N days after the learner's enrolment, or on a fixed date (whichever is set).
    drip_days: Mapped[int | None]
    opens_on: Mapped[date | None]
    # Prerequisite: every lesson of the previous module must be complete first.
    requires_previous: Mapped[bool] = mapped_column(default=False)
    archived_at: Mapped[datetime | None]

    course: Mapped[Course] = relationship(back_populates="modules")
    lessons: Mapped[list["Lesson"]] = relationship(
        back_populates="module", order_by="Lesson.position", cascade="all, delete-orphan"
    )


class Lesson(db.Model):
    __tablename__ = "lessons"
    __table_args__ = (
        Index("ix_lessons_module_position", "module_id", "position"),
        Index("ix_lessons_course", "course_id"),
        CheckConstraint("minutes >= 0", name="minutes"),
        CheckConstraint("pass_mark IS NULL OR (pass_mark >= 0 AND pass_mark <= 100)", name="pass_mark"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # course_id is denormalised from the module so progress per course is one indexed query.
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(160))
    body_md: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    # Effective minutes shown to learners; minutes_authored is what the instructor typed (None: derived).
    minutes: Mapped[int] = mapped_column(default=1)
    minutes_authored: Mapped[int | None]
    video_embed_url: Mapped[str] = mapped_column(String(300), default="")
    video_upload_id: Mapped[int | None] = mapped_column(ForeignKey("uploads.id", ondelete="SET NULL", use_alter=True))
    video_minutes: Mapped[int] = mapped_column(default=0)
    is_preview: Mapped[bool] = mapped_column(default=False)
    requires_previous: Mapped[bool] = mapped_column(default=False)
    pass_mark: Mapped[int | None]  # percent needed to pass the knowledge check; None: no check
    archived_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    module: Mapped[Module] = relationship(back_populates="lessons")
    course: Mapped[Course] = relationship()
    questions: Mapped[list["Question"]] = relationship(
        back_populates="lesson", order_by="Question.position", cascade="all, delete-orphan"
    )
    video_upload: Mapped["Upload | None"] = relationship(foreign_keys=[video_upload_id], post_update=True)

    @property
    def has_quiz(self):
        return self.pass_mark is not None


class Question(db.Model):
    __tablename__ = "questions"
    __table_args__ = (CheckConstraint("kind IN ('single', 'multiple')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    prompt: Mapped[str] = mapped_column(String(1000))
    kind: Mapped[str] = mapped_column(String(20), default="single")

    lesson: Mapped[Lesson] = relationship(back_populates="questions")
    choices: Mapped[list["Choice"]] = relationship(
        back_populates="question", order_by="Choice.position", cascade="all, delete-orphan"
    )


class Choice(db.Model):
    __tablename__ = "choices"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(String(500))
    is_correct: Mapped[bool] = mapped_column(default=False)
    feedback: Mapped[str] = mapped_column(String(1000), default="")

    question: Mapped[Question] = relationship(back_populates="choices")


class Upload(db.Model):
    """A stored file under instance/uploads/ with a random name; served only through an access-checked view."""

    __tablename__ = "uploads"
    __table_args__ = (
        UniqueConstraint("stored_name"),
        CheckConstraint("kind IN ('cover', 'attachment', 'video', 'image')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    stored_name: Mapped[str] = mapped_column(String(80))
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    alt_text: Mapped[str] = mapped_column(String(300), default="")
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id", ondelete="SET NULL"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
