"""Course export/import: one .zip with manifest.json (settings, structure, questions, practice assignments,
file metadata) + files/.

Import validates the whole archive (names, sizes, JSON shape, every file's bytes) before it writes a
single row or file, so a broken or hostile archive changes nothing.
"""

import hashlib
import io
import json
import os
import re
import zipfile
import zlib
from datetime import UTC, date, datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.content import render_markdown
from lms.extensions import db
from lms.models import Assignment, Choice, Course, CourseSkill, CourseStaff, Lesson, Module, Question, Upload
from lms.models.course import ENROLMENT_POLICIES, LEVELS
from lms.peers import services as peers
from lms.studio import uploads
from lms.studio.quiz import MAX_CHOICES
from lms.studio.services import (
    FIRST_YEAR,
    LAST_YEAR,
    SLUG_PATTERN,
    StudioError,
    in_date_range,
    recompute_course_totals,
    unique_slug,
)
from lms.studio.structure import embed_src
from lms.text_rules import clean_heading, shows_something

FORMAT = "sparetime-course"
VERSION = 1
MAX_ENTRIES = 2000
MAX_MANIFEST_BYTES = 5 * 1024 * 1024
_FILE_NAME = re.compile(r"^files/[A-Za-z0-9_-]{1,64}\.[a-z0-9]{2,5}$")


class ArchiveError(StudioError):
    """The archive was refused; str(error) says why."""


# What reading an entry raises when its bytes are damaged, truncated, encrypted or packed by an unknown method.
_DAMAGED = (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError, RuntimeError)


# --- export ----------------------------------------------------------------------------------------


def _dt(value):
    return value.isoformat() if value is not None else None


def _assignment_entry(assignment):
    if assignment is None:
        return None
    return {
        "prompt_md": assignment.prompt_md, "reviews_required": assignment.reviews_required,
        "criteria": [{"title": c.title, "levels": [text for _, text in c.levels]} for c in assignment.criteria],
    }  # fmt: skip


def export_course(course):
    """The course as zip bytes; ArchiveError when some of its files are missing on disk."""
    files, upload_ids = [], set()

    def file_ref(upload):
        if upload is None:
            return None
        if upload.id not in upload_ids:
            upload_ids.add(upload.id)
            files.append(upload)
        return upload.stored_name

    lesson_uploads = {}
    for upload in db.session.scalars(select(Upload).where(Upload.course_id == course.id).order_by(Upload.id)):
        if upload.lesson_id and upload.kind == "attachment":
            lesson_uploads.setdefault(upload.lesson_id, []).append(upload)
    # One query for every practice assignment of the course (and one for their rubrics), not one per lesson.
    assignments = {
        assignment.lesson_id: assignment
        for assignment in db.session.scalars(
            select(Assignment).where(Assignment.course_id == course.id).options(selectinload(Assignment.criteria))
        )
    }
    # The whole tree in one query per level (modules, lessons, questions, choices), not one per lesson and question.
    modules = db.session.scalars(
        select(Module)
        .where(Module.course_id == course.id)
        .order_by(Module.position)
        .options(
            selectinload(Module.lessons).selectinload(Lesson.questions).selectinload(Question.choices),
            selectinload(Module.lessons).selectinload(Lesson.video_upload),
        )
    ).all()
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "course": {
            "title": course.title, "slug": course.slug, "summary": course.summary,
            "description_md": course.description_md, "outcomes": course.outcomes, "level": course.level,
            "skills": course.skill_names, "enrolment_policy": course.enrolment_policy,
            "enrolment_key_hash": course.enrolment_key_hash, "capacity": course.capacity,
            "enrol_opens_at": _dt(course.enrol_opens_at), "enrol_closes_at": _dt(course.enrol_closes_at),
            "cover": file_ref(course.cover),
        },
        "modules": [
            {
                "title": module.title, "summary": module.summary, "drip_days": module.drip_days,
                "opens_on": _dt(module.opens_on), "requires_previous": module.requires_previous,
                "archived": module.archived_at is not None,
                "lessons": [
                    {
                        "title": lesson.title, "body_md": lesson.body_md, "minutes": lesson.minutes,
                        "minutes_authored": lesson.minutes_authored, "video_embed_url": lesson.video_embed_url,
                        "video": file_ref(lesson.video_upload), "video_minutes": lesson.video_minutes,
                        "is_preview": lesson.is_preview, "requires_previous": lesson.requires_previous,
                        "pass_mark": lesson.pass_mark, "archived": lesson.archived_at is not None,
                        "attachments": [file_ref(u) for u in lesson_uploads.get(lesson.id, [])],
                        "questions": [
                            {
                                "prompt": q.prompt, "kind": q.kind,
                                "choices": [{"text": c.text, "is_correct": c.is_correct, "feedback": c.feedback}
                                            for c in q.choices],
                            }
                            for q in lesson.questions
                        ],
                        "assignment": _assignment_entry(assignments.get(lesson.id)),
                    }
                    for lesson in module.lessons
                ],
            }
            for module in modules
        ],
    }  # fmt: skip
    # A database restored without its uploads folder has rows whose files are gone: say which, rather than fail
    # half-way through writing the archive.
    missing = [upload.original_name for upload in files if not os.path.isfile(uploads.path_of(upload.stored_name))]
    if missing:
        names = f"{', '.join(missing[:3])}{', …' if len(missing) > 3 else ''}"
        which = f"its file {names} is" if len(missing) == 1 else f"{len(missing)} of its files ({names}) are"
        raise ArchiveError(f"The course cannot be exported: {which} missing from the uploads folder. Restore the "
                           "folder from a backup, or replace or remove the missing files.")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        file_entries = []
        for upload in files:
            with open(uploads.path_of(upload.stored_name), "rb") as handle:
                data = handle.read()
            archive.writestr(f"files/{upload.stored_name}", data)
            file_entries.append(
                {"name": upload.stored_name, "original_name": upload.original_name, "kind": upload.kind,
                 "alt_text": upload.alt_text, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            )  # fmt: skip
        manifest["files"] = file_entries
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
    return buffer.getvalue()


# --- validation ------------------------------------------------------------------------------------


def _text(data, key, max_length, *, required=False):
    value = data.get(key, "")
    if value is None and not required:
        value = ""
    if not isinstance(value, str) or len(value) > max_length or (required and not value.strip()):
        raise ArchiveError(f"The manifest has an invalid “{key}”.")
    return value


def _heading(data, key, max_length):
    """A required title, held to the forms' rules (lms.text_rules); the manifest gets the cleaned value, which is
    what the import writes."""
    data[key] = clean_heading(_text(data, key, max_length, required=True))
    if not shows_something(data[key]):
        raise ArchiveError(f"The manifest has an invalid “{key}”.")
    return data[key]


def _int(data, key, *, minimum=0, maximum=100000, nullable=True):
    value = data.get(key)
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise ArchiveError(f"The manifest has an invalid “{key}”.")
    return value


def _bool(data, key):
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise ArchiveError(f"The manifest has an invalid “{key}”.")
    return value


def _when(data, key, parse):
    value = data.get(key)
    if value is None:
        return None
    try:
        when = parse(value)
    except (TypeError, ValueError):
        raise ArchiveError(f"The manifest has an invalid date “{key}”.") from None
    if not in_date_range(when):
        raise ArchiveError(f"The manifest has a date “{key}” outside the years {FIRST_YEAR} to {LAST_YEAR}.")
    if isinstance(when, datetime) and when.tzinfo is not None:  # stored, like every moment, as naive UTC
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when


def _list(data, key, limit=1000):
    value = data.get(key, [])
    if not isinstance(value, list) or len(value) > limit:
        raise ArchiveError(f"The manifest has an invalid list “{key}”.")
    return value


def _dict(value, what):
    if not isinstance(value, dict):
        raise ArchiveError(f"The manifest has an invalid {what}.")
    return value


def _check_names(archive):
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise ArchiveError(f"The archive has too many entries (more than {MAX_ENTRIES}).")
    limit = current_app.config.get("IMPORT_MAX_UNCOMPRESSED") or 10 * (current_app.config["MAX_CONTENT_LENGTH"] or 0)
    if sum(info.file_size for info in infos) > limit:
        raise ArchiveError("The archive unpacks to more data than we accept.")
    for info in infos:
        name = info.filename
        if "\\" in name or name.startswith("/") or ".." in name.split("/") or re.match(r"^[A-Za-z]:", name):
            raise ArchiveError(f"The archive contains an unsafe file name: {name[:80]!r}.")
        if info.file_size > (current_app.config["MAX_CONTENT_LENGTH"] or 50 * 1024 * 1024) and not info.is_dir():
            raise ArchiveError(f"A file in the archive is larger than the upload limit: {name[:80]!r}.")
    return {info.filename: info for info in infos}


def _read_manifest(archive, infos):
    info = infos.get("manifest.json")
    if info is None:
        raise ArchiveError("The archive has no manifest.json; is it a Sparetime course export?")
    if info.file_size > MAX_MANIFEST_BYTES:
        raise ArchiveError("The manifest is too large.")
    try:
        raw = archive.read(info)
    except _DAMAGED:
        raise ArchiveError("The manifest.json in the archive is damaged; export the course again.") from None
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: lists nested thousands deep
        raise ArchiveError("The manifest is not valid JSON.") from None
    manifest = _dict(manifest, "manifest")
    if manifest.get("format") != FORMAT:
        raise ArchiveError("This is not a Sparetime course archive.")
    if manifest.get("version") != VERSION:
        raise ArchiveError(f"Archive format version {manifest.get('version')!r} is not supported (expected {VERSION}).")
    return manifest


def _read_files(archive, infos, manifest):
    """{stored name in archive: (entry, bytes, ext, content type)} for every declared file, all checked."""
    files = {}
    for entry in _list(manifest, "files"):
        entry = _dict(entry, "file entry")
        name = _text(entry, "name", 80, required=True)
        path = f"files/{name}"
        if not _FILE_NAME.match(path) or name in files:
            raise ArchiveError(f"The archive lists an invalid file name: {name[:80]!r}.")
        if path not in infos:
            raise ArchiveError(f"The file {name!r} is listed in the manifest but missing from the archive.")
        kind = entry.get("kind")
        if kind not in uploads.ALLOWED_BY_KIND:
            raise ArchiveError(f"The file {name!r} has an unknown kind.")
        try:
            data = archive.read(infos[path])
        except _DAMAGED:
            raise ArchiveError(f"The file {name!r} in the archive is damaged.") from None
        if entry.get("sha256") not in (None, hashlib.sha256(data).hexdigest()):
            raise ArchiveError(f"The file {name!r} does not match its checksum.")
        try:
            ext, content_type = uploads.sniff(data, name, kind)
        except uploads.UploadRejected as error:
            raise ArchiveError(f"The file {name!r} was refused: {error}") from None
        _text(entry, "original_name", 255)
        _text(entry, "alt_text", 300)
        files[name] = (entry, data, ext, content_type)
    return files


def _validate_assignment(lesson):
    """A lesson's practice assignment (absent in archives made before they were exported), by the editor's rules."""
    assignment = lesson.get("assignment")
    if assignment is None:
        return
    assignment = _dict(assignment, "practice assignment")
    _text(assignment, "prompt_md", 20000, required=True)
    _int(assignment, "reviews_required", minimum=1, maximum=5, nullable=False)
    criteria = assignment.get("criteria")
    if not isinstance(criteria, list) or not 2 <= len(criteria) <= 5:
        raise ArchiveError("A practice assignment in the manifest needs 2 to 5 rubric criteria.")
    for criterion in criteria:
        criterion = _dict(criterion, "rubric criterion")
        _heading(criterion, "title", 120)
        levels = criterion.get("levels")
        if not (isinstance(levels, list) and len(levels) == 4
                and all(isinstance(text, str) and text.strip() and len(text) <= 300 for text in levels)):
            raise ArchiveError("A rubric criterion in the manifest needs a description of each of its four levels.")


def _validate(manifest, files):
    """Check every value the import will write; return the parsed course settings."""
    course = _dict(manifest.get("course"), "course")
    settings = {
        "title": _heading(course, "title", 160),
        "slug": _text(course, "slug", 80, required=True),
        "summary": _text(course, "summary", 300),
        "description_md": _text(course, "description_md", 20000),
        "outcomes": _text(course, "outcomes", 3000),
        "level": course.get("level"),
        "enrolment_policy": course.get("enrolment_policy"),
        "enrolment_key_hash": course.get("enrolment_key_hash"),
        "capacity": _int(course, "capacity", minimum=1),
        "enrol_opens_at": _when(course, "enrol_opens_at", datetime.fromisoformat),
        "enrol_closes_at": _when(course, "enrol_closes_at", datetime.fromisoformat),
    }
    # The settings form's and module editor's rules (studio.services.update_course, structure.update_module): a
    # window that closes before it opens never lets anyone enrol, and a module with both a drip and a date
    # could not be saved in the editor without losing one.
    opens, closes = settings["enrol_opens_at"], settings["enrol_closes_at"]
    if opens and closes and closes <= opens:
        raise ArchiveError("The manifest's enrolment window closes before it opens.")
    if not SLUG_PATTERN.match(settings["slug"]):
        raise ArchiveError("The manifest has an invalid course slug.")
    if settings["level"] not in LEVELS or settings["enrolment_policy"] not in ENROLMENT_POLICIES:
        raise ArchiveError("The manifest has an invalid level or enrolment policy.")
    key_hash = settings["enrolment_key_hash"]
    valid_hash = isinstance(key_hash, str) and key_hash.startswith("scrypt:") and len(key_hash) <= 255
    if key_hash is not None and not valid_hash:
        raise ArchiveError("The manifest has an invalid enrolment key.")
    skills = _list(course, "skills", 50)
    if not all(isinstance(s, str) and 0 < len(s) <= 60 for s in skills):
        raise ArchiveError("The manifest has invalid skills.")
    # As the settings form stores them (studio.services.set_skills): cleaned, lower-case, each once.
    settings["skills"] = list(dict.fromkeys(filter(None, (clean_heading(skill).lower() for skill in skills))))

    def file_of(value, kind):
        if value is None:
            return None
        if not isinstance(value, str) or value not in files or files[value][0]["kind"] != kind:
            raise ArchiveError(f"The manifest refers to a missing {kind} file.")
        return value

    settings["cover"] = file_of(course.get("cover"), "cover")
    for module in _list(manifest, "modules", 200):
        module = _dict(module, "module")
        _heading(module, "title", 160)
        _text(module, "summary", 500)
        drip_days, opens_on = _int(module, "drip_days", maximum=3650), _when(module, "opens_on", date.fromisoformat)
        if drip_days is not None and opens_on is not None:
            raise ArchiveError(f"The module “{module['title']}” in the manifest opens both some days after "
                               "enrolment and on a date; a module has one or the other.")
        _bool(module, "requires_previous")
        _bool(module, "archived")
        for lesson in _list(module, "lessons", 500):
            lesson = _dict(lesson, "lesson")
            _heading(lesson, "title", 160)
            _text(lesson, "body_md", 100000)
            _int(lesson, "minutes", nullable=False)
            _int(lesson, "minutes_authored", minimum=1, maximum=600)
            _int(lesson, "video_minutes", maximum=600, nullable=False)
            _int(lesson, "pass_mark", maximum=100)
            for flag in ("is_preview", "requires_previous", "archived"):
                _bool(lesson, flag)
            embed = _text(lesson, "video_embed_url", 300)
            try:
                if embed and embed_src(embed) != embed:
                    raise ArchiveError("The manifest has a video embed from a host we do not allow.")
            except StudioError:
                raise ArchiveError("The manifest has a video embed from a host we do not allow.") from None
            file_of(lesson.get("video"), "video")
            for ref in _list(lesson, "attachments", 100):
                file_of(ref, "attachment")
            questions = _list(lesson, "questions", 100)
            for question in questions:
                question = _dict(question, "question")
                _text(question, "prompt", 1000, required=True)
                if question.get("kind") not in ("single", "multiple"):
                    raise ArchiveError("The manifest has a question of an unknown kind.")
                choices = _list(question, "choices")
                if len(choices) > MAX_CHOICES:
                    raise ArchiveError(f"A question in the manifest has {len(choices)} choices; a question has at "
                                       f"most {MAX_CHOICES}.")
                for choice in choices:
                    choice = _dict(choice, "choice")
                    _text(choice, "text", 500, required=True)
                    _text(choice, "feedback", 1000)
                    _bool(choice, "is_correct")
                # The editor's rules (lms/studio/quiz.save_question), so every imported question can be edited.
                if len(choices) < 2:
                    raise ArchiveError("A question in the manifest has fewer than two choices.")
                correct = sum(1 for c in choices if c.get("is_correct"))
                if not correct:
                    raise ArchiveError("A knowledge-check question in the manifest has no correct choice.")
                if question.get("kind") == "single" and correct > 1:
                    raise ArchiveError("A single-choice question in the manifest has more than one correct choice.")
            if lesson.get("pass_mark") is not None and not questions:
                raise ArchiveError("A lesson in the manifest has a pass mark but no questions.")
            _validate_assignment(lesson)
    return settings


def read_archive(stream):
    """Open and fully validate an archive; return (manifest, files, settings) or raise ArchiveError."""
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        raise ArchiveError("That file is not a readable .zip archive.") from None
    with archive:
        infos = _check_names(archive)
        manifest = _read_manifest(archive, infos)
        files = _read_files(archive, infos, manifest)
        settings = _validate(manifest, files)
    return manifest, files, settings


# --- import ----------------------------------------------------------------------------------------


def _rewrite_links(text, renames):
    for old, new in renames.items():
        text = text.replace(f"/studio/files/{old}", f"/studio/files/{new}")
    return text


def import_course(stream, owner=None):
    """Create a new draft course from an archive. Validates everything first; callers commit.

    Returns (course, written_paths): on a failed commit the caller removes written_paths.
    """
    manifest, files, settings = read_archive(stream)
    written, renames, new_uploads = [], {}, {}
    try:
        for name, (entry, data, ext, content_type) in files.items():
            stored = uploads.store_bytes(data, ext)
            written.append(uploads.path_of(stored))
            renames[name] = stored
            original_name = uploads.display_name(entry.get("original_name") or name, entry["kind"])
            new_uploads[name] = Upload(
                stored_name=stored, original_name=original_name, content_type=content_type, size=len(data),
                kind=entry["kind"], alt_text=entry.get("alt_text") or "",
                uploaded_by_id=getattr(owner, "id", None),
            )  # fmt: skip
        course = _build_course(manifest, settings, owner, new_uploads, renames)
    except Exception:
        uploads.remove_files(written)
        raise
    return course, written


def _build_course(manifest, settings, owner, new_uploads, renames):
    from lms.database import utcnow

    description = _rewrite_links(settings["description_md"], renames)
    course = Course(
        slug=unique_slug(settings["slug"]), title=settings["title"], summary=settings["summary"],
        description_md=description, description_html=str(render_markdown(description)),
        outcomes=settings["outcomes"], level=settings["level"], status="draft",
        enrolment_policy=settings["enrolment_policy"], enrolment_key_hash=settings["enrolment_key_hash"],
        capacity=settings["capacity"], enrol_opens_at=settings["enrol_opens_at"],
        enrol_closes_at=settings["enrol_closes_at"], owner_id=getattr(owner, "id", None),
    )  # fmt: skip
    course.skills = [CourseSkill(name=name) for name in settings["skills"]]
    if owner is not None:
        course.staff = [CourseStaff(user_id=owner.id, role="owner")]
    db.session.add(course)
    db.session.flush()
    for upload in new_uploads.values():
        upload.course_id = course.id
        db.session.add(upload)
    if settings["cover"]:
        course.cover = new_uploads[settings["cover"]]
    now = utcnow()
    for m_position, m in enumerate(manifest.get("modules", [])):
        module = Module(
            course_id=course.id, position=m_position, title=m["title"], summary=m.get("summary") or "",
            drip_days=m.get("drip_days"), opens_on=_when(m, "opens_on", date.fromisoformat),
            requires_previous=m.get("requires_previous", False), archived_at=now if m.get("archived") else None,
        )  # fmt: skip
        course.modules.append(module)
        db.session.flush()
        for l_position, data in enumerate(m.get("lessons", [])):
            body = _rewrite_links(data.get("body_md") or "", renames)
            lesson = Lesson(
                course_id=course.id, module_id=module.id, position=l_position, title=data["title"], body_md=body,
                body_html=str(render_markdown(body)), minutes=data["minutes"],
                minutes_authored=data.get("minutes_authored"), video_embed_url=data.get("video_embed_url") or "",
                video_minutes=data["video_minutes"], is_preview=data.get("is_preview", False),
                requires_previous=data.get("requires_previous", False), pass_mark=data.get("pass_mark"),
                archived_at=now if data.get("archived") else None,
            )  # fmt: skip
            module.lessons.append(lesson)
            for q_position, q in enumerate(data.get("questions", [])):
                question = Question(position=q_position, prompt=q["prompt"], kind=q["kind"])
                question.choices = [
                    Choice(position=i, text=c["text"], is_correct=c.get("is_correct", False),
                           feedback=c.get("feedback") or "")
                    for i, c in enumerate(q.get("choices", []))
                ]  # fmt: skip
                lesson.questions.append(question)
            db.session.flush()
            if data.get("video"):
                video = new_uploads[data["video"]]
                video.lesson_id, lesson.video_upload = lesson.id, video
            for ref in data.get("attachments", []):
                new_uploads[ref].lesson_id = lesson.id
            if data.get("assignment"):
                practice = data["assignment"]
                peers.save_assignment(lesson, _rewrite_links(practice["prompt_md"], renames),
                                      practice["reviews_required"], practice["criteria"])  # fmt: skip
    recompute_course_totals(course)
    db.session.flush()
    return course
