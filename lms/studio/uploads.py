"""Uploaded files: extension + magic-byte checks, random stored names, and who may download what.

The original file name is kept for display only; on disk every file is `<random hex>.<ext>` under
app.config["UPLOAD_FOLDER"], so no user-supplied text ever becomes part of a path.
"""

import os
import re
import secrets
import unicodedata
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from lms.extensions import db
from lms.models import Upload
from lms.permissions import can_view_course_page, is_course_staff

IMAGE_EXTENSIONS = ("png", "jpg", "jpeg", "gif", "webp")
VIDEO_EXTENSIONS = ("mp4", "webm")
DOCUMENT_EXTENSIONS = ("pdf", "docx", "xlsx", "pptx", "odt", "ods", "odp", "doc", "xls", "ppt")

ALLOWED_BY_KIND = {
    "cover": IMAGE_EXTENSIONS,
    "image": IMAGE_EXTENSIONS,
    "video": VIDEO_EXTENSIONS,
    "attachment": DOCUMENT_EXTENSIONS + IMAGE_EXTENSIONS,
}

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# extension -> (content type, magic-bytes test on the first bytes of the file)
SNIFFERS = {
    "png": ("image/png", lambda h: h.startswith(b"\x89PNG\r\n\x1a\n")),
    "jpg": ("image/jpeg", lambda h: h.startswith(b"\xff\xd8\xff")),
    "jpeg": ("image/jpeg", lambda h: h.startswith(b"\xff\xd8\xff")),
    "gif": ("image/gif", lambda h: h[:6] in (b"GIF87a", b"GIF89a")),
    "webp": ("image/webp", lambda h: h[:4] == b"RIFF" and h[8:12] == b"WEBP"),
    "pdf": ("application/pdf", lambda h: h.startswith(b"%PDF-")),
    "mp4": ("video/mp4", lambda h: h[4:8] == b"ftyp"),
    "webm": ("video/webm", lambda h: h.startswith(b"\x1a\x45\xdf\xa3")),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", lambda h: h.startswith(_ZIP)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", lambda h: h.startswith(_ZIP)),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", lambda h: h.startswith(_ZIP)),
    "odt": ("application/vnd.oasis.opendocument.text", lambda h: h.startswith(_ZIP)),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", lambda h: h.startswith(_ZIP)),
    "odp": ("application/vnd.oasis.opendocument.presentation", lambda h: h.startswith(_ZIP)),
    "doc": ("application/msword", lambda h: h.startswith(_OLE)),
    "xls": ("application/vnd.ms-excel", lambda h: h.startswith(_OLE)),
    "ppt": ("application/vnd.ms-powerpoint", lambda h: h.startswith(_OLE)),
}
INLINE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "video/mp4", "video/webm")
STORED_NAME = re.compile(r"^[0-9a-f]{32}\.[a-z0-9]{2,5}$")


class UploadRejected(ValueError):
    """The file is not acceptable; str(error) is a message for the instructor."""


def extension_of(filename):
    name = (filename or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def display_name(filename, fallback="file"):
    """A safe label for the original name: last path part, no control characters, no leading dots, at most 255
    characters. A name that is only an extension (".png") becomes fallback + extension ("attachment.png"), so the
    download keeps its type instead of being called "png"."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C")
    name = name.strip()
    bare = name.lstrip(".").strip()
    if bare and bare != name and "." not in bare:
        bare = f"{fallback}.{bare}"
    return (bare or fallback)[-255:]


def sniff(data, filename, kind):
    """Return (extension, content type) when the name and the bytes agree on an allowed type, else raise."""
    ext = extension_of(filename)
    allowed = ALLOWED_BY_KIND[kind]
    if ext not in allowed:
        raise UploadRejected(f"Files of type “.{ext or '?'}” are not accepted here. Allowed: {', '.join(allowed)}.")
    content_type, matches = SNIFFERS[ext]
    if not matches(data[:64]):
        raise UploadRejected(f"The file's content does not look like a .{ext} file, so it was not accepted.")
    return ext, content_type


def upload_folder():
    folder = current_app.config["UPLOAD_FOLDER"]
    os.makedirs(folder, exist_ok=True)
    return folder


def path_of(stored_name):
    if not STORED_NAME.match(stored_name or ""):
        raise ValueError("not a stored upload name")
    return os.path.join(upload_folder(), stored_name)


def store_bytes(data, ext):
    """Write bytes under a new random name; return the stored name."""
    stored_name = f"{secrets.token_hex(16)}.{ext}"
    with open(path_of(stored_name), "xb") as handle:
        handle.write(data)
    return stored_name


def save_upload(file_storage, kind, *, course, uploader=None, lesson=None, alt_text=""):
    """Check and store an uploaded file; add (not commit) its Upload row. Raises UploadRejected."""
    if file_storage is None or not getattr(file_storage, "filename", ""):
        raise UploadRejected("Please choose a file.")
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 50 * 1024 * 1024
    data = file_storage.read(limit + 1)
    if len(data) > limit:
        raise UploadRejected(f"The file is larger than the limit of {limit // (1024 * 1024) or 1} MB.")
    if not data:
        raise UploadRejected("The file is empty.")
    ext, content_type = sniff(data, file_storage.filename, kind)
    stored_name = store_bytes(data, ext)
    upload = Upload(
        stored_name=stored_name, original_name=display_name(file_storage.filename, kind), content_type=content_type,
        size=len(data), kind=kind, alt_text=(alt_text or "")[:300], course_id=course.id,
        lesson_id=getattr(lesson, "id", None), uploaded_by_id=getattr(uploader, "id", None),
    )  # fmt: skip
    db.session.add(upload)
    return upload


def delete_upload(upload):
    """Delete the row (not committed) and return the file path to remove once the commit succeeded."""
    db.session.delete(upload)
    return path_of(upload.stored_name)


def remove_files(paths):
    for path in paths:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass


@dataclass
class DownloadAccess:
    allowed: bool
    # Refused because the file's lesson is not open to this learner yet: the lesson and its state, for a page
    # that says why and when it opens (the lesson page's locked page), rather than a bare "forbidden".
    locked_lesson: object = None
    locked_state: object = None


def download_access(user, upload):
    """Staff see their course's files; covers follow the course page; lesson files follow the lesson (the lesson
    page's own rule, lms.lessons.services.CourseAccess: drip, prerequisites, archive, free previews); images
    follow the pages that show them."""
    from lms.lessons.services import LOCKED_NOW, CourseAccess
    from lms.models import Course, Lesson

    course = db.session.get(Course, upload.course_id) if upload.course_id else None
    if course is None:
        return DownloadAccess(bool(getattr(user, "is_authenticated", False) and user.is_admin))
    if is_course_staff(user, course):
        return DownloadAccess(True)
    if course.cover_upload_id == upload.id:
        return DownloadAccess(can_view_course_page(user, course))
    access = CourseAccess(user, course)
    lesson = db.session.get(Lesson, upload.lesson_id) if upload.lesson_id else None
    verdict = access.of(lesson) if lesson is not None and lesson.course_id == course.id else None
    if verdict is not None and verdict.readable:
        return DownloadAccess(True)
    if _image_shown_to(user, course, upload, access):
        return DownloadAccess(True)
    if verdict is not None and verdict.kind == LOCKED_NOW:
        return DownloadAccess(False, lesson, verdict.state)
    return DownloadAccess(False)


def _image_shown_to(user, course, upload, access):
    """An image the course description or a lesson open to the visitor shows (the studio attaches images to a
    lesson, and they may be shown anywhere in the course): whoever may read that page gets it, not a broken
    image, even while the lesson it was attached to is still locked."""
    from lms.models import Lesson

    if not upload.content_type.startswith("image/") or not can_view_course_page(user, course):
        return False
    source = f"/studio/files/{upload.stored_name}"
    if source in (course.description_html or ""):
        return True
    readable = access.readable_lesson_ids()
    return bool(readable) and db.session.scalar(
        select(Lesson.id).where(Lesson.id.in_(readable), Lesson.body_html.contains(source, autoescape=True)).limit(1)
    ) is not None


def is_inline(upload):
    return upload.content_type in INLINE_TYPES
