"""Access rules for taking a course: drip release, prerequisites, archived lessons, and the status of
every lesson for one learner — computed from one lesson query and one progress query per page.

This module is the one place that decides whether a lesson is open to a learner.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache, cached_property
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select
from sqlalchemy.orm import contains_eager

from lms import database
from lms.content import uploads_shown_as_images
from lms.extensions import db
from lms.models import Lesson, LessonProgress, Module
from lms.permissions import active_enrolment, can_take_course, is_course_staff
from lms.syllabus import LessonInfo, syllabi, syllabus
from lms.syllabus import fragment_key as syllabus_fragment_key

DONE, IN_PROGRESS, NOT_STARTED, LOCKED = "done", "in_progress", "not_started", "locked"
STATUS_LABELS = {DONE: "Done", IN_PROGRESS: "In progress", NOT_STARTED: "Not started", LOCKED: "Locked"}


@dataclass
class LessonState:
    lesson: "Lesson | LessonInfo"  # the syllabus copy (lms/syllabus.py) on learner pages
    status: str
    reason: str = ""
    opens_on: date | None = None
    progress: object = None  # the learner's progress row for the lesson (see load_progress)

    @property
    def available(self):
        return self.status != LOCKED

    @property
    def done(self):
        return self.status == DONE

    @property
    def label(self):
        return STATUS_LABELS[self.status]


@dataclass
class CourseOutline:
    """A course as one learner sees it: modules of lesson states, in course order."""

    modules: list = field(default_factory=list)  # [(Module, [LessonState, ...]), ...]
    states: list = field(default_factory=list)  # every LessonState in course order
    syllabus_key: tuple = ()  # (course id, syllabus_version) when the lessons are the in-memory syllabus

    def module_fragment_key(self, course, module, states, resume):
        """What a module's lesson list on the course home shows, as the key its HTML is kept under
        (lms/fragments.py): titles, minutes and quizzes come with the syllabus version, the rest is each
        lesson's status and lock reason and which lesson is next. None (render it afresh) for an outline not
        built from the in-memory syllabus."""
        if not self.syllabus_key:
            return None
        next_id = resume.lesson.id if resume is not None and resume.lesson.module_id == module.id else None
        return (course.slug, self.syllabus_key, module.id, next_id, tuple((s.status, s.reason) for s in states))

    def state_of(self, lesson_id):
        return next((s for s in self.states if s.lesson.id == lesson_id), None)

    @property
    def done_count(self):
        return sum(1 for s in self.states if s.done)

    @property
    def percent(self):
        return round(100 * self.done_count / len(self.states)) if self.states else 0

    @property
    def total_minutes(self):
        return sum(s.lesson.minutes for s in self.states)

    @property
    def remaining_minutes(self):
        return sum(s.lesson.minutes for s in self.states if not s.done)

    @property
    def is_complete(self):
        return bool(self.states) and all(s.done for s in self.states)

    def next_open(self, after_lesson_id=None):
        """The first available, not-done lesson (after the given one, if any), in course order."""
        seen = after_lesson_id is None
        for state in self.states:
            if not seen:
                seen = state.lesson.id == after_lesson_id
                continue
            if state.available and not state.done:
                return state
        return None

    def continue_state(self, last_lesson_id=None):
        """Resume at the last visited lesson if it is still open and not done, else the next open one."""
        if last_lesson_id:
            last = self.state_of(last_lesson_id)
            if last is not None and last.available and not last.done:
                return last
        return self.next_open()

    def neighbours(self, lesson_id):
        ids = [s.lesson.id for s in self.states]
        if lesson_id not in ids:
            return None, None
        i = ids.index(lesson_id)
        return (self.states[i - 1] if i > 0 else None), (self.states[i + 1] if i + 1 < len(ids) else None)

    def upcoming_openings(self):
        """(module, date) for modules that open on a later date, soonest first."""
        seen, result = set(), []
        for module, states in self.modules:
            dated = [s.opens_on for s in states if s.opens_on]
            if dated and module.id not in seen:
                seen.add(module.id)
                result.append((module, min(dated)))
        return sorted(result, key=lambda pair: pair[1])


def timezone_of(user):
    try:
        return ZoneInfo(getattr(user, "timezone", None) or "UTC")
    except Exception:  # an unknown zone name in old data falls back to UTC rather than failing the page
        return ZoneInfo("UTC")


def local_today(user, now=None):
    """Today's date where the learner is. `now` is naive UTC (tests pass one in)."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    return now.replace(tzinfo=UTC).astimezone(timezone_of(user)).date()


def _local_date(moment, tz):
    return moment.replace(tzinfo=UTC).astimezone(tz).date()


def module_opens_on(module, enrolment, tz):
    """The date a module opens for this learner, or None when it has no drip rule.

    Drip by days counts calendar days in the learner's time zone from enrolment; with both a fixed date
    and days set, both must have passed.
    """
    dates = []
    if module.opens_on is not None:
        dates.append(module.opens_on)
    if module.drip_days and enrolment is not None and enrolment.enrolled_at is not None:
        dates.append(_local_date(enrolment.enrolled_at, tz) + timedelta(days=module.drip_days))
    return max(dates) if dates else None


def syllabus_openings(modules, enrolment, user, now=None):
    """{module id: (date, opened)} for the course page's syllabus: the day each drip-scheduled module opens for this
    viewer (a fixed date for everyone; "N days after enrolment" only once they are enrolled, as their own date),
    and whether that day has come where they are, so a date in the past is not read as still to come."""
    enrolled = enrolment is not None and enrolment.status == "active" and enrolment.enrolled_at is not None
    tz, today = timezone_of(user), local_today(user, now)
    openings = {}
    for module in modules:
        day = module_opens_on(module, enrolment if enrolled else None, tz)
        if day is not None and (module.opens_on is not None or enrolled):
            openings[module.id] = (day, day <= today)
    return openings


def load_lessons(course_ids):
    """{course_id: [Lesson, ...]} of the available (not archived) lessons in course order; one query.
    Each lesson's module comes with it (contains_eager), so templates never lazy-load it per row."""
    course_ids = list(course_ids)
    result = {cid: [] for cid in course_ids}
    if not course_ids:
        return result
    lessons = db.session.scalars(
        select(Lesson)
        .join(Lesson.module)
        .options(contains_eager(Lesson.module))
        .where(Lesson.course_id.in_(course_ids), Lesson.archived_at.is_(None), Module.archived_at.is_(None))
        .order_by(Lesson.course_id, Module.position, Module.id, Lesson.position, Lesson.id)
    )
    for lesson in lessons:
        result[lesson.course_id].append(lesson)
    return result


class ProgressRow(NamedTuple):
    """A learner's progress on a lesson as build_outline reads it. A named tuple rather than SQLAlchemy's Row:
    the dashboard reads hundreds of these fields per visit, and a Row's attribute access is five times slower."""

    lesson_id: int
    completed_at: datetime | None
    last_opened_at: datetime | None
    quiz_attempts: int
    best_score: int | None


def load_progress(user_id, course_ids):
    """{lesson_id: ProgressRow} for one learner across courses; one query. Plain rows, not ORM objects: a
    learner can have hundreds, and a row read this way always shows a completion written earlier in the same
    request."""
    course_ids = list(course_ids)
    if user_id is None or not course_ids:
        return {}
    rows = database.rows(_progress_statement(), {"user_id": user_id, "course_ids": course_ids}).all()
    return {row[0]: ProgressRow._make(row) for row in rows}


@cache
def _progress_statement():
    return select(
        LessonProgress.lesson_id, LessonProgress.completed_at, LessonProgress.last_opened_at,
        LessonProgress.quiz_attempts, LessonProgress.best_score,
    ).where(
        LessonProgress.user_id == bindparam("user_id"),
        LessonProgress.course_id.in_(bindparam("course_ids", expanding=True)),
    )  # fmt: skip


def build_outline(lessons, progress_by_lesson, *, enrolment=None, tz=None, today=None, bypass_locks=False):
    """Turn ordered lessons plus the learner's progress rows into lesson states (no queries).

    A free-preview lesson never locks: every visitor of the course page may read it, so a learner who read it
    before enrolling must not find it locked (by drip or a prerequisite) after enrolling. The lessons after it
    still wait for it to be done."""
    tz = tz or ZoneInfo("UTC")
    today = today or datetime.now(tz).date()
    outline = CourseOutline()
    previous_done = True  # the previous lesson in course order is completed
    previous_module_done = True
    current_module, current_states, module_done = None, None, True
    for lesson in lessons:
        module = lesson.module
        if module is not current_module:
            if current_module is not None:
                previous_module_done = module_done
            current_module, current_states, module_done = module, [], True
            outline.modules.append((module, current_states))
        progress = progress_by_lesson.get(lesson.id)
        done = progress is not None and progress.completed_at is not None
        state = LessonState(lesson=lesson, status=NOT_STARTED, progress=progress)
        if done:
            state.status = DONE
        else:
            locks = not (bypass_locks or lesson.is_preview)
            opens_on = module_opens_on(module, enrolment, tz)
            if locks and opens_on is not None and opens_on > today:
                state.status, state.opens_on = LOCKED, opens_on
                state.reason = f"“{module.title}” opens on {opens_on.strftime('%d %b %Y')}."
            elif locks and module.requires_previous and not previous_module_done:
                state.status = LOCKED
                state.reason = f"Finish every lesson of the previous module before “{module.title}”."
            elif locks and lesson.requires_previous and not previous_done:
                previous = outline.states[-1].lesson
                state.status = LOCKED
                state.reason = f"Complete “{previous.title}” first."
            elif progress is not None:
                state.status = IN_PROGRESS
        previous_done = done
        module_done = module_done and done
        current_states.append(state)
        outline.states.append(state)
    return outline


def course_outline(user, course, enrolment=None, *, bypass_locks=False, now=None):
    """The outline of one course for one learner: the syllabus from memory, one progress query."""
    user_id = user.id if getattr(user, "is_authenticated", False) else None
    return _syllabus_outline(user, course, load_progress(user_id, [course.id]), enrolment, bypass_locks, now)


def _syllabus_outline(user, course, progress, enrolment, bypass_locks=False, now=None):
    """The outline of the course's in-memory syllabus with these progress rows, keyed for the fragment cache."""
    outline = build_outline(
        syllabus(course), progress, enrolment=enrolment, tz=timezone_of(user), today=local_today(user, now),
        bypass_locks=bypass_locks,
    )  # fmt: skip
    outline.syllabus_key = syllabus_fragment_key(course)
    return outline


def outline_after_completion(user, course, enrolment, outline, lesson_id, completed_at, now=None):
    """The learner's outline once lesson_id is done, rebuilt from the outline loaded before the completion
    (its progress rows) instead of reading the progress again: what the "mark done" reply reports."""
    progress = {s.lesson.id: s.progress for s in outline.states if s.progress is not None}
    before = progress.get(lesson_id)
    if before is None:
        progress[lesson_id] = ProgressRow(lesson_id, completed_at, None, 0, None)
    else:
        progress[lesson_id] = before._replace(completed_at=completed_at)
    return _syllabus_outline(user, course, progress, enrolment, now=now)


def outlines_for_enrolments(user, enrolments, now=None):
    """{course_id: CourseOutline} for many courses of one learner (the dashboard): one progress query, and
    one syllabus query only for courses not already in memory."""
    lessons = syllabi([e.course for e in enrolments])
    progress = load_progress(user.id, [e.course_id for e in enrolments])
    tz, today = timezone_of(user), local_today(user, now)
    return {
        e.course_id: build_outline(lessons[e.course_id], progress, enrolment=e, tz=tz, today=today)
        for e in enrolments
    }


def attachments_to_list(lesson, uploads):
    """The lesson's attachments for the list under its text: the files to download. An image the text already
    shows inline is left out; one it only links to, or does not show, stays."""
    shown = uploads_shown_as_images(lesson.body_html)
    return [u for u in uploads if not (u.content_type.startswith("image/") and u.stored_name in shown)]


# What LessonAccess says of a lesson for one visitor.
READ = "read"  # a learner (or staff) may open it
PREVIEW = "preview"  # not a learner, but it is a free preview of a published course
LOCKED_NOW = "locked"  # a learner, but drip or a prerequisite keeps it closed for now (state.reason says why)
TAKEN_OUT = "taken_out"  # a learner, but the lesson or its module is archived
NOT_A_LEARNER = "not_a_learner"


@dataclass
class LessonAccess:
    kind: str  # READ, PREVIEW, LOCKED_NOW, TAKEN_OUT or NOT_A_LEARNER
    outline: CourseOutline | None = None
    state: LessonState | None = None

    @property
    def readable(self):
        return self.kind in (READ, PREVIEW)


class CourseAccess:
    """Who the visitor is for one course (staff, an active learner, or neither) and which of its lessons they may
    read. The one rule the lesson page, its actions ("mark done", the knowledge check) and the lesson's files
    follow, so a file never opens before its lesson does."""

    def __init__(self, user, course, *, now=None):
        self.user, self.course, self.now = user, course, now
        self.is_staff = is_course_staff(user, course)
        self.enrolment = active_enrolment(user, course)
        self.can_take = can_take_course(user, course)

    @cached_property
    def outline(self):
        """The learner's outline (staff: every lesson open); None for a visitor who is not a learner."""
        if not self.can_take:
            return None
        return course_outline(self.user, self.course, self.enrolment, bypass_locks=self.is_staff, now=self.now)

    @cached_property
    def _preview_ids(self):
        """Free previews, open to everyone while the course is published, but not once archived (their own or
        their module's archive takes them out of the syllabus)."""
        if self.course.status != "published":
            return frozenset()
        return frozenset(lesson.id for lesson in syllabus(self.course) if lesson.is_preview)

    def of(self, lesson):
        """The LessonAccess of one lesson of this course."""
        if not self.can_take:
            return LessonAccess(PREVIEW if lesson.id in self._preview_ids else NOT_A_LEARNER)
        state = self.outline.state_of(lesson.id)
        if state is None:  # archived lesson or module: gone for learners, still readable by staff
            if not self.is_staff:
                return LessonAccess(TAKEN_OUT, self.outline)
            state = LessonState(lesson=lesson, status=NOT_STARTED, reason="This lesson is archived.")
        return LessonAccess(READ if state.available else LOCKED_NOW, self.outline, state)

    def readable_lesson_ids(self):
        """Ids of the lessons of(lesson) calls readable (archived ones left out, staff included)."""
        if not self.can_take:
            return self._preview_ids
        return frozenset(state.lesson.id for state in self.outline.states if state.available)
