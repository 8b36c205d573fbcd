"""Taking a course: course home, resume, locks (drip by days and date, prerequisites), previews, lesson
page content, mark as done (form and JSON), and no IDOR between courses."""

from datetime import date, timedelta

import pytest

from lms.database import utcnow
from lms.extensions import db
from lms.models import Enrolment, LessonProgress, Upload
from tests.factories import enrol, lessons_of, make_course


@pytest.fixture
def instructor(make_user):
    return make_user(email="ivo@example.com", name="Ivo Instructor", role="instructor")


@pytest.fixture
def learner(make_user):
    return make_user(email="lena@example.com", name="Lena Learner")


def url(course, lesson=None, action=None):
    if lesson is None:
        return f"/learn/{course.slug}/"
    base = f"/learn/{course.slug}/lessons/{lesson.id}"
    return f"{base}/{action}" if action else base


def test_course_home_shows_modules_status_and_minutes(client, login, instructor, learner):
    course = make_course(instructor, modules=((5, 10), (15,)))
    enrol(learner, course)
    login(learner)
    page = client.get(url(course)).get_data(as_text=True)
    assert "Module 1" in page and "Module 2" in page
    assert "Lesson 2.1" in page
    assert "30 min" in page  # total minutes
    assert "Start: Lesson 1.1" in page
    assert "0% complete" in page


def test_resume_continues_at_last_opened_lesson(client, login, instructor, learner):
    course = make_course(instructor, modules=((5, 10, 15),))
    enrol(learner, course)
    first, second, third = lessons_of(course)
    login(learner)
    assert client.get(url(course, second)).status_code == 200
    enrolment = db.session.get(Enrolment, 1)
    assert enrolment.last_lesson_id == second.id
    page = client.get(url(course)).get_data(as_text=True)
    assert "Continue: Lesson 1.2" in page
    # done -> resume moves on to the next not-done lesson
    client.post(url(course, second, "done"))
    page = client.get(url(course)).get_data(as_text=True)
    assert "Continue: Lesson 1.1" in page  # the first not-done one in course order


def test_opening_a_lesson_records_first_and_last_opened_once(client, login, instructor, learner):
    course = make_course(instructor)
    enrol(learner, course)
    lesson = lessons_of(course)[0]
    login(learner)
    client.get(url(course, lesson))
    client.get(url(course, lesson))
    rows = db.session.query(LessonProgress).all()
    assert len(rows) == 1
    assert rows[0].first_opened_at <= rows[0].last_opened_at
    assert rows[0].completed_at is None


def test_not_enrolled_visitors_go_to_course_page_or_403(client, login, instructor, learner, app):
    course = make_course(instructor, preview_first=True)
    preview, other = lessons_of(course)
    # anonymous visitor
    response = client.get(url(course))
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert f"/courses/{course.slug}" in response.headers["Location"]
    # free preview is open to everyone, without tracking
    page = client.get(url(course, preview))
    assert page.status_code == 200
    assert "free preview" in page.get_data(as_text=True)
    assert client.get(url(course, other)).status_code in (302, 403)
    login(learner)
    assert client.get(url(course, other)).status_code in (302, 403)
    assert db.session.query(LessonProgress).count() == 0


def test_preview_only_for_published_courses(client, login, instructor, learner):
    """A draft's lessons, previews included, are a 404 for everyone outside its staff, as its course page is:
    a 403 told visitors that the course exists."""
    course = make_course(instructor, status="draft", preview_first=True)
    preview, other = lessons_of(course)
    assert client.get(url(course, preview)).status_code == 404
    assert client.get(url(course)).status_code == 404
    login(learner)
    assert client.get(url(course, other)).status_code == 404
    assert client.get(f"/courses/{course.slug}/discussion/").status_code == 404


def test_a_preview_lesson_in_an_archived_module_is_closed_to_visitors(client, login, instructor, learner):
    """The studio archives a module that learners have progress in: its lessons leave the syllabus, and a free
    preview among them must not stay readable from outside the course."""
    course = make_course(instructor, modules=((5,), (5, 10)))
    preview = lessons_of(course)[1]
    preview.is_preview = True
    db.session.commit()
    assert client.get(url(course, preview)).status_code == 200
    preview.module.archived_at = utcnow()
    db.session.commit()
    assert client.get(url(course, preview)).status_code in (302, 404)
    assert "free preview" not in client.get(url(course, preview), follow_redirects=True).text
    login(learner)
    assert "free preview" not in client.get(url(course, preview), follow_redirects=True).text


def test_lesson_of_another_course_is_404(client, login, instructor, learner):
    mine = make_course(instructor, title="Mine")
    other = make_course(instructor, title="Other")
    enrol(learner, mine)
    login(learner)
    foreign = lessons_of(other)[0]
    assert client.get(url(mine, foreign)).status_code == 404
    assert client.post(url(mine, foreign, "done")).status_code == 404
    assert client.get(f"/learn/{mine.slug}/lessons/999999").status_code == 404
    assert client.get("/learn/no-such-course/").status_code == 404


def test_drip_by_days_locks_until_the_date(client, login, instructor, learner):
    course = make_course(instructor, modules=((5,), (5,)))
    course.modules[1].drip_days = 3
    db.session.commit()
    enrol(learner, course)
    login(learner)
    locked = lessons_of(course)[1]
    response = client.get(url(course, locked))
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    opens = (utcnow().date() + timedelta(days=3)).strftime("%d %b %Y")
    assert "is locked" in page and opens in page
    assert page.count(opens) == 1, "the locked page says when it opens once"
    home = client.get(url(course)).get_data(as_text=True)
    assert "opens on" in home and "Locked" in home
    # three days later the module is open
    enrolment = db.session.scalar(db.select(Enrolment))
    enrolment.enrolled_at = utcnow() - timedelta(days=3)
    db.session.commit()
    assert client.get(url(course, locked)).status_code == 200


def test_drip_by_days_counts_days_in_the_learners_time_zone(app, instructor, make_user):
    from datetime import datetime

    from lms.lessons.services import course_outline

    course = make_course(instructor, modules=((5,), (5,)))
    course.modules[1].drip_days = 1
    db.session.commit()
    # Enrolled at 23:30 UTC on 1 Mar = 12:30 on 2 Mar in Auckland.
    kiwi = make_user(timezone="Pacific/Auckland")
    enrolment = enrol(kiwi, course)
    enrolment.enrolled_at = datetime(2026, 3, 1, 23, 30)
    db.session.commit()
    at = datetime(2026, 3, 2, 10, 0)  # 23:00 on 2 Mar in Auckland: still the enrolment day there
    state = course_outline(kiwi, course, enrolment, now=at).states[1]
    assert state.status == "locked" and state.opens_on == date(2026, 3, 3)
    at = datetime(2026, 3, 2, 11, 30)  # 00:30 on 3 Mar in Auckland
    assert course_outline(kiwi, course, enrolment, now=at).states[1].status == "not_started"


def test_drip_by_fixed_date(client, login, instructor, learner):
    course = make_course(instructor, modules=((5,), (5,)))
    course.modules[1].opens_on = utcnow().date() + timedelta(days=10)
    db.session.commit()
    enrol(learner, course)
    login(learner)
    assert client.get(url(course, lessons_of(course)[1])).status_code == 403
    course.modules[1].opens_on = utcnow().date() - timedelta(days=1)
    db.session.commit()
    assert client.get(url(course, lessons_of(course)[1])).status_code == 200


def test_lesson_prerequisite_locks_until_previous_is_done(client, login, instructor, learner):
    course = make_course(instructor, modules=((5, 5),))
    first, second = lessons_of(course)
    second.requires_previous = True
    db.session.commit()
    enrol(learner, course)
    login(learner)
    response = client.get(url(course, second))
    assert response.status_code == 403
    assert "Complete “Lesson 1.1” first." in response.get_data(as_text=True)
    assert client.post(url(course, second, "done")).status_code == 403
    client.post(url(course, first, "done"))
    assert client.get(url(course, second)).status_code == 200


def test_module_prerequisite_needs_every_lesson_of_previous_module(client, login, instructor, learner):
    course = make_course(instructor, modules=((5, 5), (5,)))
    course.modules[1].requires_previous = True
    db.session.commit()
    a, b, c = lessons_of(course)
    enrol(learner, course)
    login(learner)
    client.post(url(course, a, "done"))
    assert client.get(url(course, c)).status_code == 403
    client.post(url(course, b, "done"))
    assert client.get(url(course, c)).status_code == 200


def test_staff_bypass_locks_and_are_not_tracked(client, login, instructor):
    course = make_course(instructor, modules=((5,), (5,)))
    course.modules[1].opens_on = utcnow().date() + timedelta(days=10)
    db.session.commit()
    login(instructor)
    assert client.get(url(course, lessons_of(course)[1])).status_code == 200
    assert db.session.query(LessonProgress).count() == 0


def test_archived_lesson_is_gone_for_learners(client, login, instructor, learner):
    course = make_course(instructor, modules=((5, 5),))
    lessons_of(course)[1].archived_at = utcnow()
    db.session.commit()
    enrol(learner, course)
    login(learner)
    assert "Lesson 1.2" not in client.get(url(course)).get_data(as_text=True)
    # A bookmark or an old tab: the learner is told it was taken out and taken to the course, not sent to a
    # "never existed" 404 page (it was a 404 before, as for a stranger).
    archived = lessons_of(course)[1]
    response = client.get(url(course, archived))
    assert response.status_code == 302 and response.location.endswith(url(course))
    told = "“Lesson 1.2” has been taken out of this course."
    assert told in client.get(response.location).get_data(as_text=True)
    response = client.post(url(course, archived) + "/done", headers={"Accept": "application/json"})
    # Mark done's message shows under the button on the lesson page the learner is still on: no "Here is where
    # you are now" (found by exploratory testing).
    assert response.status_code == 404
    assert response.get_json()["message"] == f"{told[:-1]}, so it can no longer be marked done."
    response = client.post(url(course, archived) + "/done")
    assert response.status_code == 302 and response.location.endswith(url(course))
    assert db.session.query(LessonProgress).count() == 0


def test_mark_done_without_js_redirects_to_next_lesson(client, login, instructor, learner):
    course = make_course(instructor, modules=((5, 5),))
    first, second = lessons_of(course)
    enrol(learner, course)
    login(learner)
    response = client.post(url(course, first, "done"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(url(course, second))
    page = client.get(url(course, first)).get_data(as_text=True)
    assert "You completed this lesson" in page


def test_mark_done_json_for_javascript(client, login, instructor, learner):
    course = make_course(instructor, modules=((5, 5),))
    first, second = lessons_of(course)
    enrol(learner, course)
    login(learner)
    response = client.post(url(course, first, "done"), headers={"Accept": "application/json"})
    assert response.status_code == 200
    data = response.get_json()
    assert data["ok"] and data["percent"] == 50
    assert data["next_url"].endswith(url(course, second))
    assert data["course_completed"] is False


def test_mark_done_json_reports_the_course_after_the_completion(client, login, instructor, learner):
    course = make_course(instructor, modules=((5, 10), (15,)))
    first, second, third = lessons_of(course)
    second.requires_previous = True  # opens only once the first is done
    db.session.commit()
    enrol(learner, course)
    login(learner)

    def done(lesson):
        response = client.post(url(course, lesson, "done"), headers={"Accept": "application/json"})
        assert response.status_code == 200
        return response.get_json()

    data = done(first)
    assert data["percent"] == 33 and data["remaining_minutes"] == 25 and data["next_url"].endswith(url(course, second))
    assert done(first)["percent"] == 33  # marking it again changes nothing
    data = done(third)
    assert data["percent"] == 67 and data["next_url"].endswith(url(course, second)) and not data["course_completed"]
    data = done(second)
    assert data["percent"] == 100 and data["remaining_minutes"] == 0 and data["next_url"] is None
    assert data["course_completed"] is True and data["certificate_url"]


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_mark_done_needs_csrf_token(client, login, instructor, learner, app_config):
    course = make_course(instructor)
    enrol(learner, course)
    # log in with a token from the login page
    import re

    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"',
                      client.get("/auth/login").get_data(as_text=True))
    token = token.group(1) or token.group(2)
    client.post("/auth/login", data={"email": learner.email, "password": "correct horse battery", "csrf_token": token})
    lesson = lessons_of(course)[0]
    assert client.post(url(course, lesson, "done")).status_code == 400
    assert db.session.query(LessonProgress).filter(LessonProgress.completed_at.isnot(None)).count() == 0


def test_lesson_page_shows_video_embed_only_from_allowed_hosts(client, login, instructor, learner):
    course = make_course(instructor, modules=((5, 5),))
    good, bad = lessons_of(course)
    good.video_embed_url = "https://www.youtube-nocookie.com/embed/abc123"
    bad.video_embed_url = "https://evil.example.com/embed/abc"
    db.session.commit()
    enrol(learner, course)
    login(learner)
    page = client.get(url(course, good)).get_data(as_text=True)
    assert '<iframe src="https://www.youtube-nocookie.com/embed/abc123" title="Video: Lesson 1.1"' in page
    assert "evil.example.com" not in client.get(url(course, bad)).get_data(as_text=True)


def test_lesson_page_lists_attachments_and_body(client, login, instructor, learner):
    course = make_course(instructor)
    lesson = lessons_of(course)[0]
    db.session.add(Upload(stored_name="abc.pdf", original_name="checklist.pdf", content_type="application/pdf",
                          size=2048, kind="attachment", course_id=course.id, lesson_id=lesson.id))
    db.session.commit()
    enrol(learner, course)
    login(learner)
    page = client.get(url(course, lesson)).get_data(as_text=True)
    assert "checklist.pdf" in page
    assert "Lesson 1.1 text." in page
    assert "Next" in page and "Lesson 1.2" in page


def test_attachment_sizes_read_as_people_count_them(client, login, instructor, learner):
    """A one-page worksheet under half a kilobyte was listed as "(0 KB)", as if the file were empty, and a
    video of several megabytes as thousands of KB."""
    course = make_course(instructor)
    lesson = lessons_of(course)[0]
    for name, size in (("tiny.pdf", 300), ("slides.pdf", 3_670_016)):
        db.session.add(Upload(stored_name=f"{name}x", original_name=name, content_type="application/pdf", size=size,
                              kind="attachment", course_id=course.id, lesson_id=lesson.id))  # fmt: skip
    db.session.commit()
    enrol(learner, course)
    login(learner)
    page = client.get(url(course, lesson)).get_data(as_text=True)
    assert "(1 KB)" in page and "(3.5 MB)" in page
    assert "(0 KB)" not in page and "3584 KB" not in page


def test_a_lesson_text_that_starts_with_a_top_heading_leaves_the_page_one_title(client, login, instructor, learner):
    """`# Heading` is how most people start a Markdown text: it made a second h1 on the lesson page, as big as
    the lesson's title and breaking the page outline screen readers navigate by. Markdown's top heading is
    now an h2, the level below the page's title; ## and below stay as written."""
    from lms.content import render_markdown

    course = make_course(instructor)
    lesson = lessons_of(course)[0]
    lesson.body_md = "# Before the call\n\nText.\n\n## Questions to ask\n\n### Budget"
    lesson.body_html = str(render_markdown(lesson.body_md))
    db.session.commit()
    enrol(learner, course)
    login(learner)
    page = client.get(url(course, lesson)).get_data(as_text=True)
    assert page.count("<h1") == 1 and "<h2>Before the call</h2>" in page
    assert "<h2>Questions to ask</h2>" in page and "<h3>Budget</h3>" in page


def test_completion_percent_ignores_archived_lessons(app, instructor, learner):
    from lms.progress.services import course_percentages, mark_lesson_done
    from lms.studio.services import recompute_course_totals

    course = make_course(instructor, modules=((5, 5, 5, 5),))
    enrol(learner, course)
    a, b, c, d = lessons_of(course)
    mark_lesson_done(learner, a)
    mark_lesson_done(learner, d)
    d.archived_at = utcnow()  # a done lesson that is archived no longer counts
    recompute_course_totals(course)
    db.session.commit()
    assert course_percentages(learner.id, [course.id]) == {course.id: 33}
    from lms.lessons.services import course_outline

    assert course_outline(learner, course).percent == 33


def test_course_home_and_the_lesson_editor_have_titles_of_their_own(client, login, instructor, learner):
    """Tabs and screen readers tell pages apart by their <title>: the course home was titled like the course
    page, and the studio's lesson editor like the learner's lesson."""
    course = make_course(instructor, title="Feedback")
    lesson = lessons_of(course)[0]
    enrol(learner, course)
    login(learner)
    assert "<title>Your course: Feedback · Sparetime</title>" in client.get(url(course)).text
    assert "<title>Feedback · Sparetime</title>" in client.get(f"/courses/{course.slug}").text
    client.post("/auth/logout")
    login(instructor)
    editor = client.get(f"/studio/courses/{course.slug}/lessons/{lesson.id}/edit").text
    assert f"<title>Edit lesson: {lesson.title} · Feedback · Sparetime</title>" in editor


def test_a_free_preview_lesson_does_not_lock_when_the_visitor_enrols(client, login, instructor, learner):
    """A free preview that also "requires the previous lesson" (or sits in a module that opens later) was open to
    every visitor and then locked the moment that visitor enrolled. Whoever could read it keeps reading it; the
    lessons after it still wait for it as before."""
    course = make_course(instructor, modules=((5, 5, 5), (5,)))
    first, preview, third, dripped = lessons_of(course)
    preview.is_preview = preview.requires_previous = third.requires_previous = True
    dripped.is_preview = True
    course.modules[1].drip_days = 3
    db.session.commit()
    assert "free preview" in client.get(url(course, preview)).text
    assert "free preview" in client.get(url(course, dripped)).text
    assert client.get(f"/courses/{course.slug}").text.count("after the previous lesson") == 1  # the third only
    enrol(learner, course)
    login(learner)
    assert client.get(url(course, preview)).status_code == 200
    assert client.get(url(course, dripped)).status_code == 200
    home = client.get(url(course)).text
    assert "Complete “Lesson 1.1” first." not in home and "Complete “Lesson 1.2” first." in home
    assert client.get(url(course, third)).status_code == 403


def test_the_attachments_list_leaves_out_images_the_text_already_shows(client, login, instructor, learner):
    """An image uploaded to the lesson and shown in its text was listed again under "Attachments", beside the
    files to download. Only images actually shown inline leave the list: one the text only links to, or does not
    mention, stays, as do the other files; the studio's preview lists the same."""
    from lms.content import render_markdown

    course = make_course(instructor)
    lesson = lessons_of(course)[0]
    for stored, name, kind in (("a1.png", "chart.png", "image/png"), ("b2.png", "linked.png", "image/png"),
                               ("c3.png", "spare.png", "image/png"), ("d4.pdf", "plan.pdf", "application/pdf")):
        db.session.add(Upload(stored_name=stored, original_name=name, content_type=kind, size=900, kind="attachment",
                              course_id=course.id, lesson_id=lesson.id))  # fmt: skip
    lesson.body_md = "![The chart](/studio/files/a1.png)\n\nThe [full-size image](/studio/files/b2.png)."
    lesson.body_html = str(render_markdown(lesson.body_md))
    db.session.commit()
    enrol(learner, course)
    login(learner)
    page = client.get(url(course, lesson)).text
    listed = page.split('<section class="attachments"')[1].split("</section>")[0]
    assert "chart.png" not in listed and 'alt="The chart"' in page
    assert "linked.png" in listed and "spare.png" in listed and "plan.pdf" in listed
    client.post("/auth/logout")
    login(instructor)
    preview = client.get(f"/studio/courses/{course.slug}/preview/lessons/{lesson.id}").text
    files = preview.split('id="files-heading"')[1].split("</section>")[0]
    assert "chart.png" not in files and "linked.png" in files and "plan.pdf" in files
