"""The shared model layer: importing this package registers every table on db.metadata."""

from lms.models import discussion, peers  # noqa: F401  (their tables register on import)
from lms.models.course import Choice, Course, CourseSkill, CourseStaff, Lesson, Module, Question, Upload
from lms.models.enrolment import Enrolment
from lms.models.notification import Notification
from lms.models.progress import Certificate, DailyActivity, LessonProgress, QuizAttempt
from lms.models.user import AuditEntry, User

__all__ = [
    "AuditEntry",
    "Certificate",
    "Choice",
    "Course",
    "CourseSkill",
    "CourseStaff",
    "DailyActivity",
    "Enrolment",
    "Lesson",
    "LessonProgress",
    "Module",
    "Notification",
    "Question",
    "QuizAttempt",
    "Upload",
    "User",
]
