"""Pages beyond the learner's hot path (tests/test_query_budget.py) run as many SQL statements for 3 rows of
what they list as for 30: a query per row (a lazy load in a loop or template) shows up here.

Each count starts from an empty session, as a real request does: the tests keep one app context, so objects
loaded by the previous request (or by the test's own set-up) would otherwise hide a lazy load."""

from lms.discussion.events import send_digests
from lms.extensions import db
from lms.models import Notification
from lms.progress.services import issue_certificate
from tests.factories import add_quiz, enrol, lessons_of, make_course


def _statements(client, count_queries, path):
    client.get(path)  # first visits may record things and fill caches
    db.session.remove()
    with count_queries() as counter:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return counter.count


def test_certificates_page_does_not_query_per_certificate(client, login, make_user, count_queries):
    counts = []
    for size in (3, 30):
        instructor = make_user(role="instructor")
        learner = make_user()
        for i in range(size):
            course = make_course(instructor, title=f"Finished {size}-{i}", modules=((5,),))
            enrol(learner, course)
            issue_certificate(learner.id, course.id)
        db.session.commit()
        client.post("/auth/logout")
        login(learner)
        counts.append(_statements(client, count_queries, "/progress/certificates"))
        assert f"Finished {size}-{size - 1}" in client.get("/progress/certificates").get_data(as_text=True)
    assert counts[0] == counts[1], f"{counts} statements for 3 and 30 certificates"


def test_lesson_editor_does_not_query_per_question(client, login, make_user, count_queries):
    counts = []
    for size in (3, 30):
        instructor = make_user(role="instructor")
        course = make_course(instructor, title=f"Quiz {size}", modules=((5, 5),))
        lesson = add_quiz(lessons_of(course)[1], questions=[(f"Question {i}?", [("Yes", True), ("No", False)])
                                                             for i in range(size)])  # fmt: skip
        path = f"/studio/courses/{course.slug}/lessons/{lesson.id}/edit"
        client.post("/auth/logout")
        login(instructor)
        counts.append(_statements(client, count_queries, path))
        assert f"Question {size - 1}?" in client.get(path).get_data(as_text=True)
    assert counts[0] == counts[1], f"{counts} statements for 3 and 30 questions"


def test_course_export_does_not_query_per_lesson_or_question(client, login, make_user, count_queries):
    counts = []
    for size in (3, 30):
        instructor = make_user(role="instructor")
        course = make_course(instructor, title=f"Export {size}", modules=((5,) * size,))
        for lesson in lessons_of(course):
            add_quiz(lesson)
        client.post("/auth/logout")
        login(instructor)
        counts.append(_statements(client, count_queries, f"/studio/courses/{course.slug}/export"))
    assert counts[0] == counts[1], f"{counts} statements for 3 and 30 lessons with a question each"


def test_digests_cost_one_claim_per_person_whatever_their_number_of_notices(app, make_user, count_queries, outbox):
    """The cron job reads every pending notice in one query and names their courses in one more; then each
    person's notices are claimed (one UPDATE) and mailed in their own transaction."""
    instructor = make_user(role="instructor")
    slug = make_course(instructor, title="Digest course").slug
    for people, notices in ((3, 1), (3, 10), (10, 3)):
        for _ in range(people):
            person = make_user(email_preference="daily")
            db.session.add_all(
                Notification(user_id=person.id, kind="reply", message=f"Reply {i} for {person.display_name}",
                             url=f"/courses/{slug}/discussion/threads/{i}")
                for i in range(notices)
            )  # fmt: skip
        db.session.commit()
        mails_before = len(outbox())
        db.session.remove()
        with count_queries() as counter:
            assert send_digests("daily") == people
        assert counter.count == 2 + people, f"{counter.count} statements for {people} people with {notices} each"
        assert len(outbox()) == mails_before + people
