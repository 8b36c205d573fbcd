"""Shared bits for the studio tests: tiny files with real magic bytes, and row/file counters."""

import io
import os

from sqlalchemy import func, select

from lms.extensions import db
from lms.models import Choice, Course, CourseSkill, CourseStaff, Lesson, Module, Question, Upload

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 40
WEBM = b"\x1a\x45\xdf\xa3" + b"\x00" * 40
DOCX = b"PK\x03\x04" + b"\x00" * 40
HTML = b"<!doctype html><script>alert(1)</script>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def file(data, name):
    return (io.BytesIO(data), name)


def row_counts():
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Course, CourseSkill, CourseStaff, Module, Lesson, Question, Choice, Upload)
    }


def stored_files(app):
    folder = app.config["UPLOAD_FOLDER"]
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []
