"""The benchmark's hot pages within their SQL budget (<= 8 statements for a returning learner), and the same
count whatever the size of the course: regressions show up here without timing anything."""

import pytest

from tests.factories import enrol, lessons_of, make_course

BUDGET = 8


@pytest.fixture
def learner_in_course(make_user, login):
    def build(lessons):
        owner = make_user(role="instructor")
        learner = make_user()
        course = make_course(owner, title=f"Course {lessons}", modules=((3,) * lessons,))
        enrol(learner, course)
        login(learner)
        return course, lessons_of(course)

    return build


def _count(client, count_queries, method, path):
    client.open(path, method=method, headers={"Accept": "application/json"})  # first visit may record things
    with count_queries() as counter:
        response = client.open(path, method=method, headers={"Accept": "application/json"})
    assert response.status_code in (200, 302), (path, response.status_code)
    return counter.count


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/courses/"),
        ("GET", "/courses/{slug}"),
        ("GET", "/learn/{slug}/"),
        ("GET", "/learn/{slug}/lessons/{lesson}"),
        ("GET", "/"),
        ("GET", "/courses/{slug}/discussion/"),
        ("POST", "/learn/{slug}/lessons/{lesson}/done"),
    ],
)
def test_hot_pages_stay_within_budget_at_any_size(client, count_queries, learner_in_course, method, path):
    counts = []
    for size in (5, 50):
        course, lessons = learner_in_course(size)
        counts.append(_count(client, count_queries, method, path.format(slug=course.slug, lesson=lessons[2].id)))
        client.post("/auth/logout")
    assert counts[0] == counts[1], f"{path}: {counts} statements for 5 and 50 lessons"
    assert counts[1] <= BUDGET, f"{path}: {counts[1]} statements, budget {BUDGET}"


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/learn/{slug}/lessons/{lesson}"), ("POST", "/learn/{slug}/lessons/{lesson}/done")],
)
def test_first_visits_with_their_writes_stay_within_budget(client, count_queries, learner_in_course, method, path):
    """A learner's first open of a lesson records it (progress upsert, resume pointer) and a first "done"
    completes it: still within budget on a warm server (the course's syllabus already in memory)."""
    course, lessons = learner_in_course(50)
    client.get(f"/learn/{course.slug}/")  # warms this process's syllabus; the lesson is not opened yet
    with count_queries() as counter:
        response = client.open(path.format(slug=course.slug, lesson=lessons[2].id), method=method,
                               headers={"Accept": "application/json"})  # fmt: skip
    assert response.status_code == 200
    writes = [s for s in counter.statements if s.lstrip().upper().startswith(("INSERT", "UPDATE"))]
    assert writes, "the first visit records progress"
    assert counter.count <= BUDGET, f"{path}: {counter.count} statements, budget {BUDGET}"
