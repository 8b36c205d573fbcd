"""Instructor analytics: access, counts, median, drop-off per lesson, quiz pass rates per question,
learner table, formula-safe CSV, constant query count."""

import csv
import io

import pytest

from lms.database import utcnow
from lms.extensions import db
from lms.progress import services
from lms.progress.analytics import safe_cell
from tests.factories import add_quiz, enrol, lessons_of, make_course


@pytest.fixture
def course_with_learners(make_user):
    instructor = make_user(email="ivo@example.com", role="instructor")
    course = make_course(instructor, title="Client communication", modules=((5, 5), (5, 5)))
    lessons = lessons_of(course)
    add_quiz(lessons[1], pass_mark=100)
    learners = [make_user(name=name) for name in ("Ann", "Ben", "=HYPERLINK(\"x\")", "Dan")]
    for learner in learners:
        enrol(learner, course)
    # Ann finishes, Ben does 2, the formula-named learner does 1, Dan does nothing.
    for learner, count in zip(learners, (4, 2, 1, 0), strict=True):
        for lesson in lessons[:count]:
            services.mark_lesson_done(learner, lesson)
    question = lessons[1].questions[0]
    right, wrong = question.choices[0], question.choices[1]
    services.record_quiz_attempt(learners[0], lessons[1], 100, True, {question.id: {right.id}})
    services.record_quiz_attempt(learners[1], lessons[1], 0, False, {question.id: {wrong.id}})
    services.record_quiz_attempt(learners[1], lessons[1], 100, True, {question.id: {right.id}})
    db.session.commit()
    return instructor, course, learners


def test_analytics_only_for_course_staff_and_admins(client, login, make_user, course_with_learners):
    instructor, course, learners = course_with_learners
    path = f"/studio/courses/{course.slug}/analytics"
    assert client.get(path).status_code == 302
    login(learners[0])
    assert client.get(path).status_code == 403
    assert client.get(path + ".csv").status_code == 403
    client.post("/auth/logout")
    login(make_user(role="instructor"))  # an instructor of another course
    assert client.get(path).status_code == 403
    client.post("/auth/logout")
    login(make_user(role="admin"))
    assert client.get(path).status_code == 200
    assert client.get("/studio/courses/nope/analytics").status_code == 404


def test_analytics_numbers(app, course_with_learners):
    from lms.progress.analytics import course_analytics

    _, course, _ = course_with_learners
    stats = course_analytics(course)
    assert (stats["enrolled"], stats["started"], stats["completed"]) == (4, 3, 1)
    assert stats["median"] == 38  # progress 100, 50, 25, 0 -> median 37.5
    assert [row["share"] for row in stats["dropoff"]] == [75, 50, 25, 25]
    assert [row["completed"] for row in stats["dropoff"]] == [3, 2, 1, 1]
    (quiz,) = stats["quiz"]
    assert (quiz["attempts"], quiz["correct"], quiz["rate"]) == (3, 2, 67)
    assert sum(count for _, count in stats["weekly_completions"]) == 1
    assert [row["percent"] for row in stats["rows"]] and {row["percent"] for row in stats["rows"]} == {100, 50, 25, 0}


def test_analytics_page_renders_charts_with_text_equivalents(client, login, course_with_learners):
    instructor, course, _ = course_with_learners
    login(instructor)
    page = client.get(f"/studio/courses/{course.slug}/analytics").get_data(as_text=True)
    assert "Where learners stall" in page
    assert "<title>1. Lesson 1.1: 75% (3 of 4)</title>" in page
    assert "Data table" in page and "Median progress" in page
    assert "Best first reply?" in page and "67%" in page


def test_analytics_csv_is_formula_safe(client, login, course_with_learners):
    instructor, course, _ = course_with_learners
    login(instructor)
    response = client.get(f"/studio/courses/{course.slug}/analytics.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][0] == "Learner"
    names = {row[0]: row for row in rows[1:]}
    assert "'=HYPERLINK(\"x\")" in names
    assert names["Ann"][4] == "100" and names["Dan"][4] == "0"


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("Ann", "Ann"), (None, ""), (5, "5"),
])  # fmt: skip
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_analytics_query_count_is_constant(client, login, make_user, count_queries):
    def measure(n):
        instructor = make_user(role="instructor")
        course = make_course(instructor, title=f"Course {n}", modules=((5,) * n,))
        add_quiz(lessons_of(course)[0], pass_mark=0)
        for _ in range(n):
            learner = make_user()
            enrol(learner, course)
            services.mark_lesson_done(learner, lessons_of(course)[0])
        db.session.commit()
        client.post("/auth/logout")
        login(instructor)
        with count_queries() as counter:
            assert client.get(f"/studio/courses/{course.slug}/analytics").status_code == 200
        return counter.count

    assert measure(3) == measure(30)


def test_completed_at_is_grouped_by_week(app, course_with_learners):
    from datetime import timedelta

    from lms.models import Enrolment
    from lms.progress.analytics import completions_per_week

    _, course, _ = course_with_learners
    enrolment = db.session.scalars(db.select(Enrolment).where(Enrolment.completed_at.is_(None))).first()
    enrolment.completed_at = utcnow() - timedelta(weeks=2)
    db.session.commit()
    weeks = completions_per_week(course)
    assert len(weeks) == 12 and weeks[-1][1] == 1 and weeks[-3][1] == 1


def test_quiz_pass_rates_follow_the_course_order_and_leave_out_archived_modules(app, course_with_learners):
    """The pass rates list the knowledge checks as the drop-off chart lists lessons: in course order after the
    modules are reordered, and without the lessons of an archived module (found by exploratory testing)."""
    from lms.progress.analytics import course_analytics

    _, course, _ = course_with_learners
    first, second = course.modules
    add_quiz(second.lessons[1], pass_mark=50, questions=(("Later check?", [("Yes", True), ("No", False)]),))
    first.position, second.position = 1, 0  # the second module moves up
    db.session.commit()
    assert [row["lesson"].id for row in course_analytics(course)["quiz"]] == [second.lessons[1].id, first.lessons[1].id]

    second.archived_at = utcnow()
    db.session.commit()
    stats = course_analytics(course)
    assert [row["lesson"].id for row in stats["quiz"]] == [first.lessons[1].id]
    assert second.lessons[1].id not in [row["lesson"].id for row in stats["dropoff"]]


def test_completions_per_week_follow_the_viewers_time_zone(app, make_user, course_with_learners):
    """A completion early on a Monday in Sydney is in that week for a Sydney instructor, though it is still
    Sunday in UTC; a Sunday-evening one in New York stays in its week there, though UTC is on Monday."""
    from datetime import datetime

    from lms.models import Enrolment
    from lms.progress.analytics import completions_per_week

    _, course, _ = course_with_learners
    now = datetime(2026, 11, 25, 12, 0)  # a Wednesday, UTC
    ann, ben = db.session.scalars(db.select(Enrolment).where(Enrolment.course_id == course.id)
                                  .order_by(Enrolment.id)).all()[:2]  # fmt: skip
    ann.completed_at = datetime(2026, 11, 22, 22, 30)  # Sun 22:30 UTC = Mon 23 Nov 09:30 in Sydney
    ben.completed_at = datetime(2026, 11, 23, 2, 0)  # Mon 02:00 UTC = Sun 22 Nov 21:00 in New York
    db.session.commit()
    sydney = make_user(role="instructor", timezone="Australia/Sydney")
    new_york = make_user(role="instructor", timezone="America/New_York")

    def weeks(viewer):
        return {monday.isoformat(): count for monday, count in completions_per_week(course, viewer, now) if count}

    assert weeks(sydney) == {"2026-11-23": 2}
    assert weeks(new_york) == {"2026-11-16": 2}
    assert weeks(None) == {"2026-11-16": 1, "2026-11-23": 1}  # UTC
    assert [monday.isoformat() for monday, _ in completions_per_week(course, sydney, now)][-1] == "2026-11-23"


def test_completions_per_week_count_the_learners_the_completed_figure_counts(app, course_with_learners):
    """Ann finished and left: she is no longer among the enrolled or the completed, nor in the weekly chart."""
    from lms.enrolment.services import withdraw
    from lms.progress.analytics import course_analytics

    _, course, learners = course_with_learners
    stats = course_analytics(course)
    assert stats["completed"] == sum(count for _, count in stats["weekly_completions"]) == 1
    withdraw(course, learners[0])
    db.session.commit()
    stats = course_analytics(course)
    assert (stats["enrolled"], stats["completed"]) == (3, 0)
    assert sum(count for _, count in stats["weekly_completions"]) == 0
