"""Studio rules: course settings, slugs, publishing, staff, totals and knowledge-check scoring.

Module/lesson structure (add, move, archive) lives in lms.studio.structure.
No request or session access here; callers commit.
"""

import re
import unicodedata

from sqlalchemy import delete, func, select
from werkzeug.security import generate_password_hash

from lms.content import render_markdown
from lms.database import utcnow
from lms.enrolment.services import (
    CURRENT_STATES,
    find_enrolment,
    forget_request_notices_of,
    lapse_requests,
    refill_seats,
)
from lms.extensions import db
from lms.models import Course, CourseSkill, CourseStaff, Lesson, Module, Upload, User
from lms.permissions import forget_access
from lms.studio.uploads import path_of

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
RESERVED_SLUGS = {"new", "import", "files"}
SLUG_MAX = 80

# Allowed moves between states; published -> draft is not offered: learners may already be enrolled.
TRANSITIONS = {("draft", "published"), ("published", "archived"), ("archived", "published")}

# The years a date set in the studio (or read from an archive) may fall in: one far outside is a typo ("0202" for
# 2026), and a moment in year 1 or 9999 cannot even be moved between time zones (it would fail every page showing it).
FIRST_YEAR, LAST_YEAR = 1970, 2999
DATE_RANGE_MESSAGE = f"Enter a date between the years {FIRST_YEAR} and {LAST_YEAR}."


def in_date_range(value):
    return value is None or FIRST_YEAR <= value.year <= LAST_YEAR


class StudioError(ValueError):
    """A rule was broken; str(error) is a message for the instructor, `field` the form field it is about."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


def recompute_course_totals(course):
    """Refresh the denormalised lesson_count and total_minutes from the available lessons."""
    count, minutes = db.session.execute(
        select(func.count(Lesson.id), func.coalesce(func.sum(Lesson.minutes), 0))
        .join(Module, Module.id == Lesson.module_id)
        .where(Lesson.course_id == course.id, Lesson.archived_at.is_(None), Module.archived_at.is_(None))
    ).one()
    course.lesson_count, course.total_minutes = count, minutes
    return course


# --- slugs -----------------------------------------------------------------------------------------


def slugify(text, max_length=60):
    """"Négocier: rates & scope!" -> "negocier-rates-scope" (ASCII, lower case, hyphens)."""
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = slug[:max_length].rstrip("-")
    return slug or "course"


def slug_taken(slug, exclude_course_id=None):
    query = select(Course.id).where(Course.slug == slug)
    if exclude_course_id is not None:
        query = query.where(Course.id != exclude_course_id)
    return db.session.scalar(query) is not None or slug in RESERVED_SLUGS


def unique_slug(base, exclude_course_id=None):
    """base, or base-2, base-3 ... whichever is free."""
    base = base[: SLUG_MAX - 6].rstrip("-") or "course"
    candidate, n = base, 1
    while slug_taken(candidate, exclude_course_id):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


# --- courses ---------------------------------------------------------------------------------------


def create_course(owner, **settings):
    """A new draft course owned by `owner` (a CourseStaff row with role owner), with the form's settings."""
    course = Course(slug="", title="", owner_id=owner.id, status="draft")
    course.staff = [CourseStaff(user_id=owner.id, role="owner")]
    update_course(course, **settings)
    db.session.add(course)
    return course


def update_course(course, *, title, slug="", summary="", description_md="", outcomes="", level="intro",
                  skills="", enrolment_policy="open", enrolment_key="", capacity=None, enrol_opens_at=None,
                  enrol_closes_at=None):  # fmt: skip
    """Apply the settings form. The slug is editable until the first publication, then fixed."""
    if course.published_at is None:
        if slug and slug != course.slug:
            if slug in RESERVED_SLUGS:
                raise StudioError(f"“{slug}” is a reserved name; choose another URL name.", "slug")
            if slug_taken(slug, course.id):
                raise StudioError("Another course already uses this URL name.", "slug")
            course.slug = slug
        elif not course.slug:
            course.slug = unique_slug(slugify(title))
    if enrol_opens_at and enrol_closes_at and enrol_closes_at <= enrol_opens_at:
        raise StudioError("Enrolment must close after it opens.", "enrol_closes_at")
    if enrolment_policy == "key":
        if enrolment_key:
            set_enrolment_key(course, enrolment_key)
        elif not course.enrolment_key_hash:
            raise StudioError("Set the key learners must enter.", "enrolment_key")
    else:
        course.enrolment_key_hash = None
    course.title, course.summary, course.level = title.strip(), (summary or "").strip(), level
    course.description_md = description_md or ""
    course.description_html = str(render_markdown(course.description_md))
    course.outcomes = "\n".join(outcome_lines(outcomes))
    seats_added = course.id is not None and course.capacity is not None and (capacity is None or capacity > course.capacity)
    approval_ends = course.id is not None and course.enrolment_policy == "approval" and enrolment_policy != "approval"
    course.enrolment_policy, course.capacity = enrolment_policy, capacity
    if seats_added:
        refill_seats(course)  # new seats go to the waitlist at once, in order
    if approval_ends:
        lapse_requests(course)  # nobody will decide the pending requests now: their learners enrol the new way
    course.enrol_opens_at, course.enrol_closes_at = enrol_opens_at, enrol_closes_at
    set_skills(course, skills)
    return course


def capacity_notice(course, previous_capacity):
    """What to tell the instructor who just lowered the capacity below the learners already in (None otherwise):
    nobody is removed, the seats free up as learners leave."""
    lowered = course.capacity is not None and (previous_capacity is None or course.capacity < previous_capacity)
    if not lowered or course.enrolled_count <= course.capacity:
        return None
    return (f"{course.enrolled_count} learners are enrolled, more than the new capacity of {course.capacity}. "
            "Nobody is removed: newcomers join the waitlist until a seat is free.")  # fmt: skip


def enrolment_settings(course):
    """The settings that decide who gets in, for the audit log (the key only as whether it changed)."""
    return {"title": course.title, "enrolment": course.enrolment_policy, "capacity": course.capacity,
            "opens": course.enrol_opens_at, "closes": course.enrol_closes_at, "key": course.enrolment_key_hash}  # fmt: skip


def settings_changes(before, course):
    """What a settings save changed among enrolment_settings(), in words: "capacity 25 -> 10; key changed"."""
    after = enrolment_settings(course)
    changes = []
    for name, old in before.items():
        new = after[name]
        if old == new:
            continue
        if name == "key":
            changes.append("enrolment key changed" if new else "enrolment key removed")
        else:
            changes.append(f"{name} {'none' if old is None else old} -> {'none' if new is None else new}")
    return "; ".join(changes) or "description, skills or cover"


def set_skills(course, text):
    """Comma-separated tags -> CourseSkill rows: trimmed, lower-cased, no duplicates."""
    names = []
    for part in (text or "").split(","):
        name = re.sub(r"\s+", " ", part).strip().lower()[:60]
        if name and name not in names:
            names.append(name)
    existing = {skill.name: skill for skill in course.skills}
    course.skills = [existing.get(name) or CourseSkill(name=name) for name in names]


def set_enrolment_key(course, key):
    """Keep only a scrypt hash of the key; the enrolment service checks it with check_password_hash."""
    course.enrolment_key_hash = generate_password_hash(key, method="scrypt")


def outcome_lines(text):
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def available_lesson_count(course):
    return db.session.scalar(
        select(func.count(Lesson.id))
        .join(Module, Module.id == Lesson.module_id)
        .where(Lesson.course_id == course.id, Lesson.archived_at.is_(None), Module.archived_at.is_(None))
    )


def change_status(course, target):
    """draft -> published -> archived -> published. Publishing needs at least one lesson.

    Returns False when the course already has that status (a double click, or a page opened before someone
    else changed it): nothing to do."""
    if course.status == target:
        return False
    if (course.status, target) not in TRANSITIONS:
        article = "An" if course.status[:1] in ("a", "e", "i", "o", "u") else "A"
        becoming = "a draft again" if target == "draft" else target
        raise StudioError(f"{article} {course.status} course cannot become {becoming}.")
    if target == "published" and not available_lesson_count(course):
        raise StudioError("Add at least one lesson before publishing.")
    course.status = target
    if target == "published" and course.published_at is None:
        course.published_at = utcnow()
    recompute_course_totals(course)
    return True


def deletion_problem(course):
    """Why the course cannot be deleted (None: it can). Only a course that was never published: one that was
    may have had learners, whose records and certificates must stay (archive it instead)."""
    if course.published_at is not None or course.status != "draft":
        return "A course that was published cannot be deleted: archive it instead."
    return None


def delete_course(course):
    """Delete a never-published course with everything in it (the database cascades from the course row).
    Returns the paths of its uploaded files, for the caller to remove after the commit. Raises StudioError."""
    problem = deletion_problem(course)
    if problem:
        raise StudioError(problem)
    stored = db.session.scalars(select(Upload.stored_name).where(Upload.course_id == course.id)).all()
    db.session.execute(delete(Course).where(Course.id == course.id), execution_options={"synchronize_session": False})
    db.session.expunge(course)
    return [path_of(name) for name in stored]


# --- staff -----------------------------------------------------------------------------------------


def staff_of(course):
    return db.session.scalars(
        select(CourseStaff)
        .where(CourseStaff.course_id == course.id)
        .options(db.joinedload(CourseStaff.user))
        .order_by(CourseStaff.role.desc(), CourseStaff.added_at)
    ).all()


def add_co_instructor(course, email):
    """Any existing account may co-teach; it gets a CourseStaff row, its global role is untouched."""
    forget_access()
    user = db.session.scalar(select(User).where(func.lower(User.email) == (email or "").strip().lower()))
    if user is None:
        raise StudioError("No account uses that e-mail address. Ask them to sign up first.")
    if not user.active:
        raise StudioError("That account is deactivated.")
    if db.session.get(CourseStaff, (course.id, user.id)) is not None:
        raise StudioError(f"{user.display_name} is already on the staff of this course.")
    # Staff who were also learners would hold a seat and count among the learners in analytics and the roster.
    enrolment = find_enrolment(course, user)
    if enrolment is not None and enrolment.status in CURRENT_STATES:
        raise StudioError(f"{user.display_name} takes this course as a learner. They can leave it from its course "
                          "page, or you can remove them on the roster, before they join its staff.")  # fmt: skip
    staff = CourseStaff(course_id=course.id, user_id=user.id, role="instructor")
    db.session.add(staff)
    return staff, user


def remove_co_instructor(course, user_id):
    staff = db.session.get(CourseStaff, (course.id, user_id))
    if staff is None:
        raise StudioError("That person is not on the staff of this course.")
    if staff.role == "owner":
        raise StudioError("The owner cannot be removed.")
    user = staff.user
    db.session.delete(staff)
    # Their unread "asked to join" notices would lead to a roster they may no longer open.
    forget_request_notices_of(course, user)
    return user


def taught_course_count(user):
    """On the staff of how many courses (as owner or co-instructor): that stays whatever the global role."""
    return db.session.scalar(select(func.count()).where(CourseStaff.user_id == user.id))


def courses_for_studio(user):
    """The courses a user may edit: all for admins, else those with a CourseStaff row."""
    query = select(Course).options(db.joinedload(Course.owner)).order_by(Course.updated_at.desc(), Course.id.desc())
    if not user.is_admin:
        query = query.join(CourseStaff, CourseStaff.course_id == Course.id).where(CourseStaff.user_id == user.id)
    return db.session.scalars(query).unique().all()


# --- knowledge checks ------------------------------------------------------------------------------


def quiz_problems(lesson):
    """Why a lesson's questions cannot carry a pass mark (empty list: they can)."""
    if not lesson.questions:
        return ["Add at least one question first."]
    return [
        f"Question {index} needs at least one correct choice."
        for index, question in enumerate(lesson.questions, start=1)
        if not any(choice.is_correct for choice in question.choices)
    ]


def _as_ids(values):
    ids = set()
    for value in values if isinstance(values, list | set | tuple | frozenset) else [values]:
        try:
            ids.add(int(value))
        except (TypeError, ValueError):
            continue
    return ids


def score_quiz(lesson, answers):
    """Score answers {question_id: {choice_id, ...}} against the lesson's questions.

    A question counts as correct only when exactly its correct choices were chosen, so a partial answer
    to a multiple-choice question scores nothing. Returns (score_percent, passed, per_question_feedback),
    score rounded down; per_question_feedback is [{question, correct, chosen: [Choice], feedback: [str]}].
    """
    normalized = {}
    for key, values in (answers or {}).items():
        try:
            normalized[int(key)] = _as_ids(values)
        except (TypeError, ValueError):
            continue
    feedback, right = [], 0
    for question in lesson.questions:
        chosen_ids = normalized.get(question.id, set())
        chosen = [choice for choice in question.choices if choice.id in chosen_ids]
        if question.kind == "single" and len(chosen) > 1:
            chosen_correct = False
        else:
            chosen_correct = {c.id for c in chosen} == {c.id for c in question.choices if c.is_correct}
        right += chosen_correct
        feedback.append(
            {
                "question": question,
                "correct": chosen_correct,
                "chosen": chosen,
                "feedback": [choice.feedback for choice in chosen if choice.feedback],
            }
        )
    score = quiz_score(right, len(lesson.questions))
    return score, passes(score, lesson.pass_mark), feedback


def quiz_score(right, total):
    """The score of `right` correct answers out of `total` questions: a whole percentage, rounded down."""
    return (100 * right) // total if total else 100


def passes(score, pass_mark):
    return pass_mark is None or score >= pass_mark


def correct_answers_needed(pass_mark, total):
    """How many of `total` questions a learner must answer correctly to reach the pass mark, found with the very
    rules score_quiz grades by (67% of 3 questions needs all 3: 2 of 3 scores 66)."""
    return next(right for right in range(total + 1) if passes(quiz_score(right, total), pass_mark))
