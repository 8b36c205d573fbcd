"""The syllabus each app process keeps in memory (lms/syllabus.py): learners see every studio change on their
next request, in this process and in another process on the same database, and a returning learner's pages
do not read the syllabus from the database again."""

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.models import Course
from tests.conftest import make_app
from tests.factories import enrol, lessons_of, make_course


@pytest.fixture
def world(app, client, login, make_user):
    owner = make_user(role="instructor")
    learner = make_user()
    course = make_course(owner, "Feedback", slug="feedback", modules=((5, 10), (7,)))
    enrol(learner, course)
    instructor = app.test_client()
    login(owner, instructor)
    login(learner)
    return course, instructor


def home(client):
    response = client.get("/learn/feedback/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def version(course_id):
    return db.session.scalar(select(Course.syllabus_version).where(Course.id == course_id))


def lesson_form(module_id, **fields):
    data = {"title": "Lesson", "module_id": str(module_id), "body": "", "minutes_authored": "", "video_embed": "",
            "video_minutes": ""}  # fmt: skip
    data.update(fields)
    return data


def test_studio_changes_reach_the_learner_on_the_next_request(world, client):
    course, instructor = world
    first, second, third = lessons_of(course)
    assert "Lesson 1.1" in home(client)  # the syllabus is now in memory

    instructor.post(f"/studio/courses/feedback/lessons/{first.id}/edit",
                    data=lesson_form(first.module_id, title="Asking for feedback", minutes_authored="12"))  # fmt: skip
    page = home(client)
    assert "Asking for feedback" in page and "Lesson 1.1" not in page

    instructor.post(f"/studio/courses/feedback/lessons/{second.id}/move", data={"direction": "up"})
    page = home(client)
    assert page.index("Lesson 1.2") < page.index("Asking for feedback")

    instructor.post(f"/studio/courses/feedback/modules/{third.module_id}/edit",
                    data={"title": "Week two", "drip_days": "30"})  # fmt: skip
    page = home(client)
    assert "Week two" in page and "opens on" in page.lower()

    instructor.post(f"/studio/courses/feedback/lessons/{second.id}/delete")  # archive
    assert "Lesson 1.2" not in home(client)

    instructor.post(f"/studio/courses/feedback/modules/{first.module_id}/lessons/new",
                    data=lesson_form(first.module_id, title="Saying no kindly"))  # fmt: skip
    assert "Saying no kindly" in home(client)


def test_every_change_to_modules_or_lessons_bumps_the_version_once_per_save(world):
    course, instructor = world
    first = lessons_of(course)[0]
    before = version(course.id)
    instructor.post(f"/studio/courses/feedback/lessons/{first.id}/edit",
                    data=lesson_form(first.module_id, title="Renamed"))  # fmt: skip
    assert version(course.id) == before + 1
    instructor.get("/studio/courses/feedback/")  # reading the studio changes nothing
    assert version(course.id) == before + 1
    db.session.expire_all()
    course.modules[1].title = "Changed directly on the model"
    db.session.commit()
    assert version(course.id) == before + 2


def test_another_process_on_the_same_database_sees_the_change(world, client, _schema, tmp_path, login):
    course, instructor = world
    assert "Lesson 1.1" in home(client)
    other = make_app(_schema, tmp_path / "other-instance")  # its own in-memory syllabus, as a second process
    with other.app_context():
        other_client = other.test_client()
        other_client.set_cookie("session", client.get_cookie("session").value, domain="localhost")
        assert "Lesson 1.1" in home(other_client)
        first = lessons_of(course)[0]
        instructor.post(f"/studio/courses/feedback/lessons/{first.id}/edit",
                        data=lesson_form(first.module_id, title="Edited in process one"))  # fmt: skip
        assert "Edited in process one" in home(other_client)
        db.session.remove()


def test_returning_learner_does_not_reload_the_syllabus(world, client, count_queries):
    home(client)
    with count_queries() as counter:
        home(client)
    assert not [s for s in counter.statements if "FROM modules" in s and "JOIN lessons" in s]
    lesson_id = lessons_of(world[0])[0].id
    client.get(f"/learn/feedback/lessons/{lesson_id}")
    with count_queries() as counter:
        assert client.get(f"/learn/feedback/lessons/{lesson_id}").status_code == 200
        assert client.get("/").status_code == 200
    assert not [s for s in counter.statements if "FROM modules" in s and "JOIN lessons" in s]


def test_a_new_attachment_or_practice_task_shows_at_once(world, client, count_queries):
    from lms.peers import services as peers
    from tests.peers_helpers import CRITERIA
    from tests.studio_helpers import PDF, file

    course, instructor = world
    lesson = lessons_of(course)[0]
    url = f"/learn/feedback/lessons/{lesson.id}"
    client.get(url)
    with count_queries() as counter:
        page = client.get(url).get_data(as_text=True)
    assert "checklist.pdf" not in page
    assert not [s for s in counter.statements if "FROM uploads" in s or "FROM peer_assignments" in s]

    instructor.post(f"/studio/courses/feedback/lessons/{lesson.id}/attachments",
                    data={"file": file(PDF, "checklist.pdf")}, content_type="multipart/form-data")  # fmt: skip
    assert "checklist.pdf" in client.get(url).get_data(as_text=True)

    peers.save_assignment(lesson, "Ask a client for feedback on your last delivery.", 1, CRITERIA)
    db.session.commit()
    assert "Ask a client for feedback" in client.get(url).get_data(as_text=True)
    refused = client.post(f"{url}/done", headers={"Accept": "application/json"})
    assert refused.status_code == 409 and "Submit your practice response" in refused.get_json()["message"]


def test_board_lesson_tags_and_thread_form_follow_the_syllabus(world, client):
    course, instructor = world
    first, second, _ = lessons_of(course)
    form = client.get("/courses/feedback/discussion/new").get_data(as_text=True)
    assert f'<option value="{second.id}">Lesson 1.2</option>' in form
    response = client.post("/courses/feedback/discussion/new", data={
        "title": "How do you ask for a testimonial?", "kind": "question", "lesson_id": str(first.id),
        "body": "After the project, or in the middle?"})  # fmt: skip
    assert response.status_code == 302
    board = client.get("/courses/feedback/discussion/").get_data(as_text=True)
    assert "How do you ask for a testimonial?" in board and "Lesson 1.1</span>" in board

    instructor.post(f"/studio/courses/feedback/lessons/{first.id}/edit",
                    data=lesson_form(first.module_id, title="Asking for a testimonial"))  # fmt: skip
    board = client.get("/courses/feedback/discussion/").get_data(as_text=True)
    assert "Asking for a testimonial</span>" in board and "Lesson 1.1" not in board
    instructor.post(f"/studio/courses/feedback/lessons/{second.id}/delete")  # archived: no longer offered
    assert f'value="{second.id}"' not in client.get("/courses/feedback/discussion/new").get_data(as_text=True)


def _draft_with_one_lesson(client, title, lesson_title):
    """A draft made through the studio by the logged-in instructor, with one module holding one lesson."""
    slug = title.lower()
    client.post("/studio/courses/new", data={"title": title, "level": "intro", "enrolment_policy": "open"})
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    client.post(f"/studio/courses/{slug}/modules/new", data={"title": f"Module of {lesson_title}"})
    module_id = course.modules[0].id
    client.post(f"/studio/courses/{slug}/modules/{module_id}/lessons/new",
                data=lesson_form(module_id, title=lesson_title))  # fmt: skip
    return course


def test_a_course_created_after_a_deletion_never_gets_the_deleted_course_syllabus(app, client, login, make_user):
    """SQLite gives a new row the id of a just-deleted newest one: a draft deleted after its owner previewed it
    left its syllabus in memory under (id, version), and a new course reaching the same id and version was shown
    the deleted course's lessons (found by exploratory testing)."""
    owner = make_user(role="instructor")
    login(owner)
    trial = _draft_with_one_lesson(client, "Trial", "Old lesson")
    assert "Old lesson" in client.get("/learn/trial/").text  # staff see the course home: its syllabus is cached
    trial_id = trial.id
    client.post("/studio/courses/trial/delete")

    fresh = _draft_with_one_lesson(client, "Fresh", "New lesson")
    page = client.get("/learn/fresh/").text
    assert "New lesson" in page and "Old lesson" not in page, (trial_id, fresh.id)
