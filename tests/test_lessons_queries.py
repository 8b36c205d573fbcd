"""Course home and lesson page run the same number of SQL queries for 5 and 50 lessons, and whatever
the number of other courses the learner takes."""

from lms.extensions import db
from lms.progress import services
from tests.factories import add_quiz, enrol, lessons_of, make_course


def _course_with(instructor, lessons, title):
    per_module = 5
    modules = tuple((5,) * per_module for _ in range(lessons // per_module))
    course = make_course(instructor, title=title, modules=modules)
    add_quiz(lessons_of(course)[1])
    return course


def _measure(client, login, make_user, count_queries, lessons, other_courses, path_of):
    instructor = make_user(role="instructor")
    learner = make_user()
    course = _course_with(instructor, lessons, f"Course {lessons}-{other_courses}")
    enrol(learner, course)
    for i in range(other_courses):
        enrol(learner, make_course(instructor, title=f"Other {lessons}-{other_courses}-{i}"))
    for lesson in lessons_of(course)[:3]:
        services.mark_lesson_done(learner, lesson)
    db.session.commit()
    client.post("/auth/logout")
    login(learner)
    path = path_of(course)
    client.get(path)  # warm-up (first open writes the progress row)
    with count_queries() as counter:
        response = client.get(path)
    assert response.status_code == 200
    return counter.count


def test_course_home_query_count_is_constant(client, login, make_user, count_queries):
    path_of = lambda course: f"/learn/{course.slug}/"  # noqa: E731
    small = _measure(client, login, make_user, count_queries, 5, 0, path_of)
    large = _measure(client, login, make_user, count_queries, 50, 20, path_of)
    assert small == large


def test_lesson_page_query_count_is_constant(client, login, make_user, count_queries):
    def quiz_lesson(course):
        return f"/learn/{course.slug}/lessons/{lessons_of(course)[1].id}"

    small = _measure(client, login, make_user, count_queries, 5, 0, quiz_lesson)
    large = _measure(client, login, make_user, count_queries, 50, 20, quiz_lesson)
    assert small == large
