"""A course's syllabus (its open modules and lessons, in order) kept in memory by each app process.

Every learner page of a course needs the syllabus (course home, lesson, dashboard, "mark done"), it is the
same for every learner, and it changes only when an instructor edits the course. Loading it is one of the
most expensive parts of those pages (one ORM object per lesson and module), so each process keeps an
immutable copy per (course, syllabus_version).

`courses.syllabus_version` is bumped in the same transaction as any change to the course's modules or
lessons (a before_flush hook below, so no studio code path can forget it). Pages load the course row anyway;
a new version simply misses the cache, so every process, on every server, sees an edit on its next request.
"""

from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import event, exists, select
from sqlalchemy.orm import Session

from lms.extensions import db
from lms.memo import LRUCache
from lms.models import Course, Lesson, Module, Upload
from lms.models.peers import Assignment

MAX_COURSES = 1024  # entries per process; a syllabus of 40 lessons is a few kilobytes


@dataclass(frozen=True, slots=True)
class ModuleInfo:
    id: int
    course_id: int
    position: int
    title: str
    summary: str
    drip_days: int | None
    opens_on: date | None
    requires_previous: bool


@dataclass(frozen=True, slots=True)
class LessonInfo:
    id: int
    course_id: int
    module_id: int
    position: int
    title: str
    minutes: int
    is_preview: bool
    requires_previous: bool
    pass_mark: int | None
    has_attachments: bool  # so a lesson page without files or a practice task skips those queries
    has_assignment: bool
    module: ModuleInfo

    @property
    def has_quiz(self):
        return self.pass_mark is not None


def _cache():
    # One cache per app (and so per database): tests build many apps whose course ids repeat.
    cache = current_app.extensions.get("lms.syllabus")
    if cache is None:  # not setdefault(..., LRUCache()): that would build a throwaway cache on every call
        cache = current_app.extensions.setdefault("lms.syllabus", LRUCache(MAX_COURSES))
    return cache


def _load(course_ids):
    """{course_id: (LessonInfo, ...)} read from the database in one query, plain rows, no ORM objects."""
    rows = db.session.execute(
        select(
            Module.id, Module.course_id, Module.position, Module.title, Module.summary, Module.drip_days,
            Module.opens_on, Module.requires_previous,
            Lesson.id, Lesson.position, Lesson.title, Lesson.minutes, Lesson.is_preview, Lesson.requires_previous,
            Lesson.pass_mark,
            exists().where(Upload.lesson_id == Lesson.id, Upload.kind == "attachment"),
            exists().where(Assignment.lesson_id == Lesson.id),
        )
        .join(Lesson, Lesson.module_id == Module.id)
        .where(Lesson.course_id.in_(course_ids), Lesson.archived_at.is_(None), Module.archived_at.is_(None))
        .order_by(Lesson.course_id, Module.position, Module.id, Lesson.position, Lesson.id)
    )  # fmt: skip
    result = {cid: [] for cid in course_ids}
    modules = {}
    for (module_id, course_id, module_position, module_title, summary, drip_days, opens_on, module_requires,
         lesson_id, position, title, minutes, is_preview, requires_previous, pass_mark, has_attachments,
         has_assignment) in rows:  # fmt: skip
        module = modules.get(module_id)
        if module is None:
            if isinstance(opens_on, str):  # SQLite can hand back ISO strings for dates in raw column selects
                opens_on = date.fromisoformat(opens_on)
            module = modules[module_id] = ModuleInfo(module_id, course_id, module_position, module_title, summary,
                                                     drip_days, opens_on, bool(module_requires))  # fmt: skip
        result[course_id].append(LessonInfo(lesson_id, course_id, module_id, position, title, minutes,
                                            bool(is_preview), bool(requires_previous), pass_mark,
                                            bool(has_attachments), bool(has_assignment), module))  # fmt: skip
    return {cid: tuple(lessons) for cid, lessons in result.items()}


def syllabi(courses):
    """{course_id: (LessonInfo, ...)} of the open lessons in course order, for Course objects (their
    syllabus_version is the cache key); at most one query, for the courses not in memory."""
    cache, found, missing = _cache(), {}, []
    for course in courses:
        hit = cache.get((course.id, course.syllabus_version))
        if hit is None:
            missing.append(course)
        else:
            found[course.id] = hit
    if missing:
        loaded = _load([course.id for course in missing])
        for course in missing:
            cache.put((course.id, course.syllabus_version), loaded[course.id])
            found[course.id] = loaded[course.id]
    return found


def syllabus(course):
    return syllabi([course])[course.id]


def fragment_key(course):
    """What names a course's syllabus in a fragment cache key (lms/fragments.py): its version changes with
    every edit to a module or lesson, so HTML built only from the syllabus is fresh under this key."""
    return course.id, course.syllabus_version


# What the cached syllabus depends on: modules and lessons, and whether a lesson has files or a practice task.
_WATCHED = (Module, Lesson, Upload, Assignment)


def _course_id_of(obj):
    if isinstance(obj, Upload) and obj.lesson_id is None:
        return None  # a course cover or a video file: not part of the syllabus
    if obj.course_id is not None:
        return obj.course_id
    course = getattr(obj, "course", None)
    if course is not None:
        return course.id
    module = getattr(obj, "module", None)  # a lesson added through its module
    return module.course_id if module is not None else None


@event.listens_for(Session, "before_flush")
def _bump_syllabus_version(session, flush_context, instances):
    """Any added, changed or deleted module, lesson, lesson attachment or practice task makes its course's
    cached syllabus stale."""
    course_ids = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if not isinstance(obj, _WATCHED):
            continue
        if obj in session.new or obj in session.deleted or session.is_modified(obj, include_collections=False):
            course_ids.add(_course_id_of(obj))
    for course_id in course_ids - {None}:
        course = session.get(Course, course_id)
        if course is not None and course not in session.deleted:
            # An SQL expression, so two editors saving at once both count.
            course.syllabus_version = Course.syllabus_version + 1
