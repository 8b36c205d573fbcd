"""Modules and lessons in the studio: add, edit, Markdown, minutes, embeds, drip, prerequisites, order, archive."""

import json
from datetime import date

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.models import AuditEntry, Lesson, LessonProgress, Module, Question, Upload
from lms.studio.services import StudioError
from lms.studio.structure import embed_src
from tests.factories import add_quiz, lessons_of, make_course
from tests.studio_helpers import PDF, file, stored_files


@pytest.fixture
def owner_course(client, login, make_user):
    owner = make_user(role="instructor")
    course = make_course(owner, "Feedback", slug="feedback", modules=((5, 10, 15), (7,)), status="draft")
    login(owner)
    return owner, course


def lesson_data(module_id, **overrides):
    data = {"title": "Asking for feedback", "module_id": str(module_id), "body": "", "minutes_authored": "",
            "video_embed": "", "video_minutes": ""}  # fmt: skip
    data.update(overrides)
    return data


def titles(course):
    db.session.expire_all()
    return [[lesson.title for lesson in module.lessons] for module in course.modules]


def test_add_module_with_drip_and_prerequisite(client, owner_course):
    _, course = owner_course
    response = client.post("/studio/courses/feedback/modules/new",
                           data={"title": "Week two", "drip_days": "7", "requires_previous": "y"})  # fmt: skip
    assert response.status_code == 302
    module = course.modules[-1]
    assert (module.title, module.drip_days, module.opens_on, module.requires_previous, module.position) == (
        "Week two", 7, None, True, 2)
    client.post(f"/studio/courses/feedback/modules/{module.id}/edit", data={"title": "Week two",
        "opens_on": "2027-05-01"})
    assert (module.drip_days, module.opens_on, module.requires_previous) == (None, date(2027, 5, 1), False)
    page = client.get("/studio/courses/feedback/").get_data(as_text=True)
    assert "Opens on 01 May 2027" in page
    response = client.post(f"/studio/courses/feedback/modules/{module.id}/edit",
                           data={"title": "Week two", "drip_days": "3", "opens_on": "2027-05-01"})  # fmt: skip
    assert "not both" in response.get_data(as_text=True)
    assert module.drip_days is None


@pytest.mark.parametrize("typed, message", [
    ("2027-02-31", "Not a valid date value."),
    ("0001-01-01", "Enter a date between the years 1970 and 2999."),
    ("9999-12-31", "Enter a date between the years 1970 and 2999."),
])
def test_a_module_opening_date_that_cannot_be_is_refused_and_nothing_is_lost(client, owner_course, typed, message):
    _, course = owner_course
    module = course.modules[0]
    response = client.post(f"/studio/courses/feedback/modules/{module.id}/edit",
                           data={"title": "Week one, renamed", "opens_on": typed})  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and message in page
    assert 'value="Week one, renamed"' in page and f'value="{typed}"' in page
    db.session.expire_all()
    assert module.opens_on is None and module.title != "Week one, renamed"


def test_module_and_lesson_titles_lose_direction_controls(client, owner_course):
    _, course = owner_course
    client.post("/studio/courses/feedback/modules/new", data={"title": "\u202eWeek two"})
    module = course.modules[-1]
    assert module.title == "Week two"
    response = client.post(f"/studio/courses/feedback/modules/{module.id}/lessons/new",
                           data=lesson_data(module.id, title="\u202e\u2069"))  # fmt: skip
    assert response.status_code == 200 and module.lessons == []
    client.post(f"/studio/courses/feedback/modules/{module.id}/lessons/new",
                data=lesson_data(module.id, title="Say \u2066no\u2069"))  # fmt: skip
    assert [lesson.title for lesson in module.lessons] == ["Say no"]


def test_drip_schedule_is_shown_in_the_outline(client, owner_course):
    _, course = owner_course
    course.modules[1].drip_days = 3
    db.session.commit()
    page = client.get("/studio/courses/feedback/").get_data(as_text=True)
    assert "Open from enrolment" in page and "Opens 3 days after enrolment" in page


def test_add_lesson_renders_markdown_and_estimates_minutes(client, owner_course):
    _, course = owner_course
    module = course.modules[1]
    body = ("# Ask early\n\n" + "word " * 450 + "\n\n| Do | Don't |\n|---|---|\n| ask | guess |\n\n"
            "```python\nprint('hi')\n```\n\n[Guide](https://example.com/guide) <script>alert(1)</script>"
            '<img src=x onerror="alert(2)"> [bad](javascript:alert(3))'
            ' <a href="javascript:alert(4)">x</a>')  # fmt: skip
    response = client.post(f"/studio/courses/feedback/modules/{module.id}/lessons/new",
                           data=lesson_data(module.id, body=body, video_minutes="4",
                               requires_previous="y"))  # fmt: skip
    assert response.status_code == 302
    lesson = module.lessons[-1]
    html = lesson.body_html
    assert "<table>" in html and "<th>Do</th>" in html
    assert '<code class="language-python">' in html
    assert 'href="https://example.com/guide"' in html and 'rel="nofollow noopener"' in html
    assert "<script" not in html and "onerror" not in html and 'href="javascript' not in html
    assert lesson.minutes_authored is None and lesson.minutes == 3 + 4  # 452 words -> 3 min, plus video
    assert lesson.requires_previous is True
    assert course.lesson_count == 5 and course.total_minutes == 5 + 10 + 15 + 7 + 7
    client.post(f"/studio/courses/feedback/lessons/{lesson.id}/edit",
                data=lesson_data(module.id, body="short", minutes_authored="12"))  # fmt: skip
    assert lesson.minutes == 12 and lesson.minutes_authored == 12 and course.total_minutes == 5 + 10 + 15 + 7 + 12


@pytest.mark.parametrize(
    ("url", "src"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://youtu.be/dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://www.youtube.com/embed/dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871"),
        ("https://player.vimeo.com/video/76979871?h=abc123def", "https://player.vimeo.com/video/76979871?h=abc123def"),
        # "Watch from here" links keep their start time.
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=3", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?start=3"),
        ("https://youtu.be/dQw4w9WgXcQ?t=42", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?start=42"),
        ("https://youtu.be/dQw4w9WgXcQ?t=1m30s", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?start=90"),
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ#t=1h2m3s",
         "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?start=3723"),
        ("https://www.youtube.com/embed/dQw4w9WgXcQ?start=42", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?start=42"),
        ("https://youtu.be/dQw4w9WgXcQ?t=soon", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://youtu.be/dQw4w9WgXcQ?t=99h9999m999999s", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://youtu.be/dQw4w9WgXcQ?t=99h59m59s", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?start=359999"),
        ("https://vimeo.com/76979871#t=95s", "https://player.vimeo.com/video/76979871#t=95s"),
        ("https://vimeo.com/76979871/abc123def#t=1m", "https://player.vimeo.com/video/76979871?h=abc123def#t=60s"),
        # Shared from a channel or a group page.
        ("https://vimeo.com/channels/staffpicks/76979871", "https://player.vimeo.com/video/76979871"),
        ("https://vimeo.com/groups/shortfilms/videos/76979871", "https://player.vimeo.com/video/76979871"),
    ],
)  # fmt: skip
def test_embed_links_become_allow_listed_sources(url, src):
    assert embed_src(url) == src
    assert embed_src(src) == src  # editing the lesson again, or importing its course, keeps the same source


@pytest.mark.parametrize(
    "url",
    ["https://evil.example.com/embed/dQw4w9WgXcQ", "javascript:alert(1)",
        "https://youtube.com.evil.net/watch?v=dQw4w9WgXcQ",
     "https://www.youtube.com/watch?v=<script>", "https://user:pw@www.youtube.com/embed/dQw4w9WgXcQ",
     "https://vimeo.com/channels/staff", "data:text/html,hi"],
)  # fmt: skip
def test_other_embeds_are_refused(url):
    with pytest.raises(StudioError):
        embed_src(url)


def test_lesson_form_refuses_a_foreign_embed(client, owner_course):
    _, course = owner_course
    lesson = lessons_of(course)[0]
    response = client.post(f"/studio/courses/feedback/lessons/{lesson.id}/edit",
                           data=lesson_data(course.modules[0].id, title="Changed",
                                            video_embed="https://evil.example.com/v/1"))  # fmt: skip
    assert "Only YouTube and Vimeo" in response.get_data(as_text=True)
    db.session.expire_all()
    assert lesson.title == "Lesson 1.1" and lesson.video_embed_url == ""
    client.post(f"/studio/courses/feedback/lessons/{lesson.id}/edit",
                data=lesson_data(course.modules[0].id, video_embed="https://youtu.be/dQw4w9WgXcQ"))  # fmt: skip
    assert lesson.video_embed_url == "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
    preview = client.get(f"/studio/courses/feedback/preview/lessons/{lesson.id}").get_data(as_text=True)
    assert '<iframe src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"' in preview


def test_removing_the_video_takes_its_minutes_off_the_lesson(client, owner_course):
    """The editor fills in the video's length again on every save: ticking "Remove the current video" kept those
    minutes, so learners were told to plan for a video that was no longer there."""
    _, course = owner_course
    lesson, module = lessons_of(course)[0], course.modules[0]
    edit = f"/studio/courses/feedback/lessons/{lesson.id}/edit"
    video = "https://youtu.be/dQw4w9WgXcQ"
    client.post(edit, data=lesson_data(module.id, body="Short text.", video_embed=video, video_minutes="8"))
    assert lesson.minutes == 1 + 8 and course.total_minutes == 9 + 10 + 15 + 7
    client.post(edit, data=lesson_data(module.id, body="Short text.", video_embed=lesson.video_embed_url,
                                       video_minutes="8", remove_video="y"))  # fmt: skip
    db.session.expire_all()
    assert lesson.video_embed_url == "" and lesson.video_minutes == 0
    assert lesson.minutes == 1 and course.total_minutes == 1 + 10 + 15 + 7


def test_move_buttons_reorder_lessons_and_modules(client, owner_course):
    _, course = owner_course
    first, second, _third = lessons_of(course)[:3]
    client.post(f"/studio/courses/feedback/lessons/{second.id}/move", data={"direction": "up"})
    assert titles(course)[0] == ["Lesson 1.2", "Lesson 1.1", "Lesson 1.3"]
    client.post(f"/studio/courses/feedback/lessons/{first.id}/move", data={"direction": "down"})
    assert titles(course)[0] == ["Lesson 1.2", "Lesson 1.3", "Lesson 1.1"]
    client.post(f"/studio/courses/feedback/lessons/{first.id}/move", data={"direction": "down"})  # already last
    assert titles(course)[0] == ["Lesson 1.2", "Lesson 1.3", "Lesson 1.1"]
    client.post(f"/studio/courses/feedback/modules/{course.modules[1].id}/move", data={"direction": "up"})
    assert [m.title for m in course.modules] == ["Module 2", "Module 1"]
    assert client.post(f"/studio/courses/feedback/lessons/{first.id}/move",
        data={"direction": "left"}).status_code == 400


def test_drag_and_drop_order_is_validated_and_saved(client, owner_course):
    _, course = owner_course
    m1, m2 = course.modules
    l1, l2, l3, l4 = lessons_of(course)
    order = [{"module": m2.id, "lessons": [l4.id, l1.id]}, {"module": m1.id, "lessons": [l3.id, l2.id]}]
    response = client.post("/studio/courses/feedback/reorder", data={"order": json.dumps(order)},
                           headers={"Accept": "application/json"})  # fmt: skip
    assert response.status_code == 200 and response.json["ok"]
    assert titles(course) == [["Lesson 2.1", "Lesson 1.1"], ["Lesson 1.3", "Lesson 1.2"]]
    assert l1.module_id == m2.id
    bad_orders = ["not json", json.dumps({"x": 1}), json.dumps([{"module": m1.id, "lessons": [l1.id]}]),
                  json.dumps([{"module": m1.id, "lessons": [l1.id, l2.id, l3.id, l4.id, 999]}, {"module": m2.id,
                      "lessons": []}]),
                  '[{"module": Infinity, "lessons": []}]', f'[{{"module": {m1.id}, "lessons": [1e400]}}]',
                  json.dumps([{"module": None, "lessons": []}]), json.dumps(["not an entry"])]  # fmt: skip
    for bad in bad_orders:
        response = client.post("/studio/courses/feedback/reorder", data={"order": bad},
            headers={"Accept": "application/json"})
        assert response.status_code == 400 and not response.json["ok"]
    assert titles(course) == [["Lesson 2.1", "Lesson 1.1"], ["Lesson 1.3", "Lesson 1.2"]]


def test_lesson_moves_to_another_module_through_its_form(client, owner_course):
    _, course = owner_course
    lesson = lessons_of(course)[0]
    client.post(f"/studio/courses/feedback/lessons/{lesson.id}/edit", data=lesson_data(course.modules[1].id,
        title="Moved"))
    assert titles(course) == [["Lesson 1.2", "Lesson 1.3"], ["Lesson 2.1", "Moved"]]


def test_delete_without_progress_deletes_with_files(app, client, owner_course):
    _, course = owner_course
    lesson = lessons_of(course)[0]
    add_quiz(lesson)
    client.post(f"/studio/courses/feedback/lessons/{lesson.id}/attachments", data={"file": file(PDF, "sheet.pdf")},
                content_type="multipart/form-data")  # fmt: skip
    assert len(stored_files(app)) == 1
    page = client.get(f"/studio/courses/feedback/lessons/{lesson.id}/delete").get_data(as_text=True)
    assert "deleted permanently" in page
    client.post(f"/studio/courses/feedback/lessons/{lesson.id}/delete")
    assert db.session.get(Lesson, lesson.id) is None
    assert db.session.scalar(select(Question)) is None and db.session.scalar(select(Upload)) is None
    assert stored_files(app) == []
    assert course.lesson_count == 3 and course.total_minutes == 10 + 15 + 7


def test_delete_with_progress_archives_and_restore_brings_back(client, owner_course, make_user):
    _, course = owner_course
    lesson = lessons_of(course)[1]
    learner = make_user()
    db.session.add(LessonProgress(user_id=learner.id, lesson_id=lesson.id, course_id=course.id))
    db.session.commit()
    page = client.get(f"/studio/courses/feedback/lessons/{lesson.id}/delete").get_data(as_text=True)
    assert "1 learner has progress" in page and "archived" in page
    client.post(f"/studio/courses/feedback/lessons/{lesson.id}/delete")
    assert lesson.archived_at is not None
    assert db.session.scalar(select(LessonProgress)) is not None
    assert course.lesson_count == 3 and course.total_minutes == 5 + 15 + 7
    outline = client.get("/studio/courses/feedback/").get_data(as_text=True)
    assert "is-archived" in outline and "Restore" in outline
    client.post(f"/studio/courses/feedback/lessons/{lesson.id}/restore")
    assert lesson.archived_at is None and course.lesson_count == 4
    actions = db.session.execute(select(AuditEntry.action, AuditEntry.detail).order_by(AuditEntry.id)).all()
    assert actions[-2:] == [("lesson.archive", lesson.title), ("lesson.restore", lesson.title)]


def test_module_with_progress_is_archived_not_deleted(client, owner_course, make_user):
    _, course = owner_course
    module = course.modules[0]
    learner = make_user()
    db.session.add(LessonProgress(user_id=learner.id, lesson_id=module.lessons[2].id, course_id=course.id))
    db.session.commit()
    client.post(f"/studio/courses/feedback/modules/{module.id}/delete")
    assert module.archived_at is not None and len(module.lessons) == 3
    assert course.lesson_count == 1 and course.total_minutes == 7
    client.post(f"/studio/courses/feedback/modules/{module.id}/restore")
    assert module.archived_at is None and course.lesson_count == 4
    restored = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "module.restore"))
    assert restored.detail == module.title and restored.course_id == course.id
    empty = course.modules[1]
    client.post(f"/studio/courses/feedback/modules/{empty.id}/delete")
    assert db.session.get(Module, empty.id) is None


def test_bad_input_never_gives_a_server_error(client, owner_course):
    _, course = owner_course
    lesson = lessons_of(course)[0]
    module = course.modules[0]
    posts = [
        (f"/studio/courses/feedback/lessons/{lesson.id}/edit", lesson_data(module.id, title="")),
        (f"/studio/courses/feedback/lessons/{lesson.id}/edit", lesson_data(module.id, minutes_authored="-3")),
        (f"/studio/courses/feedback/lessons/{lesson.id}/edit", lesson_data("999999")),
        (f"/studio/courses/feedback/modules/{module.id}/edit", {"title": "x", "drip_days": "soon"}),
        (f"/studio/courses/feedback/modules/new", {"title": "x", "opens_on": "31/31/2027"}),
    ]
    for url, data in posts:
        assert client.post(url, data=data).status_code == 200, (url, data)
    db.session.expire_all()
    assert lesson.title == "Lesson 1.1"


def _done(learner, lessons):
    from lms.progress.services import mark_lesson_done

    for lesson in lessons:
        mark_lesson_done(learner, lesson)
    db.session.commit()


@pytest.mark.parametrize("removed", ["lesson without progress", "lesson with progress", "module"])
def test_removing_the_last_lessons_a_learner_had_left_finishes_the_course(app, client, login, make_user,
                                                                          removed):  # fmt: skip
    """A learner had done every lesson but the last ones, which the studio then removes: they have finished,
    with their certificate, although no "mark done" of theirs will ever say so."""
    from lms.models import Certificate, Enrolment
    from tests.factories import enrol

    owner = make_user(role="instructor")
    course = make_course(owner, "Feedback", slug="feedback", modules=((5, 10), (7, 8)))
    learner, other, behind = make_user("lena@example.com"), make_user("otto@example.com"), make_user("bo@example.com")
    for person in (learner, other, behind):
        enrol(person, course)
    first, second, third, fourth = lessons_of(course)
    _done(behind, [first])
    login(owner)
    if removed == "module":
        _done(learner, [first, second])
        _done(other, [third])  # someone has progress in it: the module is archived, not deleted
        client.post(f"/studio/courses/feedback/modules/{course.modules[1].id}/delete")
    else:
        _done(learner, [first, second, third])
        if removed == "lesson with progress":
            _done(other, [fourth])  # someone has progress in it: the lesson is archived, not deleted
        client.post(f"/studio/courses/feedback/lessons/{fourth.id}/delete")
    enrolments = {e.user_id: e for e in db.session.scalars(select(Enrolment))}
    db.session.expire_all()
    assert enrolments[learner.id].completed_at is not None
    assert enrolments[behind.id].completed_at is None, "only those who have done every lesson left"
    certificates = db.session.scalars(select(Certificate.user_id)).all()
    assert certificates == [learner.id]

    client.post("/auth/logout")
    login(learner)
    home = client.get("/learn/feedback/").text
    assert "You finished this course" in home and "certificate" in home.lower()
    assert "Feedback" in client.get("/progress/certificates").text


def test_a_finished_course_that_gets_a_new_lesson_still_says_finished_with_its_certificate(client, login,
                                                                                          make_user):  # fmt: skip
    """The dashboard and catalog go by the completed enrolment; the course home and course page used the live
    percentage and so hid the certificate link once a lesson was added. All now agree, and the new lesson is
    offered."""
    from tests.factories import enrol

    owner = make_user(role="instructor")
    course = make_course(owner, "Feedback", slug="feedback", modules=((5, 10),))
    learner = make_user("lena@example.com")
    enrol(learner, course)
    _done(learner, lessons_of(course))
    login(owner)
    client.post(f"/studio/courses/feedback/modules/{course.modules[0].id}/lessons/new",
                data=lesson_data(course.modules[0].id, title="Bonus: feedback by e-mail"))  # fmt: skip
    client.post("/auth/logout")
    login(learner)
    home = client.get("/learn/feedback/").text
    assert "You finished this course." in home and "View your certificate" in home
    assert "Continue: Bonus: feedback by e-mail" in home
    page = client.get("/courses/feedback").text
    assert "You finished this course; lessons added since then are open to you." in page
    assert "67% done" not in page
    dashboard = client.get("/").text  # offered with its new lesson, still finished (389d762)
    assert "You finished this course; 1 new lesson since." in dashboard and "Bonus: feedback by e-mail" in dashboard


def test_an_archived_module_is_named_as_such_where_a_lesson_could_land_in_it(client, owner_course, make_user):
    """A lesson moved into (or restored inside) an archived module stays hidden from learners, while the editor
    listed that module like any other and said "Learners see the change at once" or "restored" (found by
    exploratory testing)."""
    _, course = owner_course
    archived = course.modules[1]
    lesson = lessons_of(course)[0]
    learner = make_user()
    for started in (lesson, archived.lessons[0]):  # a learner started both: deleting them archives them
        db.session.add(LessonProgress(user_id=learner.id, lesson_id=started.id, course_id=course.id))
    db.session.commit()
    client.post(f"/studio/courses/feedback/lessons/{lesson.id}/delete")
    client.post(f"/studio/courses/feedback/modules/{archived.id}/delete")
    assert archived.archived_at is not None and lesson.archived_at is not None
    editor = client.get(f"/studio/courses/feedback/lessons/{lesson.id}/edit").text
    assert f'<option value="{archived.id}">Module 2 (archived, hidden from learners)</option>' in editor
    assert f'<option selected value="{course.modules[0].id}">Module 1</option>' in editor

    client.post(f"/studio/courses/feedback/lessons/{lesson.id}/edit", data=lesson_data(archived.id, title="Moved"))
    response = client.get(f"/studio/courses/feedback/lessons/{lesson.id}/edit").text
    assert "Lesson saved. Its module “Module 2” is archived: restore the module for learners to see it." in response
    restored = client.post(f"/studio/courses/feedback/lessons/{lesson.id}/restore", follow_redirects=True).text
    assert ("Lesson “Moved” restored. Its module “Module 2” is archived: restore the module for learners to "
            "see it.") in restored


def test_a_lesson_or_description_with_an_http_image_is_refused_with_the_text_kept(client, owner_course):
    """The image would vanish from the lesson without a word; the instructor is told which one, and nothing they
    wrote is lost."""
    _, course = owner_course
    lesson = lessons_of(course)[0]
    body = "Here is the chart:\n\n![chart](http://cdn.example/chart.png)"
    response = client.post(f"/studio/courses/feedback/lessons/{lesson.id}/edit",
                           data=lesson_data(course.modules[0].id, body=body))  # fmt: skip
    assert response.status_code == 200
    assert "This image cannot be shown: http://cdn.example/chart.png" in response.text and "Here is the chart:" in response.text
    db.session.expire_all()
    assert "chart" not in lesson.body_md
    client.post(f"/studio/courses/feedback/lessons/{lesson.id}/edit",
                data=lesson_data(course.modules[0].id, body=body.replace("http:", "https:")))  # fmt: skip
    db.session.expire_all()
    assert 'src="https://cdn.example/chart.png"' in lesson.body_html


def test_saving_a_module_whose_opening_date_has_come_says_it_is_open_now(client, owner_course):
    """A date picked by mistake (last year's) opens the module at once: the instructor is told, not left to find out."""
    _, course = owner_course
    module = course.modules[0]
    today = date.today()
    saved = client.post(f"/studio/courses/feedback/modules/{module.id}/edit",
                        data={"title": "Week one", "opens_on": f"{today.year - 1}-03-01"}, follow_redirects=True)  # fmt: skip
    assert f"Its opening date, 01 Mar {today.year - 1}, has come, so learners can open it now." in saved.text
    later = client.post(f"/studio/courses/feedback/modules/{module.id}/edit",
                        data={"title": "Week one", "opens_on": f"{today.year + 1}-03-01"}, follow_redirects=True)  # fmt: skip
    assert "Module saved." in later.text and "has come" not in later.text
    added = client.post("/studio/courses/feedback/modules/new",
                        data={"title": "Bonus", "opens_on": f"{today.year - 1}-12-24"}, follow_redirects=True)  # fmt: skip
    assert "Module “Bonus” added. Its opening date, 24 Dec" in added.text
