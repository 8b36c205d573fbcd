"""Who may use the studio: owner, co-instructor, other instructors, learners, admins, anonymous visitors."""

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.models import AuditEntry, Course, CourseStaff, Lesson, Module
from tests.factories import enrol, lessons_of, make_course


@pytest.fixture
def setup(make_user):
    owner = make_user("owner@example.com", "Olga Owner", role="instructor")
    course = make_course(owner, "Client calls", slug="client-calls", modules=((5, 10), (7,)), status="draft")
    return owner, course


def studio_urls(course):
    module = course.modules[0]
    lesson = lessons_of(course)[0]
    base = f"/studio/courses/{course.slug}"
    return [
        f"{base}/", f"{base}/settings", f"{base}/staff", f"{base}/export", f"{base}/preview",
        f"{base}/preview/lessons/{lesson.id}", f"{base}/modules/new", f"{base}/modules/{module.id}/edit",
        f"{base}/modules/{module.id}/delete", f"{base}/modules/{module.id}/lessons/new",
        f"{base}/lessons/{lesson.id}/edit", f"{base}/lessons/{lesson.id}/delete",
        f"{base}/lessons/{lesson.id}/questions/new",
    ]  # fmt: skip


def studio_posts(course):
    module = course.modules[0]
    lesson = lessons_of(course)[0]
    base = f"/studio/courses/{course.slug}"
    return [
        f"{base}/settings", f"{base}/status", f"{base}/staff", f"{base}/reorder", f"{base}/modules/new",
        f"{base}/modules/{module.id}/move", f"{base}/modules/{module.id}/delete", f"{base}/modules/{module.id}/restore",
        f"{base}/lessons/{lesson.id}/move", f"{base}/lessons/{lesson.id}/delete", f"{base}/lessons/{lesson.id}/edit",
        f"{base}/lessons/{lesson.id}/pass-mark", f"{base}/lessons/{lesson.id}/attachments",
        f"{base}/lessons/{lesson.id}/questions/new", f"{base}/modules/{module.id}/lessons/new",
        f"{base}/preview/lessons/{lesson.id}",
    ]  # fmt: skip


def test_owner_sees_every_studio_page(client, login, setup):
    owner, course = setup
    login(owner)
    for url in studio_urls(course):
        assert client.get(url).status_code == 200, url


def test_co_instructor_can_edit_but_not_manage_staff(client, login, make_user, setup):
    owner, course = setup
    helper = make_user("helper@example.com", "Hank Helper")  # a learner account can co-teach
    login(helper)
    assert 'href="/studio/"' not in client.get("/").get_data(as_text=True), "no Studio link for a learner"
    db.session.add(CourseStaff(course_id=course.id, user_id=helper.id, role="instructor"))
    db.session.commit()
    assert 'href="/studio/"' in client.get("/").get_data(as_text=True), "the header leads a co-instructor there"
    for url in studio_urls(course):
        assert client.get(url).status_code == 200, url
    assert "Client calls" in client.get("/studio/").get_data(as_text=True)
    page = client.get(f"/studio/courses/{course.slug}/staff").get_data(as_text=True)
    assert "Add a co-instructor" not in page
    assert client.post(f"/studio/courses/{course.slug}/staff", data={"email": "x@example.com"}).status_code == 403
    assert client.post(f"/studio/courses/{course.slug}/staff/{owner.id}/remove").status_code == 403
    assert client.get("/studio/courses/new").status_code == 403


@pytest.mark.parametrize("role", ["instructor", "learner"])
def test_other_users_get_403_on_every_page_and_action(client, login, make_user, setup, role):
    _, course = setup
    login(make_user(role=role))
    for url in studio_urls(course):
        assert client.get(url).status_code == 403, url
    for url in studio_posts(course):
        assert client.post(url, data={"direction": "up", "status": "published", "order": "[]"}).status_code == 403, url


def test_learner_without_courses_cannot_open_the_studio(client, login, make_user):
    login(make_user(role="learner"))
    assert client.get("/studio/").status_code == 403
    assert client.get("/studio/courses/new").status_code == 403
    assert client.post("/studio/courses/new", data={"title": "Sneaky"}).status_code == 403
    assert client.post("/studio/import").status_code == 403


def test_anonymous_visitors_are_sent_to_login(client, setup):
    _, course = setup
    for url in ["/studio/", "/studio/courses/new", *studio_urls(course)]:
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.location, url
    assert "/auth/login" in client.post(f"/studio/courses/{course.slug}/status").location


def test_admin_sees_all_courses(client, login, make_user, setup):
    _, course = setup
    login(make_user(role="admin"))
    assert "Client calls" in client.get("/studio/").get_data(as_text=True)
    for url in studio_urls(course):
        assert client.get(url).status_code == 200, url


def test_ids_of_another_course_are_not_reachable(client, login, make_user, setup):
    owner, course = setup
    other = make_course(make_user(role="instructor"), "Other", slug="other")
    login(owner)
    foreign_lesson = lessons_of(other)[0]
    foreign_module = other.modules[0]
    base = f"/studio/courses/{course.slug}"
    assert client.get(f"{base}/lessons/{foreign_lesson.id}/edit").status_code == 404
    assert client.get(f"{base}/modules/{foreign_module.id}/edit").status_code == 404
    assert client.get(f"{base}/preview/lessons/{foreign_lesson.id}").status_code == 404
    assert client.post(f"{base}/lessons/{foreign_lesson.id}/delete").status_code == 404
    assert client.post(f"{base}/modules/{foreign_module.id}/move", data={"direction": "up"}).status_code == 404


def test_owner_adds_and_removes_a_co_instructor_with_audit(client, login, make_user, setup):
    owner, course = setup
    colleague = make_user("colleague@example.com", "Cora Colleague")
    login(owner)
    response = client.post(f"/studio/courses/{course.slug}/staff", data={"email": "nobody@example.com"})
    assert "No account uses that e-mail" in response.get_data(as_text=True)
    response = client.post(f"/studio/courses/{course.slug}/staff", data={"email": "Colleague@Example.com"})
    assert response.status_code == 302
    assert db.session.get(CourseStaff, (course.id, colleague.id)).role == "instructor"
    assert colleague.role == "learner"  # co-teaching does not change the account's role
    client.post(f"/studio/courses/{course.slug}/staff/{colleague.id}/remove")
    assert db.session.get(CourseStaff, (course.id, colleague.id)) is None
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["course.staff_add", "course.staff_remove"]
    client.post(f"/studio/courses/{course.slug}/staff/{owner.id}/remove")
    assert db.session.get(CourseStaff, (course.id, owner.id)) is not None


def test_a_learner_of_the_course_is_not_made_its_co_instructor(client, login, make_user, setup):
    """They would hold a seat and count among the learners in analytics and the roster."""
    owner, course = setup
    lena = make_user("lena@example.com", "Lena Learner")
    enrol(lena, course)
    login(owner)
    response = client.post(f"/studio/courses/{course.slug}/staff", data={"email": "lena@example.com"})
    assert "Lena Learner takes this course as a learner." in response.get_data(as_text=True)
    assert db.session.get(CourseStaff, (course.id, lena.id)) is None


def test_a_removed_co_instructor_loses_the_join_request_notices_of_that_course(client, login, make_user, setup):
    from lms.enrolment import services as enrolment_services
    from lms.models import Notification

    owner, course = setup
    course.enrolment_policy, course.status = "approval", "published"
    colleague = make_user("colleague@example.com", "Cora Colleague")
    db.session.add(CourseStaff(course_id=course.id, user_id=colleague.id, role="instructor"))
    db.session.commit()
    enrolment_services.enrol_learner(course, make_user("ann@example.com", "Ann Asking"))
    db.session.commit()
    kinds = lambda user: db.session.scalars(select(Notification.kind).where(Notification.user_id == user.id)).all()  # noqa: E731
    assert kinds(colleague) == ["enrolment_request"] and kinds(owner) == ["enrolment_request"]
    login(owner)
    client.post(f"/studio/courses/{course.slug}/staff/{colleague.id}/remove")
    assert kinds(colleague) == [], "it led to a roster they can no longer open"
    assert kinds(owner) == ["enrolment_request"]


def _lessons_in(course_count, lessons_per_module, make_user):
    owner = make_user(role="instructor")
    for n in range(course_count):
        make_course(owner, f"Course {n}", slug=f"course-{n}", modules=((5,) * lessons_per_module,) * 5)
    return owner


@pytest.mark.parametrize("path", ["/studio/", "/studio/courses/course-0/", "/studio/courses/course-0/preview"])
def test_query_count_does_not_grow_with_data(client, login, make_user, count_queries, path):
    owner = _lessons_in(1, 1, make_user)
    login(owner)
    with count_queries() as small:
        assert client.get(path).status_code == 200
    for n in range(1, 10):
        make_course(owner, f"Course x{n}", slug=f"course-x{n}")
    course = db.session.scalar(select(Course).where(Course.slug == "course-0"))
    for module in course.modules:
        for position in range(1, 10):
            db.session.add(Lesson(course_id=course.id, module_id=module.id, position=position, title=f"L{position}",
                                  minutes=3))  # fmt: skip
    db.session.add(Module(course_id=course.id, position=9, title="Extra"))
    db.session.commit()
    with count_queries() as large:
        assert client.get(path).status_code == 200
    assert large.count == small.count
