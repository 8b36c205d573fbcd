"""Uploads: type checks by extension and magic bytes, random stored names, size limit, and who may download."""

import os

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.models import Enrolment, Upload
from lms.studio.uploads import UploadRejected, display_name, sniff
from tests.factories import enrol, lessons_of, make_course
from tests.studio_helpers import DOCX, HTML, JPEG, MP4, PDF, PNG, SVG, WEBM, file, stored_files


@pytest.mark.parametrize(
    ("data", "name", "kind", "content_type"),
    [(PNG, "a.PNG", "cover", "image/png"), (JPEG, "a.jpeg", "cover", "image/jpeg"), (PDF, "w.pdf", "attachment",
        "application/pdf"),
     (MP4, "v.mp4", "video", "video/mp4"), (WEBM, "v.webm", "video", "video/webm"),
     (DOCX, "s.docx", "attachment", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
     (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 20, "old.xls", "attachment", "application/vnd.ms-excel")],
)  # fmt: skip
def test_sniff_accepts_matching_types(data, name, kind, content_type):
    assert sniff(data, name, kind)[1] == content_type


@pytest.mark.parametrize(
    ("data", "name", "kind", "message"),
    [(HTML, "page.html", "attachment", "not accepted"), (SVG, "logo.svg", "cover", "not accepted"),
     (HTML, "fake.pdf", "attachment", "does not look like"), (PDF, "doc.png", "cover", "does not look like"),
     (PNG, "clip.mp4", "video", "does not look like"), (PDF, "noext", "attachment", "not accepted"),
     (PDF, "sheet.pdf", "video", "not accepted")],
)  # fmt: skip
def test_sniff_refuses_mismatches(data, name, kind, message):
    with pytest.raises(UploadRejected, match=message):
        sniff(data, name, kind)


def test_display_name_is_never_a_path():
    assert display_name("../../etc/passwd") == "passwd"
    assert display_name("C:\\Users\\me\\notes.pdf") == "notes.pdf"
    assert display_name("bad\x00name\n.pdf") == "badname.pdf"
    assert display_name("..") == "file"
    # A name that is only an extension keeps its type under a plain name, not "png" without one.
    assert display_name("   .png") == "file.png"
    assert display_name(".pdf ", "attachment") == "attachment.pdf"
    assert display_name(".hidden.pdf") == "hidden.pdf"


@pytest.fixture
def course_setup(client, login, make_user):
    owner = make_user(role="instructor")
    course = make_course(owner, "Files", slug="files-course", modules=((5, 5),))
    login(owner)
    return owner, course, lessons_of(course)


def attach(client, lesson, data, name):
    return client.post(f"/studio/courses/files-course/lessons/{lesson.id}/attachments", data={"file": file(data, name)},
                       content_type="multipart/form-data", follow_redirects=True)  # fmt: skip


def test_attachment_gets_a_random_name_and_refusals_write_nothing(app, client, course_setup):
    _, course, (lesson, _) = course_setup
    response = attach(client, lesson, PDF, "../../../tmp/Worksheet.pdf")
    assert "“Worksheet.pdf” attached" in response.get_data(as_text=True)
    upload = db.session.scalar(select(Upload))
    assert upload.original_name == "Worksheet.pdf" and upload.lesson_id == lesson.id and upload.course_id == course.id
    assert len(upload.stored_name) == 36 and upload.stored_name.endswith(".pdf")
    assert stored_files(app) == [upload.stored_name]
    assert not os.path.exists("/tmp/Worksheet.pdf") or os.path.getsize("/tmp/Worksheet.pdf") != len(PDF)
    for data, name in [(HTML, "evil.html"), (SVG, "evil.svg"), (HTML, "evil.pdf"), (b"", "empty.pdf")]:
        response = attach(client, lesson, data, name)
        assert "File not attached" in response.get_data(as_text=True), name
    assert stored_files(app) == [upload.stored_name]
    assert db.session.scalar(select(db.func.count(Upload.id))) == 1

    response = attach(client, lesson, PNG, "   .png")
    assert "“attachment.png” attached" in response.get_data(as_text=True)
    image = db.session.scalar(select(Upload).where(Upload.content_type == "image/png"))
    assert image.original_name == "attachment.png"


@pytest.mark.parametrize("app_config", [{"MAX_CONTENT_LENGTH": 2048}])
def test_oversize_upload_gets_the_friendly_413(app, client, course_setup):
    _, _, (lesson, _) = course_setup
    response = client.post(f"/studio/courses/files-course/lessons/{lesson.id}/attachments",
                           data={"file": file(PDF + b"x" * 5000,
                               "big.pdf")}, content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 413
    assert "File too large" in response.get_data(as_text=True)
    assert "larger than the 2 KB we accept" in response.get_data(as_text=True)
    assert stored_files(app) == []


def test_video_upload_and_replacement_by_embed(app, client, course_setup):
    _, course, (lesson, _) = course_setup
    data = {"title": "Video lesson", "module_id": str(course.modules[0].id), "body": "", "minutes_authored": "",
            "video_embed": "", "video_minutes": "3", "video_file": file(MP4, "talk.mp4")}  # fmt: skip
    client.post(f"/studio/courses/files-course/lessons/{lesson.id}/edit", data=data, content_type="multipart/form-data")
    assert lesson.video_upload.content_type == "video/mp4" and lesson.video_upload.lesson_id == lesson.id
    response = client.get(f"/studio/files/{lesson.video_upload.stored_name}")
    assert response.status_code == 200 and response.mimetype == "video/mp4"
    assert response.headers["Content-Disposition"] == "inline"
    data.update(video_file=file(MP4, "x.mp4"), video_embed="https://youtu.be/dQw4w9WgXcQ")
    response = client.post(f"/studio/courses/files-course/lessons/{lesson.id}/edit", data=data,
                           content_type="multipart/form-data")  # fmt: skip
    assert "not both" in response.get_data(as_text=True)
    del data["video_file"]
    client.post(f"/studio/courses/files-course/lessons/{lesson.id}/edit", data=data, content_type="multipart/form-data")
    assert lesson.video_upload is None and lesson.video_embed_url.startswith("https://www.youtube-nocookie.com/")
    assert stored_files(app) == []


def test_serving_checks_access_and_sets_safe_headers(client, login, make_user, course_setup):
    owner, course, (lesson, preview_lesson) = course_setup
    attach(client, lesson, PDF, "plan.pdf")
    attach(client, preview_lesson, PNG, "chart.png")
    pdf, png = db.session.scalars(select(Upload).order_by(Upload.id)).all()
    response = client.get(f"/studio/files/{pdf.stored_name}")
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and "plan.pdf" in disposition
    assert client.get(f"/studio/files/{png.stored_name}").headers["Content-Disposition"] == "inline"

    learner = make_user()
    client.post("/auth/logout")
    login(learner)
    assert client.get(f"/studio/files/{pdf.stored_name}").status_code == 403
    preview_lesson.is_preview = True
    db.session.commit()
    assert client.get(f"/studio/files/{png.stored_name}").status_code == 200  # free preview of a published course
    enrol(learner, course)
    assert client.get(f"/studio/files/{pdf.stored_name}").status_code == 200
    course.status = "draft"
    db.session.commit()
    assert client.get(f"/studio/files/{pdf.stored_name}").status_code == 403
    assert client.get(f"/studio/files/{png.stored_name}").status_code == 403

    client.post("/auth/logout")
    assert client.get(f"/studio/files/{pdf.stored_name}").status_code == 404
    assert client.get("/studio/files/../../etc/passwd").status_code == 404
    assert client.get("/studio/files/nonexistent.pdf").status_code == 404


def test_cover_follows_the_course_page(client, login, make_user, course_setup):
    from lms.studio.uploads import store_bytes

    _, course, _ = course_setup
    course.cover = Upload(stored_name=store_bytes(PNG, "png"), original_name="c.png", content_type="image/png",
                          size=len(PNG), kind="cover", course_id=course.id, alt_text="Cover")  # fmt: skip
    db.session.commit()
    client.post("/auth/logout")
    assert client.get(f"/studio/files/{course.cover.stored_name}").status_code == 200
    course.status = "draft"
    db.session.commit()
    assert client.get(f"/studio/files/{course.cover.stored_name}").status_code == 404


def test_an_image_shown_on_the_course_page_or_a_free_preview_is_served_to_its_visitors(client, login, make_user,
                                                                                     course_setup):
    """The studio attaches images to a lesson and says to show them with ![...](/studio/files/...). Shown in the
    course description or in the free preview lesson, an image attached to another lesson was a broken image
    for every visitor who had not enrolled; its other files, and images no public page shows, stay closed."""
    owner, course, (lesson, preview_lesson) = course_setup
    attach(client, lesson, PNG, "overview.png")
    attach(client, lesson, PNG, "private.png")
    attach(client, lesson, PDF, "plan.pdf")
    overview, private, pdf = db.session.scalars(select(Upload).order_by(Upload.id)).all()
    shown, kept = f"/studio/files/{overview.stored_name}", f"/studio/files/{private.stored_name}"
    client.post("/studio/courses/files-course/settings", data={
        "title": "Files", "slug": "files-course", "description": f"What you get:\n\n![Overview]({shown})",
        "level": "intro", "enrolment_policy": "open"})  # fmt: skip
    assert shown in course.description_html
    client.post("/auth/logout")
    visitor = [client.get(f"/studio/files/{u.stored_name}").status_code for u in (overview, private, pdf)]
    assert visitor == [200, 404, 404]
    login(make_user())
    assert client.get(shown).status_code == 200 and client.get(kept).status_code == 403

    course.description_md, course.description_html = "", ""
    preview_lesson.is_preview = True
    preview_lesson.body_html = f'<p><img src="{kept}" alt="Chart"></p>'
    db.session.commit()
    assert client.get(kept).status_code == 200 and client.get(shown).status_code == 403
    course.status = "draft"
    db.session.commit()
    assert client.get(kept).status_code == 403


def test_files_of_an_archived_lesson_or_module_are_no_longer_served(client, login, make_user, course_setup):
    """A lesson's files follow the lesson: once it or its module is archived (kept for the progress learners made
    in it), nobody but the staff gets them, free preview or not."""
    from lms.database import utcnow

    owner, course, (lesson, preview_lesson) = course_setup
    attach(client, lesson, PDF, "plan.pdf")
    attach(client, preview_lesson, PNG, "chart.png")
    pdf, png = db.session.scalars(select(Upload).order_by(Upload.id)).all()
    preview_lesson.is_preview = True
    learner = make_user()
    enrol(learner, course)
    client.post("/auth/logout")
    login(learner)
    assert [client.get(f"/studio/files/{u.stored_name}").status_code for u in (pdf, png)] == [200, 200]

    lesson.module.archived_at = utcnow()
    db.session.commit()
    assert [client.get(f"/studio/files/{u.stored_name}").status_code for u in (pdf, png)] == [403, 403]
    client.post("/auth/logout")
    assert client.get(f"/studio/files/{png.stored_name}").status_code == 404, "no free preview of an archived module"
    login(owner)
    assert [client.get(f"/studio/files/{u.stored_name}").status_code for u in (pdf, png)] == [200, 200]

    lesson.module.archived_at = None
    preview_lesson.archived_at = utcnow()
    db.session.commit()
    client.post("/auth/logout")
    login(learner)
    assert [client.get(f"/studio/files/{u.stored_name}").status_code for u in (pdf, png)] == [200, 403]


def test_files_of_a_locked_lesson_wait_for_the_lesson(client, login, make_user, course_setup):
    """An enrolled learner holding a file's link downloaded it while its lesson was still locked (a module that
    opens later, or "complete the previous lesson first"). The file follows the lesson page's own rule, and says
    why, as that page does; the staff keep their files."""
    from datetime import timedelta

    from lms.database import utcnow
    from lms.models import Lesson, Module

    owner, course, (first, second) = course_setup
    later = Module(course_id=course.id, position=1, title="Later", drip_days=3)
    db.session.add(later)
    db.session.flush()
    dripped = Lesson(course_id=course.id, module_id=later.id, position=0, title="Dripped", body_md="", body_html="",
                     minutes=5)  # fmt: skip
    db.session.add(dripped)
    second.requires_previous = True
    db.session.commit()
    attach(client, second, PDF, "plan.pdf")
    attach(client, dripped, PDF, "later.pdf")
    plan, later_pdf = db.session.scalars(select(Upload).order_by(Upload.id)).all()
    learner = make_user()
    enrol(learner, course)
    client.post("/auth/logout")
    login(learner)

    response = client.get(f"/studio/files/{plan.stored_name}")
    assert response.status_code == 403
    assert "“Lesson 1.2” is locked" in response.text and "Complete “Lesson 1.1” first." in response.text
    assert "“plan.pdf” belongs to this lesson" in response.text
    response = client.get(f"/studio/files/{later_pdf.stored_name}")
    assert response.status_code == 403 and "“Later” opens on" in response.text
    client.post(f"/learn/{course.slug}/lessons/{first.id}/done")
    assert client.get(f"/studio/files/{plan.stored_name}").data == PDF
    enrolment = db.session.scalar(select(Enrolment))
    enrolment.enrolled_at = utcnow() - timedelta(days=3)
    db.session.commit()
    assert client.get(f"/studio/files/{later_pdf.stored_name}").data == PDF

    enrolment.enrolled_at = utcnow()
    db.session.commit()
    client.post("/auth/logout")
    login(owner)
    assert client.get(f"/studio/files/{later_pdf.stored_name}").status_code == 200


def test_an_image_of_a_locked_lesson_shown_in_an_open_one_is_served(client, login, make_user, course_setup):
    """Images may be attached to one lesson and shown in another: shown in a lesson open to the learner, the
    image is theirs even while the lesson it was attached to is locked; its other images are not."""
    owner, course, (first, second) = course_setup
    second.requires_previous = True
    db.session.commit()
    attach(client, second, PNG, "shown.png")
    attach(client, second, PNG, "kept.png")
    shown, kept = db.session.scalars(select(Upload).order_by(Upload.id)).all()
    first.body_html = f'<p><img src="/studio/files/{shown.stored_name}" alt="Chart"></p>'
    db.session.commit()
    learner = make_user()
    enrol(learner, course)
    client.post("/auth/logout")
    login(learner)
    assert client.get(f"/studio/files/{shown.stored_name}").status_code == 200
    assert client.get(f"/studio/files/{kept.stored_name}").status_code == 403
