"""Course structure: modules and lessons — add, edit, order, archive or delete — and video embeds.

Every function that changes structure refreshes the course totals. Callers commit.
"""

import re
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func, select

from lms.content import estimate_minutes, render_markdown
from lms.database import utcnow
from lms.extensions import db
from lms.lessons.services import local_today
from lms.models import Lesson, LessonProgress, Module, Upload
from lms.progress.services import complete_learners_now_finished
from lms.studio.services import StudioError, recompute_course_totals
from lms.studio.uploads import delete_upload

_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_VIMEO_ID = re.compile(r"^[0-9]{1,12}$")
_VIMEO_HASH = re.compile(r"^[0-9a-f]{6,20}$")
YOUTUBE_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com", "youtube-nocookie.com", "www.youtube-nocookie.com"}
VIMEO_HOSTS = {"vimeo.com", "www.vimeo.com", "player.vimeo.com"}


def embed_src(url):
    """Turn a YouTube or Vimeo link into the only iframe sources we allow; refuse anything else.

    A start time in the link (YouTube's ``t=1m30s`` or ``start=90``, Vimeo's ``#t=90s``) is kept, so an instructor
    who shares "watch from here" gets a player that starts there."""
    url = (url or "").strip()
    if not url:
        return ""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or parts.username or parts.password or parts.port:
        raise StudioError("Use a normal https link to a YouTube or Vimeo video.")
    segments = [s for s in parts.path.split("/") if s]
    query = parse_qs(parts.query)
    start = _start_seconds(query, parts.fragment)
    if host == "youtu.be" and segments:
        video_id = segments[0]
    elif host in YOUTUBE_HOSTS:
        if segments[:1] == ["watch"] or parts.path == "/watch":
            video_id = (query.get("v") or [""])[0]
        elif len(segments) >= 2 and segments[0] in ("embed", "shorts", "live", "v"):
            video_id = segments[1]
        else:
            video_id = ""
    elif host in VIMEO_HOSTS:
        if host == "player.vimeo.com":
            segments = segments[1:] if segments[:1] == ["video"] else []
        elif segments[:1] == ["channels"] and len(segments) >= 3:  # vimeo.com/channels/<channel>/<id>
            segments = segments[2:]
        elif segments[:1] == ["groups"] and len(segments) >= 4 and segments[2] == "videos":
            segments = segments[3:]  # vimeo.com/groups/<group>/videos/<id>
        video_id = segments[0] if segments else ""
        unlisted = segments[1] if len(segments) > 1 else (query.get("h") or [""])[0]
        if _VIMEO_ID.match(video_id):
            suffix = f"?h={unlisted}" if _VIMEO_HASH.match(unlisted or "") else ""
            return f"https://player.vimeo.com/video/{video_id}{suffix}" + (f"#t={start}s" if start else "")
        raise StudioError("That Vimeo link does not point to a video.")
    else:
        raise StudioError("Only YouTube and Vimeo videos can be embedded. Upload the video file instead.")
    if not _YOUTUBE_ID.match(video_id or ""):
        raise StudioError("That YouTube link does not point to a video.")
    return f"https://www.youtube-nocookie.com/embed/{video_id}" + (f"?start={start}" if start else "")


MAX_START = 100 * 3600
_TIME = re.compile(r"^(?:(\d{1,2})h)?(?:(\d{1,4})m)?(?:(\d{1,6})s?)?$")


def _start_seconds(query, fragment):
    """Seconds from a link's ``t``/``start`` parameter or ``#t=`` fragment (``90``, ``90s``, ``1m30s``), else 0.

    A value that is not a time is ignored rather than refused: the video itself is still the one meant."""
    fragment_time = parse_qs(fragment).get("t") or []
    for value in (query.get("start") or []) + (query.get("t") or []) + fragment_time:
        match = _TIME.match(value.strip().lower())
        if match and any(match.groups()):
            hours, minutes, seconds = (int(group or 0) for group in match.groups())
            total = hours * 3600 + minutes * 60 + seconds
            # No video runs 100 hours: such a value is a typo, and as seconds it would not read back (6 digits).
            return total if total < MAX_START else 0
    return 0


# --- modules ---------------------------------------------------------------------------------------


def _next_position(model, **where):
    query = select(func.coalesce(func.max(model.position), -1))
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.session.scalar(query) + 1


def add_module(course, **fields):
    module = Module(course_id=course.id, position=_next_position(Module, course_id=course.id), title="")
    update_module(module, **fields)
    db.session.add(module)
    return module


def update_module(module, *, title, summary="", drip_days=None, opens_on=None, requires_previous=False):
    if drip_days is not None and opens_on is not None:
        raise StudioError("Choose either days after enrolment or a fixed date, not both.")
    module.title = title.strip()
    module.summary = (summary or "").strip()
    module.drip_days, module.opens_on, module.requires_previous = drip_days, opens_on, requires_previous
    return module


def opening_note(module, editor):
    """A word after saving a module whose fixed opening date has already come where the editor is: it is open to
    learners at once, which a date picked by mistake (last year, say) would otherwise hide."""
    if module.opens_on is None or module.opens_on > local_today(editor):
        return ""
    return f" Its opening date, {module.opens_on:%d %b %Y}, has come, so learners can open it now."


def drip_label(module):
    if module.opens_on is not None:
        return f"Opens on {module.opens_on:%d %b %Y}"
    if module.drip_days:
        return f"Opens {module.drip_days} day{'s' if module.drip_days != 1 else ''} after enrolment"
    return "Open from enrolment"


# --- lessons ---------------------------------------------------------------------------------------


def add_lesson(module, **fields):
    lesson = Lesson(
        course_id=module.course_id, module_id=module.id, title="",
        position=_next_position(Lesson, module_id=module.id),
    )  # fmt: skip
    lesson.module = module
    db.session.add(lesson)
    update_lesson(lesson, **fields)
    return lesson


def update_lesson(lesson, *, title, body_md="", minutes_authored=None, video_minutes=0, video_embed_url="",
                  is_preview=False, requires_previous=False):  # fmt: skip
    """Save the text and settings; body HTML is rendered once here, minutes derived when not typed."""
    lesson.title = title.strip()
    lesson.body_md = body_md or ""
    lesson.body_html = str(render_markdown(lesson.body_md))
    lesson.video_minutes = video_minutes or 0
    try:
        lesson.video_embed_url = embed_src(video_embed_url) if video_embed_url else ""
    except StudioError as error:
        raise StudioError(str(error), "video_embed") from None
    lesson.minutes_authored = minutes_authored
    lesson.minutes = minutes_authored if minutes_authored is not None else estimate_minutes(body_md, video_minutes)
    lesson.is_preview, lesson.requires_previous = is_preview, requires_previous
    recompute_course_totals(lesson.course or lesson.module.course)
    return lesson


def move_to_module(lesson, module):
    if module.course_id != lesson.course_id:
        raise StudioError("That module belongs to another course.")
    if module.id != lesson.module_id:
        lesson.module = module
        lesson.position = _next_position(Lesson, module_id=module.id)
    recompute_course_totals(lesson.course)


def _swap(items, item, direction):
    index = items.index(item)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]
    for position, each in enumerate(items):
        each.position = position


def move_module(course, module, direction):
    _swap(list(course.modules), module, direction)


def move_lesson(lesson, direction):
    _swap(list(lesson.module.lessons), lesson, direction)


def apply_order(course, order):
    """order: [{"module": id, "lessons": [id, ...]}, ...] covering every module and lesson of the course."""
    modules = {m.id: m for m in course.modules}
    lessons = {lesson.id: lesson for m in course.modules for lesson in m.lessons}
    try:
        module_ids = [int(entry["module"]) for entry in order]
        lesson_ids = [int(lid) for entry in order for lid in entry["lessons"]]
    except (TypeError, KeyError, ValueError, OverflowError):  # OverflowError: JSON's Infinity or 1e400
        raise StudioError("The new order could not be read.") from None
    if sorted(module_ids) != sorted(modules) or sorted(lesson_ids) != sorted(lessons):
        raise StudioError("The page was out of date; reload it and try again.")
    for m_position, entry in enumerate(order):
        module = modules[int(entry["module"])]
        module.position = m_position
        for l_position, lesson_id in enumerate(entry["lessons"]):
            lesson = lessons[int(lesson_id)]
            lesson.module, lesson.position = module, l_position
    recompute_course_totals(course)


# --- delete or archive -----------------------------------------------------------------------------


def learners_with_progress(lesson_ids):
    if not lesson_ids:
        return 0
    return db.session.scalar(
        select(func.count(func.distinct(LessonProgress.user_id))).where(LessonProgress.lesson_id.in_(lesson_ids))
    )


def _delete_lesson_files(lesson_ids):
    if not lesson_ids:
        return []
    uploads = db.session.scalars(select(Upload).where(Upload.lesson_id.in_(lesson_ids))).all()
    return [delete_upload(upload) for upload in uploads]


def _after_removal(course):
    """Fewer lessons count now: new totals, and learners who had done all the others have finished."""
    db.session.flush()
    recompute_course_totals(course)
    complete_learners_now_finished(course.id)


def remove_lesson(lesson):
    """Archive when learners have progress (their records stay), else delete. Returns (archived, paths)."""
    course = lesson.course
    if learners_with_progress([lesson.id]):
        lesson.archived_at = utcnow()
        _after_removal(course)
        return True, []
    paths = _delete_lesson_files([lesson.id])
    lesson.module.lessons.remove(lesson)
    _after_removal(course)
    return False, paths


def remove_module(module):
    course = module.course
    lesson_ids = [lesson.id for lesson in module.lessons]
    if learners_with_progress(lesson_ids):
        module.archived_at = utcnow()
        _after_removal(course)
        return True, []
    paths = _delete_lesson_files(lesson_ids)
    course.modules.remove(module)
    _after_removal(course)
    return False, paths


def restore(item):
    item.archived_at = None
    recompute_course_totals(item.course)
