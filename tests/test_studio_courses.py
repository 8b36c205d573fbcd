"""Course settings in the studio: create, slugs, skills, enrolment key and window, cover, publishing."""

from datetime import datetime

import pytest
from sqlalchemy import select
from werkzeug.security import check_password_hash

from lms.extensions import db
from lms.models import AuditEntry, Course, CourseStaff, Upload
from lms.studio.services import slugify, unique_slug
from tests.factories import lessons_of, make_course
from tests.studio_helpers import PNG, file, stored_files


def course_data(**overrides):
    data = {"title": "Negotiating rates & scope", "slug": "", "summary": "Say your price.", "description": "",
            "outcomes": "", "level": "intro", "skills": "", "enrolment_policy": "open", "enrolment_key": "",
            "capacity": "", "enrol_opens_at": "", "enrol_closes_at": "", "cover_alt": ""}  # fmt: skip
    data.update(overrides)
    return data


def test_slugify_is_ascii_and_unique(app, make_user):
    assert slugify("  Négocier: Rates & Scope!  ") == "negocier-rates-scope"
    assert slugify("!!!") == "course"
    make_course(make_user(role="instructor"), "Taken", slug="taken")
    assert unique_slug("taken") == "taken-2"
    assert unique_slug("new") == "new-2"  # reserved word


def test_instructor_creates_a_draft_course(client, login, make_user):
    instructor = make_user(role="instructor")
    login(instructor)
    response = client.post("/studio/courses/new", data=course_data(
        description="Read **this** | a | b |\n|---|---|\n| 1 | 2 |", outcomes="Quote with confidence\n\n Say no  \n",
        skills="Negotiation,  client communication , negotiation,", level="intermediate", capacity="25",
    ))  # fmt: skip
    assert response.status_code == 302
    course = db.session.scalar(select(Course))
    assert response.location.endswith(f"/studio/courses/{course.slug}/")
    assert course.slug == "negotiating-rates-scope" and course.status == "draft"
    assert course.skill_names == ["client communication", "negotiation"]
    assert course.outcomes == "Quote with confidence\nSay no"
    assert "<strong>this</strong>" in course.description_html
    assert course.capacity == 25 and course.level == "intermediate"
    staff = db.session.scalars(select(CourseStaff)).all()
    assert [(s.user_id, s.role) for s in staff] == [(instructor.id, "owner")]
    assert db.session.scalar(select(AuditEntry.action)) == "course.create"


def test_course_title_and_skills_lose_direction_controls(client, login, make_user):
    """A right-to-left override in a course title turned round the text after it in the catalog, notifications and
    certificates; it is dropped from the title and the skills, and a title of nothing else is refused."""
    login(make_user(role="instructor"))
    for title in ("\u202e\u2066", "\u3164"):
        response = client.post("/studio/courses/new", data=course_data(title=title))
        assert response.status_code == 200 and db.session.scalar(select(Course)) is None, repr(title)
    client.post("/studio/courses/new", data=course_data(title="\u202eSaying no\u202c", skills="\u2067scope, pricing\u200f"))
    course = db.session.scalar(select(Course))
    assert course.title == "Saying no" and course.skill_names == ["pricing", "scope"]


def test_settings_saves_are_audited_with_what_changed_for_enrolment(client, login, make_user):
    """Who may get in (policy, key, capacity, window) was changed without a trace in the audit log."""
    owner = make_user(role="instructor")
    course = make_course(owner, "Leading", capacity=25)
    login(owner)
    client.post(f"/studio/courses/{course.slug}/settings",
                data=course_data(title="Leading", capacity="10", enrolment_policy="key", enrolment_key="open sesame"))
    client.post(f"/studio/courses/{course.slug}/settings",
                data=course_data(title="Leading", capacity="10", enrolment_policy="key", summary="Shorter."))
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "course.settings")
                                 .order_by(AuditEntry.id)).all()  # fmt: skip
    assert [entry.detail for entry in entries] == [
        "enrolment open -> key; capacity 25 -> 10; enrolment key changed", "description, skills or cover"]
    assert all(entry.course_id == course.id for entry in entries)
    assert "open sesame" not in entries[0].detail


def test_form_errors_are_shown_and_nothing_saved(client, login, make_user):
    login(make_user(role="instructor"))
    make_course(make_user(role="instructor"), "Taken", slug="taken")
    cases = [
        (course_data(title=""), "This field is required"),
        (course_data(slug="Bad Slug!"), "lower-case letters"),
        (course_data(slug="taken"), "already uses this URL name"),
        (course_data(slug="import"), "“import” is a reserved name; choose another URL name."),
        (course_data(capacity="0"), "Enter at least 1"),
        (course_data(enrolment_policy="key"), "Set the key"),
        (course_data(enrol_opens_at="2027-03-01T10:00", enrol_closes_at="2027-02-01T10:00"), "close after it opens"),
        (course_data(cover_image=file(PNG, "cover.png")), "Describe the cover image"),
        (course_data(cover_image=file(b"GIF89a..", "cover.png"), cover_alt="A desk"), "does not look like a .png"),
    ]
    for data, message in cases:
        response = client.post("/studio/courses/new", data=data, content_type="multipart/form-data")
        assert response.status_code == 200
        assert message in response.get_data(as_text=True), message
    assert db.session.scalars(select(Course.slug)).all() == ["taken"]


def test_enrolment_key_is_stored_only_as_a_scrypt_hash(client, login, make_user, production_password_hashing):
    login(make_user(role="instructor"))
    client.post("/studio/courses/new", data=course_data(enrolment_policy="key", enrolment_key="open sesame"))
    course = db.session.scalar(select(Course))
    assert course.enrolment_key_hash.startswith("scrypt:")
    assert "open sesame" not in course.enrolment_key_hash
    assert check_password_hash(course.enrolment_key_hash, "open sesame")
    # Saving without typing the key keeps it; switching to open drops it.
    client.post(f"/studio/courses/{course.slug}/settings", data=course_data(slug=course.slug, enrolment_policy="key"))
    assert check_password_hash(course.enrolment_key_hash, "open sesame")
    client.post(f"/studio/courses/{course.slug}/settings", data=course_data(slug=course.slug))
    assert course.enrolment_key_hash is None


def test_an_enrolment_key_with_spaces_at_either_end_works_without_them(client, login, make_user):
    from lms.enrolment.services import enrol_learner

    owner = make_user(role="instructor")
    course = make_course(owner, "Summer school", slug="summer-school")
    login(owner)
    client.post("/studio/courses/summer-school/settings",
                data=course_data(title="Summer school", slug="summer-school", enrolment_policy="key",
                                 enrolment_key=" Summer 2026 "))  # fmt: skip
    assert check_password_hash(course.enrolment_key_hash, "Summer 2026")
    # Learners' keys are trimmed too, so the key works as typed, with or without the spaces.
    for number, typed in enumerate(("Summer 2026 ", "Summer 2026")):
        learner = make_user(f"learner{number}@example.com")
        assert enrol_learner(course, learner, typed).status == "active"
    response = client.post("/studio/courses/summer-school/settings",
                           data=course_data(title="Summer school", slug="summer-school", enrolment_policy="key",
                                            enrolment_key="  ab  "))  # fmt: skip
    assert "Field must be between 4 and 100 characters long." in response.get_data(as_text=True)


def test_a_refused_settings_form_keeps_the_typed_key_and_asks_for_the_cover_again(client, login, make_user):
    login(make_user(role="instructor"))
    response = client.post("/studio/courses/new", data=course_data(
        title="", enrolment_policy="key", enrolment_key="Summer 2026", cover_image=file(PNG, "cover.png"),
        cover_alt="A desk"), content_type="multipart/form-data")  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "This field is required" in page
    assert 'value="Summer 2026"' in page  # the key need not be typed again
    assert "Nothing was saved: choose the cover image again." in page  # browsers never keep a chosen file
    assert db.session.scalar(select(Course)) is None
    # A fresh form never shows a key: only its hash is stored.
    client.post("/studio/courses/new", data=course_data(enrolment_policy="key", enrolment_key="Summer 2026"))
    course = db.session.scalar(select(Course))
    page = client.get(f"/studio/courses/{course.slug}/settings").get_data(as_text=True)
    assert "Summer 2026" not in page and "choose the cover image again" not in page


def test_enrolment_window_is_stored_in_utc(client, login, make_user):
    login(make_user(role="instructor", timezone="Europe/Berlin"))
    client.post("/studio/courses/new", data=course_data(enrol_opens_at="2027-01-10T09:00",
                                                         enrol_closes_at="2027-01-20T18:30"))  # fmt: skip
    course = db.session.scalar(select(Course))
    assert course.enrol_opens_at == datetime(2027, 1, 10, 8, 0)
    assert course.enrol_closes_at == datetime(2027, 1, 20, 17, 30)
    page = client.get(f"/studio/courses/{course.slug}/settings").get_data(as_text=True)
    assert 'value="2027-01-10T09:00"' in page


@pytest.mark.parametrize("zone, field, typed", [
    ("Pacific/Auckland", "enrol_opens_at", "0001-01-01T00:00"),  # would be in year 0 in UTC
    ("America/Los_Angeles", "enrol_closes_at", "9999-12-31T23:00"),  # would be in year 10000 in UTC
    ("UTC", "enrol_opens_at", "0202-03-01T09:00"),  # a typo for 2026
])
def test_a_window_in_an_impossible_year_is_refused_with_a_message(client, login, make_user, zone, field, typed):
    """Year 1 or 9999 typed in a zone away from UTC failed with an error page and lost the form."""
    login(make_user(role="instructor", timezone=zone))
    response = client.post("/studio/courses/new", data=course_data(title="Kept title", **{field: typed}))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Enter a date between the years 1970 and 2999." in page
    assert 'value="Kept title"' in page and f'value="{typed}"' in page
    assert db.session.scalar(select(Course)) is None


def test_a_window_at_a_time_the_clocks_skip_is_refused_and_the_autumn_hour_is_kept(client, login, make_user):
    """In Berlin the clocks go from 02:00 to 03:00 on the last Sunday of March: 02:30 that day was saved as 03:30
    without a word. On the last Sunday of October 02:30 comes twice; the first (summer time) is kept."""
    login(make_user(role="instructor", timezone="Europe/Berlin"))
    response = client.post("/studio/courses/new", data=course_data(enrol_opens_at="2027-03-28T02:30"))
    page = response.get_data(as_text=True)
    assert "02:30 on 28 Mar 2027 does not exist in Europe/Berlin" in page
    assert 'value="2027-03-28T02:30"' in page and db.session.scalar(select(Course)) is None
    client.post("/studio/courses/new", data=course_data(enrol_opens_at="2027-03-28T03:00",
                                                         enrol_closes_at="2027-10-31T02:30"))  # fmt: skip
    course = db.session.scalar(select(Course))
    assert course.enrol_opens_at == datetime(2027, 3, 28, 1, 0)
    assert course.enrol_closes_at == datetime(2027, 10, 31, 0, 30)
    page = client.get(f"/studio/courses/{course.slug}/settings").get_data(as_text=True)
    assert 'value="2027-03-28T03:00"' in page and 'value="2027-10-31T02:30"' in page


def test_cover_upload_replace_and_remove(app, client, login, make_user):
    login(make_user(role="instructor"))
    client.post("/studio/courses/new", data=course_data(cover_image=file(PNG, "../../etc/My cover.png"),
                                                         cover_alt="A laptop on a desk"),
                content_type="multipart/form-data")  # fmt: skip
    course = db.session.scalar(select(Course))
    assert course.cover.alt_text == "A laptop on a desk"
    assert course.cover.original_name == "My cover.png"
    first = course.cover.stored_name
    assert stored_files(app) == [first]
    client.post(f"/studio/courses/{course.slug}/settings",
                data=course_data(slug=course.slug, cover_image=file(PNG, "new.png"), cover_alt="New"),
                content_type="multipart/form-data")  # fmt: skip
    assert course.cover.stored_name != first and stored_files(app) == [course.cover.stored_name]
    client.post(f"/studio/courses/{course.slug}/settings", data=course_data(slug=course.slug, remove_cover="y"))
    assert course.cover is None and stored_files(app) == []
    assert db.session.scalar(select(Upload)) is None


def test_publishing_needs_a_lesson_and_fixes_the_slug(client, login, make_user):
    owner = make_user(role="instructor")
    login(owner)
    empty = make_course(owner, "Empty", slug="empty", modules=(), status="draft")
    response = client.post("/studio/courses/empty/status", data={"status": "published"}, follow_redirects=True)
    assert "Add at least one lesson before publishing" in response.get_data(as_text=True)
    assert empty.status == "draft"

    course = make_course(owner, "Ready", slug="ready", status="draft")
    client.post("/studio/courses/ready/settings", data=course_data(title="Ready", slug="ready-now"))
    assert course.slug == "ready-now"
    client.post("/studio/courses/ready-now/status", data={"status": "published"})
    assert course.status == "published" and course.published_at is not None
    client.post("/studio/courses/ready-now/settings", data=course_data(title="Ready!", slug="changed"))
    assert course.slug == "ready-now" and course.title == "Ready!"
    first_published = course.published_at
    client.post("/studio/courses/ready-now/status", data={"status": "archived"})
    assert course.status == "archived"
    response = client.post("/studio/courses/ready-now/status", data={"status": "draft"}, follow_redirects=True)
    assert "An archived course cannot become a draft again." in response.get_data(as_text=True)
    assert course.status == "archived"
    client.post("/studio/courses/ready-now/status", data={"status": "published"})
    assert course.status == "published" and course.published_at == first_published


def test_archived_lessons_do_not_count_for_publishing(client, login, make_user):
    owner = make_user(role="instructor")
    login(owner)
    course = make_course(owner, "Old", slug="old", modules=((5,),), status="draft")
    lessons_of(course)[0].archived_at = datetime(2026, 1, 1)
    db.session.commit()
    client.post("/studio/courses/old/status", data={"status": "published"})
    assert course.status == "draft"


def test_course_editor_links_to_other_areas_when_they_exist(client, login, make_user, app):
    owner = make_user(role="instructor")
    make_course(owner, "Linked", slug="linked")
    login(owner)
    page = client.get("/studio/courses/linked/").get_data(as_text=True)
    assert "/studio/courses/linked/preview" in page and "/studio/courses/linked/export" in page
    if "progress.analytics" in app.view_functions:
        assert "/studio/courses/linked/analytics" in page


def test_steps_that_are_hard_to_undo_ask_first(client, login, make_user):
    """Publishing (no way back to a draft), deleting a question and removing an attachment were one click; each
    now asks first, as Deactivate does (data-confirm). Found by exploratory testing."""
    from tests.factories import add_quiz
    from tests.studio_helpers import PDF

    owner = make_user(role="instructor")
    login(owner)
    make_course(owner, "Ready", slug="ready", status="draft")
    course_page = client.get("/studio/courses/ready/").text
    assert 'data-confirm="Publish “Ready”? It appears in the catalog and learners can enrol at once.' in course_page

    course = db.session.scalar(select(Course).where(Course.slug == "ready"))
    questions = (("First reply?", [("Ask", True), ("Quote", False)]),)
    lesson = add_quiz(lessons_of(course)[0], pass_mark=None, questions=questions)
    client.post(f"/studio/courses/ready/lessons/{lesson.id}/attachments", data={"file": file(PDF, "brief.pdf")},
                content_type="multipart/form-data")  # fmt: skip
    editor = client.get(f"/studio/courses/ready/lessons/{lesson.id}/edit").text
    assert 'data-confirm="Delete question 1, “First reply?”, with its choices and feedback?' in editor
    assert 'data-confirm="Remove “brief.pdf”? The file is deleted and learners can no longer download it."' in editor

    client.post("/studio/courses/ready/status", data={"status": "published"})
    client.post("/studio/courses/ready/status", data={"status": "archived"})
    assert "data-confirm" not in client.get("/studio/courses/ready/").text  # publishing again is easy to undo


def test_lowering_the_capacity_below_the_enrolled_learners_says_nobody_is_removed(client, login, make_user):
    """Three learners are in; the instructor lowers the capacity to 2. The settings save, nobody is removed, and
    the instructor is told so; the course page no longer says "All 2 seats are taken" beside "3 enrolled"
    (found by exploratory testing)."""
    from tests.factories import enrol

    owner = make_user(role="instructor")
    course = make_course(owner, "Full", slug="full", capacity=5)
    for _ in range(3):
        enrol(make_user(), course)
    login(owner)
    response = client.post("/studio/courses/full/settings", data=course_data(title="Full", capacity="2"),
                           follow_redirects=True)  # fmt: skip
    assert "Course settings saved." in response.text
    assert ("3 learners are enrolled, more than the new capacity of 2. Nobody is removed: newcomers join the "
            "waitlist until a seat is free.") in response.text  # fmt: skip
    assert course.capacity == 2 and course.enrolled_count == 3
    client.post("/auth/logout")
    login(make_user())
    page = client.get("/courses/full").text
    assert "All 2 seats are taken" not in page and "The course is full." in page


def test_publishing_or_archiving_twice_says_it_is_already_done(client, login, make_user):
    """A double click, or a second tab opened before a co-instructor published: the answer is that the course is
    already published, not the error "A published course cannot become published.", and nothing is logged twice
    (found by exploratory testing)."""
    owner = make_user(role="instructor")
    course = make_course(owner, "Twice", slug="twice", status="draft")
    login(owner)
    for target, message in (("published", "The course is published."), ("archived", "The course is archived.")):
        assert message in client.post("/studio/courses/twice/status", data={"status": target},
                                      follow_redirects=True).text  # fmt: skip
        again = client.post("/studio/courses/twice/status", data={"status": target}, follow_redirects=True).text
        assert f"The course is already {target}." in again and "cannot become" not in again
        assert course.status == target
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["course.published", "course.archived"]


def test_the_owner_deletes_a_course_that_was_never_published(app, client, login, make_user):
    """A trial course or an import made by mistake stayed in the studio for good: nothing deleted a course. The
    owner can now delete a course that was never published (it has no learners), after a confirmation page,
    with its files; a published course is archived instead, and co-instructors cannot delete
    (found by exploratory testing)."""
    from tests.factories import add_quiz

    owner = make_user(role="instructor")
    co = make_user(role="instructor")
    login(owner)
    course = make_course(owner, "Trial", slug="trial", status="draft")
    course.staff.append(CourseStaff(user_id=co.id, role="instructor"))
    add_quiz(lessons_of(course)[0], pass_mark=50)
    client.post("/studio/courses/trial/settings", data=course_data(title="Trial", slug="trial", cover_alt="A desk",
                cover_image=file(PNG, "desk.png")), content_type="multipart/form-data")  # fmt: skip
    assert len(stored_files(app)) == 1
    assert 'href="/studio/courses/trial/delete"' in client.get("/studio/courses/trial/").text
    confirm = client.get("/studio/courses/trial/delete")
    assert confirm.status_code == 200 and "Delete the course “Trial”?" in confirm.text

    client.post("/auth/logout")
    login(co)
    assert 'href="/studio/courses/trial/delete"' not in client.get("/studio/courses/trial/").text
    assert client.post("/studio/courses/trial/delete").status_code == 403
    client.post("/auth/logout")
    login(owner)
    response = client.post("/studio/courses/trial/delete", follow_redirects=True)
    assert "“Trial” is deleted." in response.text
    db.session.expire_all()
    assert db.session.scalar(select(Course).where(Course.slug == "trial")) is None
    assert db.session.scalars(select(Upload)).all() == [] and stored_files(app) == []
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "course.delete"))
    assert entry.detail == "Trial" and entry.actor_id == owner.id

    make_course(owner, "Live", slug="live")
    assert 'href="/studio/courses/live/delete"' not in client.get("/studio/courses/live/").text
    refused = client.post("/studio/courses/live/delete", follow_redirects=True)
    assert "A course that was published cannot be deleted: archive it instead." in refused.text
    assert db.session.scalar(select(Course).where(Course.slug == "live")) is not None
