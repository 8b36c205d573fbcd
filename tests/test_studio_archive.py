"""Course export/import: an identical round trip, and every kind of bad archive refused with nothing written."""

import io
import json
import os
import zipfile
from datetime import date, datetime

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.models import Assignment, Course, Upload
from lms.peers.services import assignment_for_lesson, save_assignment
from lms.studio import archive
from lms.studio.services import recompute_course_totals, set_enrolment_key
from lms.studio.uploads import path_of, sniff, store_bytes
from tests.factories import add_quiz, lessons_of, make_course
from tests.peers_helpers import CRITERIA
from tests.studio_helpers import HTML, MP4, PDF, PNG, row_counts, stored_files


def add_file(course, data, ext, kind, lesson=None, name=None, alt=""):
    upload = Upload(stored_name=store_bytes(data, ext), original_name=name or f"file.{ext}",
        content_type=sniff(data, f"x.{ext}", kind)[1],
                    size=len(data), kind=kind, course_id=course.id, lesson_id=getattr(lesson, "id",
                        None), alt_text=alt)  # fmt: skip
    db.session.add(upload)
    db.session.flush()
    return upload


@pytest.fixture
def rich_course(make_user):
    owner = make_user("owner@example.com", role="instructor")
    course = make_course(owner, "Lasting clients", slug="lasting-clients", modules=((5, 10), (15,)),
                         skills=("relationships",
                             "communication"), level="advanced", capacity=30, policy="key")  # fmt: skip
    set_enrolment_key(course, "secret key")
    course.outcomes = "Keep clients\nGet referrals"
    course.enrol_opens_at, course.enrol_closes_at = datetime(2027, 1, 1, 9), datetime(2027, 2, 1, 9)
    m1, m2 = course.modules
    m2.drip_days, m2.requires_previous = 7, True
    m1.opens_on = date(2027, 1, 5)
    l1, l2, l3 = lessons_of(course)
    cover = add_file(course, PNG, "png", "cover", alt="Two people shaking hands")
    course.cover = cover
    image = add_file(course, PNG, "png", "attachment", l1, name="chart.png")
    add_file(course, PDF, "pdf", "attachment", l1, name="Worksheet.pdf")
    l1.body_md = f"# Hello\n\n![Chart](/studio/files/{image.stored_name})"
    l2.video_upload = add_file(course, MP4, "mp4", "video", l2, name="talk.mp4")
    l2.video_minutes, l2.is_preview, l3.requires_previous = 4, True, True
    l3.video_embed_url = "https://player.vimeo.com/video/76979871"
    l3.minutes_authored = None
    l2.archived_at = datetime(2026, 6, 1)
    save_assignment(l1, f"Describe the chart.\n\n![Chart](/studio/files/{image.stored_name})", 3, CRITERIA)
    recompute_course_totals(course)
    db.session.commit()
    add_quiz(l3, pass_mark=75, questions=(("Q1?", [("a", True), ("b", False)]), ("Q2?", [("c", True), ("d",
        True), ("e", False)])))
    return owner, course


def snapshot(course):
    """Everything that must survive a round trip, without ids, stored names or timestamps."""

    def file_info(upload):
        if upload is None:
            return None
        with open(path_of(upload.stored_name), "rb") as handle:
            return (upload.original_name, upload.kind, upload.content_type, upload.alt_text, handle.read())

    uploads = db.session.scalars(select(Upload).where(Upload.course_id == course.id).order_by(Upload.id)).all()

    def practice(lesson):
        assignment = assignment_for_lesson(lesson.id)
        if assignment is None:
            return None
        return (assignment.prompt_md.split("/studio/files/")[0], assignment.reviews_required,
                [(c.position, c.title, c.levels) for c in assignment.criteria])  # fmt: skip

    return {
        "settings": (course.title, course.summary, course.description_md, course.description_html, course.outcomes,
                     course.level, course.skill_names, course.enrolment_policy, course.enrolment_key_hash,
                     course.capacity, course.enrol_opens_at, course.enrol_closes_at, course.lesson_count,
                     course.total_minutes),
        "cover": file_info(course.cover),
        "modules": [
            (m.position, m.title, m.summary, m.drip_days, m.opens_on, m.requires_previous, m.archived_at is not None, [
                (lesson.position, lesson.title, lesson.body_md.split("/studio/files/")[0], lesson.minutes,
                 lesson.minutes_authored, lesson.video_embed_url, lesson.video_minutes, lesson.is_preview,
                 lesson.requires_previous, lesson.pass_mark, lesson.archived_at is not None,
                 file_info(lesson.video_upload),
                 [file_info(u) for u in uploads if u.lesson_id == lesson.id and u.kind == "attachment"],
                 [(q.position, q.prompt, q.kind, [(c.position, c.text, c.is_correct, c.feedback) for c in q.choices])
                  for q in lesson.questions],
                 practice(lesson))
                for lesson in m.lessons])
            for m in course.modules
        ],
    }  # fmt: skip


def test_export_then_import_gives_an_identical_course(app, rich_course, make_user):
    _, course = rich_course
    data = archive.export_course(course)
    importer = make_user("importer@example.com", role="instructor")
    copy, _ = archive.import_course(io.BytesIO(data), owner=importer)
    db.session.commit()
    assert copy.slug == "lasting-clients-2" and copy.status == "draft" and copy.owner_id == importer.id
    assert [(s.user_id, s.role) for s in copy.staff] == [(importer.id, "owner")]
    db.session.expire_all()
    assert snapshot(copy) == snapshot(course)
    copied = db.session.scalars(select(Upload).where(Upload.course_id == copy.id)).all()
    image = next(u for u in copied if u.original_name == "chart.png")
    assert f"/studio/files/{image.stored_name}" in lessons_of(copy)[0].body_md  # links point at the copy's files
    assert f'src="/studio/files/{image.stored_name}"' in lessons_of(copy)[0].body_html
    practice = assignment_for_lesson(lessons_of(copy)[0].id)
    assert practice.course_id == copy.id and practice.reviews_required == 3
    assert [c.title for c in practice.criteria] == ["Clear ask", "Tone"]
    assert f'src="/studio/files/{image.stored_name}"' in practice.prompt_html


def test_archives_from_before_practice_assignments_still_import(app, rich_course):
    _, course = rich_course

    def without_assignments(manifest):
        for module in manifest["modules"]:
            for lesson in module["lessons"]:
                del lesson["assignment"]
        return manifest

    data = rebuild(archive.export_course(course), manifest=without_assignments)
    copy, _ = archive.import_course(io.BytesIO(data))
    db.session.commit()
    assert copy.lesson_count == course.lesson_count
    assert db.session.scalars(select(Assignment).where(Assignment.course_id == copy.id)).all() == []


def test_cli_export_and_import(app, runner, rich_course, tmp_path):
    target = tmp_path / "course.zip"
    result = runner.invoke(args=["export-course", "lasting-clients", str(target)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["import-course", str(target), "--owner", "owner@example.com"])
    assert result.exit_code == 0 and "lasting-clients-2" in result.output
    result = runner.invoke(args=["import-course", str(target), "--owner", "nobody@example.com"])
    assert result.exit_code != 0 and "No account" in result.output
    assert runner.invoke(args=["export-course", "missing", str(target)]).exit_code != 0
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    result = runner.invoke(args=["import-course", str(tmp_path / "bad.zip")])
    assert result.exit_code != 0 and "nothing was changed" in result.output
    assert db.session.scalars(select(Course.slug).order_by(Course.id)).all() == ["lasting-clients", "lasting-clients-2"]


def test_studio_buttons_export_and_import(client, login, rich_course):
    owner, course = rich_course
    login(owner)
    response = client.get("/studio/courses/lasting-clients/export")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(response.data)).read("manifest.json"))
    practice = manifest["modules"][0]["lessons"][0]["assignment"]
    assert practice["reviews_required"] == 3 and practice["criteria"] == CRITERIA
    response = client.post("/studio/import", data={"archive": (io.BytesIO(response.data), "x.zip")},
                           content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 302 and response.location.endswith("/studio/courses/lasting-clients-2/")
    copy_lesson = lessons_of(db.session.scalar(select(Course).where(Course.slug == "lasting-clients-2")))[0]
    page = client.get(f"/studio/courses/lasting-clients-2/preview/lessons/{copy_lesson.id}").get_data(as_text=True)
    assert "Describe the chart." in page and "Clear ask" in page and "Crisp and specific" in page
    response = client.post("/studio/import", data={"archive": (io.BytesIO(b"junk"), "x.zip")},
                           content_type="multipart/form-data", follow_redirects=True)  # fmt: skip
    assert "Import refused, nothing was changed" in response.get_data(as_text=True)


def rebuild(data, *, manifest=None, drop=(), add=(), replace=None):
    """A copy of the archive with the manifest changed, entries dropped/added/replaced."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            if info.filename in drop:
                continue
            content = source.read(info)
            if info.filename == "manifest.json" and manifest is not None:
                content = manifest(json.loads(content)) if callable(manifest) else manifest
                content = content if isinstance(content, bytes) else json.dumps(content).encode()
            if replace and info.filename in replace:
                content = replace[info.filename]
            target.writestr(info.filename, content)
        for name, content in add:
            target.writestr(name, content)
    return out.getvalue()


def damage(data, name):
    """The archive with one byte inside `name`'s compressed data flipped, as a bad disk or a cut download does."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    data = bytearray(data)
    data[info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 5] ^= 0xFF
    return bytes(data)


def first_file(data):
    return next(n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if n.startswith("files/"))


def _set(path, value):
    def change(manifest):
        target = manifest
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return manifest

    return change


BAD_ARCHIVES = {
    "not a zip": lambda d: b"PK\x03\x04 truncated",
    "truncated": lambda d: d[: len(d) // 2],
    "malformed json": lambda d: rebuild(d, manifest=b"{not json"),
    "json not an object": lambda d: rebuild(d, manifest=[1, 2]),
    "damaged manifest": lambda d: damage(d, "manifest.json"),
    "manifest nested too deep": lambda d: rebuild(d, manifest=b"[" * 100000 + b"]" * 100000),
    "no manifest": lambda d: rebuild(d, drop=("manifest.json",)),
    "wrong version": lambda d: rebuild(d, manifest=_set(["version"], 99)),
    "wrong format": lambda d: rebuild(d, manifest=_set(["format"], "moodle")),
    "missing file": lambda d: rebuild(d, drop=(first_file(d),)),
    "dot-dot name": lambda d: rebuild(d, add=(("../evil.txt", b"x"),)),
    "nested dot-dot": lambda d: rebuild(d, add=(("files/../../evil.pdf", PDF),)),
    "absolute name": lambda d: rebuild(d, add=(("/etc/evil", b"x"),)),
    "backslash name": lambda d: rebuild(d, add=(("files\\..\\evil.pdf", PDF),)),
    "traversal in manifest": lambda d: rebuild(d, manifest=lambda m: (m["files"][0].update(name="../../x.png") or m)),
    "file fails sniff": lambda d: rebuild(d, replace={first_file(d): HTML}),
    "too many entries": lambda d: rebuild(d, add=[(f"extra/{i}.txt", b"") for i in range(archive.MAX_ENTRIES + 1)]),
    "zip bomb": lambda d: rebuild(d, add=(("extra/bomb.bin", b"\0" * (3 * 1024 * 1024)),)),
    "bad level": lambda d: rebuild(d, manifest=_set(["course", "level"], "expert")),
    "title too long": lambda d: rebuild(d, manifest=_set(["course", "title"], "x" * 500)),
    "evil embed": lambda d: rebuild(d, manifest=_set(["modules", 1, "lessons", 0, "video_embed_url"],
        "https://evil.example/x")),
    "pass mark without answers": lambda d: rebuild(d, manifest=_set(["modules", 1, "lessons", 0, "questions"], [])),
    "bad key hash": lambda d: rebuild(d, manifest=_set(["course", "enrolment_key_hash"], "plaintext")),
    "string minutes": lambda d: rebuild(d, manifest=_set(["modules", 0, "lessons", 0, "minutes"], "5")),
    "nine choices": lambda d: rebuild(d, manifest=_set(["modules", 1, "lessons", 0, "questions", 0, "choices"],
        [{"text": f"c{i}", "is_correct": i == 0} for i in range(9)])),
    "one choice": lambda d: rebuild(d, manifest=_set(["modules", 1, "lessons", 0, "questions", 0, "choices"],
        [{"text": "only", "is_correct": True}])),
    "no correct choice without a pass mark": lambda d: rebuild(d, manifest=lambda m: (
        m["modules"][1]["lessons"][0].update(pass_mark=None) or [c.update(is_correct=False)
        for c in m["modules"][1]["lessons"][0]["questions"][0]["choices"]] and m)),
    "single choice with two correct": lambda d: rebuild(d, manifest=_set(["modules", 1, "lessons", 0, "questions",
        0], {"prompt": "Which?", "kind": "single", "choices": [{"text": "a", "is_correct": True},
        {"text": "b", "is_correct": True}]})),
    "practice not an object": lambda d: rebuild(d, manifest=_set(["modules", 0, "lessons", 0, "assignment"], "x")),
    "practice without prompt": lambda d: rebuild(d, manifest=_set(["modules", 0, "lessons", 0, "assignment",
        "prompt_md"], " ")),
    "practice with 9 reviews": lambda d: rebuild(d, manifest=_set(["modules", 0, "lessons", 0, "assignment",
        "reviews_required"], 9)),
    "rubric of one criterion": lambda d: rebuild(d, manifest=_set(["modules", 0, "lessons", 0, "assignment",
        "criteria"], CRITERIA[:1])),
    "rubric of six criteria": lambda d: rebuild(d, manifest=_set(["modules", 0, "lessons", 0, "assignment",
        "criteria"], CRITERIA * 3)),
    "criterion with three levels": lambda d: rebuild(d, manifest=_set(["modules", 0, "lessons", 0, "assignment",
        "criteria", 1, "levels"], ["a", "b", "c"])),
    "criterion without title": lambda d: rebuild(d, manifest=_set(["modules", 0, "lessons", 0, "assignment",
        "criteria", 0, "title"], "")),
    "lesson title of direction controls": lambda d: rebuild(d, manifest=_set(["modules", 0, "lessons", 0, "title"],
        "\u202e\u2066")),
    "course title of blank letters": lambda d: rebuild(d, manifest=_set(["course", "title"], "\u3164\u2800")),
    # Moments that no time zone can hold: a page showing them to a learner in Auckland or Los Angeles failed.
    "window closing in year 9999": lambda d: rebuild(d, manifest=_set(["course", "enrol_closes_at"],
        "9999-12-31T23:59:00")),
    "window opening in year 1": lambda d: rebuild(d, manifest=_set(["course", "enrol_opens_at"],
        "0001-01-01T00:00:00")),
    "module opening in year 1": lambda d: rebuild(d, manifest=_set(["modules", 0, "opens_on"], "0001-01-01")),
    # What the settings form and module editor refuse: a window that never opens, a drip and a date at once.
    "window closing before it opens": lambda d: rebuild(d, manifest=_set(["course", "enrol_opens_at"],
        "2027-03-01T09:00:00")),
    "module with a drip and a date": lambda d: rebuild(d, manifest=_set(["modules", 0, "drip_days"], 3)),
}


def test_imported_titles_and_skills_are_held_to_the_forms_rules(app, rich_course):
    """An archive is typed by no form: its titles lose direction controls as the forms' do, and its skills are
    stored as the settings form stores them (lower-case, each once), not as a duplicate key."""
    _, course = rich_course

    def change(manifest):
        manifest["course"]["title"] = "\u202eLasting\u202c clients "
        manifest["course"]["skills"] = ["Scope", "scope", "\u2067pricing\u2069", "\u202e"]
        manifest["modules"][0]["title"] = "Week \u2066one\u2069"
        manifest["modules"][0]["lessons"][0]["title"] = "\u200fFirst call"
        manifest["modules"][0]["lessons"][0]["assignment"]["criteria"][0]["title"] = "Clear \u202dask"
        return manifest

    copy, _ = archive.import_course(io.BytesIO(rebuild(archive.export_course(course), manifest=change)))
    db.session.commit()
    assert copy.title == "Lasting clients" and copy.skill_names == ["pricing", "scope"]
    assert copy.modules[0].title == "Week one" and lessons_of(copy)[0].title == "First call"
    assert assignment_for_lesson(lessons_of(copy)[0].id).criteria[0].title == "Clear ask"


def test_a_question_with_more_choices_than_the_editor_holds_is_refused_by_name(app, rich_course):
    _, course = rich_course
    data = BAD_ARCHIVES["nine choices"](archive.export_course(course))
    with pytest.raises(archive.ArchiveError, match="has 9 choices; a question has at most 8"):
        archive.import_course(io.BytesIO(data))


@pytest.mark.parametrize("app_config", [{"IMPORT_MAX_UNCOMPRESSED": 2 * 1024 * 1024}])
@pytest.mark.parametrize("kind", list(BAD_ARCHIVES))
def test_bad_archives_are_refused_with_nothing_written(app, rich_course, kind):
    _, course = rich_course
    data = archive.export_course(course)
    bad = BAD_ARCHIVES[kind](data)
    rows, files = row_counts(), stored_files(app)
    with pytest.raises(archive.ArchiveError) as error:
        archive.import_course(io.BytesIO(bad))
    db.session.rollback()
    assert str(error.value)
    assert row_counts() == rows and stored_files(app) == files


def test_an_imported_window_with_an_offset_is_stored_in_utc(app, rich_course):
    """Every moment is stored as naive UTC; one written with an offset ("+05:00") is moved to UTC, not stored as
    if its local time were UTC (five hours off) or compared with naive times (a failed course page)."""
    _, course = rich_course
    offset = _set(["course", "enrol_opens_at"], "2027-01-10T09:00:00+05:00")
    data = rebuild(archive.export_course(course), manifest=offset)
    copy, _ = archive.import_course(io.BytesIO(data))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Course, copy.id).enrol_opens_at == datetime(2027, 1, 10, 4, 0)


def test_a_course_whose_files_are_missing_is_not_exported_half(app, client, login, runner, rich_course, tmp_path):
    """After a database restore without the uploads folder, Export failed with a server error; it now names the
    missing files, in the studio and on the command line, and writes no archive."""
    owner, course = rich_course
    worksheet = db.session.scalar(select(Upload).where(Upload.original_name == "Worksheet.pdf"))
    os.remove(path_of(worksheet.stored_name))
    with pytest.raises(archive.ArchiveError, match=r"its file Worksheet\.pdf is missing"):
        archive.export_course(course)
    login(owner)
    response = client.get("/studio/courses/lasting-clients/export", follow_redirects=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "Worksheet.pdf" in response.get_data(as_text=True)
    result = runner.invoke(args=["export-course", "lasting-clients", str(tmp_path / "course.zip")])
    assert result.exit_code != 0 and "Worksheet.pdf" in result.output
    assert not (tmp_path / "course.zip").exists()
