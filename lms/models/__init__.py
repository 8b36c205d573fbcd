"""The shared model layer: importing this package registers every table on db.metadata."""

from lms.models import discussion, peers  # noqa: F401  (their tables register on import)
from lms.models.course import Choice, Course, CourseSkill, CourseStaff, Lesson, Module, Question, Upload
from lms.models.discussion import BoardFollow, Post, PostReport, PostVote, Thread, ThreadFollow, ThreadRead
from lms.models.enrolment import Enrolment
from lms.models.notification import Notification
from lms.models.progress import Certificate, DailyActivity, LessonProgress, QuizAttempt
from lms.models.user import AuditEntry, PendingSignUp, SignIn, User
from lms.models.peers import (
    Assignment,
    Block,
    Connection,
    CourseReview,
    CourseWish,
    PartnerRequest,
    PeerReport,
    Review,
    ReviewAssignment,
    ReviewScore,
    RubricCriterion,
    Submission,
    WishVote,
)

__all__ = [
    "Assignment",
    "Block",
    "Connection",
    "CourseReview",
    "CourseWish",
    "PartnerRequest",
    "PeerReport",
    "PendingSignUp",
    "Review",
    "ReviewAssignment",
    "ReviewScore",
    "RubricCriterion",
    "SignIn",
    "Submission",
    "WishVote",
    "AuditEntry",
    "BoardFollow",
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
    "Post",
    "PostReport",
    "PostVote",
    "Question",
    "QuizAttempt",
    "Thread",
    "ThreadFollow",
    "ThreadRead",
    "Upload",
    "User",
]
