"""The learner's dashboard on "/": "I have N minutes" planner, weekly goal, courses in progress and
completed, upcoming openings; landing page for visitors; constant query count."""

from datetime import date, timedelta

import pytest

from lms.database import utcnow
from lms.extensions import db
from lms.progress import services
from lms.progress.dashboard import plan_lessons
from lms.lessons.services import course_outline
from lms.studio.structure import add_lesson
from tests.factories import enrol, lessons_of, make_course


@pytest.fixture
def instructor(make_user):
    return make_user(role="instructor")


@pytest.fixture
def learner(make_user):
    return make_user(name="Lena Learner")


def test_visitors_get_the_landing_page(client):
    page = client.get("/").get_data(as_text=True)
    assert "Soft skills for freelancers" in page
    assert "How much time do you have?" not in page


def test_logged_in_home_is_the_dashboard(client, login, instructor, learner):
    course = make_course(instructor, title="Client communication", modules=((5, 10),))
    enrol(learner, course)
    login(learner)
    page = client.get("/").get_data(as_text=True)
    assert "Hi, Lena Learner" in page
    assert "How much time do you have?" in page
    assert "Client communication" in page and "Start<span" in page  # nothing opened yet: "Start", as course home
    assert "0% complete" in page
    assert "This week" in page and "Minutes learned per week" in page


@pytest.mark.parametrize(
    "budget, expected",
    [
        (5, ["A 1.1"]),  # 5 fits; the next (10) does not and B starts with 20
        (15, ["A 1.1", "A 1.2"]),  # 5 + 10
        (30, ["A 1.1", "A 1.2", "A 1.3"]),  # 5 + 10 + 15; B's 20 no longer fits
        (60, ["A 1.1", "A 1.2", "A 1.3", "A 1.4", "B 1.1"]),  # 33 + 20; B's next 15 would make 68
    ],
)
def test_planner_picks_what_fits_in_course_order(app, instructor, learner, budget, expected):
    a = make_course(instructor, title="A", modules=((5, 10, 15, 3),))
    b = make_course(instructor, title="B", modules=((20, 15),))
    courses = []
    for course in (a, b):
        enrol(learner, course)
        courses.append((course, course_outline(learner, course)))
    plan = plan_lessons(courses, budget)
    titles = [f"{course.title} {state.lesson.title.split()[1]}" for course, state in plan.picks]
    assert titles == expected
    assert plan.total <= budget


def test_planner_skips_done_and_locked_lessons_and_offers_the_quickest_when_nothing_fits(app, instructor, learner):
    course = make_course(instructor, modules=((5, 20), (5,)))
    course.modules[1].opens_on = utcnow().date() + timedelta(days=5)
    db.session.commit()
    enrol(learner, course)
    first = lessons_of(course)[0]
    services.mark_lesson_done(learner, first)
    db.session.commit()
    plan = plan_lessons([(course, course_outline(learner, course))], 15)
    assert plan.picks == []
    assert plan.quickest[1].lesson.title == "Lesson 1.2"


def test_dashboard_planner_buttons_and_start(client, login, instructor, learner):
    course = make_course(instructor, title="Client communication", modules=((5, 10, 30),))
    enrol(learner, course)
    login(learner)
    page = client.get("/?minutes=15").get_data(as_text=True)
    assert "In <strong>15 minutes</strong> you can do 2 lessons" in page
    first = lessons_of(course)[0]
    assert f'href="/learn/{course.slug}/lessons/{first.id}">Start: Lesson 1.1' in page
    assert 'aria-pressed="true">15' in page
    # an odd value is ignored rather than failing
    assert client.get("/?minutes=7").status_code == 200
    assert client.get("/?minutes=abc").status_code == 200


def test_dashboard_lists_completed_courses_with_certificates_and_upcoming(client, login, instructor, learner):
    done = make_course(instructor, title="Feedback basics", modules=((5,),))
    later = make_course(instructor, title="Leadership", modules=((5,), (5,)))
    later.modules[1].title = "Leading clients"
    later.modules[1].opens_on = utcnow().date() + timedelta(days=4)
    db.session.commit()
    enrol(learner, done)
    enrol(learner, later)
    result = services.mark_lesson_done(learner, lessons_of(done)[0])
    db.session.commit()
    login(learner)
    page = client.get("/").get_data(as_text=True)
    assert "Completed" in page and f"/certificates/{result.certificate.code}" in page
    assert "Opening soon" in page and "Leading clients" in page
    soon = later.modules[1].opens_on
    this_year = soon.year == utcnow().year  # four days from now may be next year
    assert f"{soon:%a %d %b}</time>" in page if this_year else f"{soon:%a %d %b %Y}</time>" in page
    later.modules[1].opens_on = next_year = date(soon.year + 1, 2, 3)
    db.session.commit()
    assert f"{next_year:%a %d %b %Y}</time>" in client.get("/").text  # ...another year's says which


def test_continue_goes_to_the_lesson_the_learner_left_off_at(client, login, instructor, learner):
    course = make_course(instructor, title="Client communication", modules=((5, 10, 15),))
    enrolment = enrol(learner, course)
    lessons = lessons_of(course)
    enrolment.last_lesson_id = lessons[2].id  # opened the third lesson last, none of them done
    db.session.commit()
    login(learner)
    page = client.get("/").get_data(as_text=True)
    assert f'href="/learn/{course.slug}/lessons/{lessons[2].id}">Continue' in page
    assert "Lesson 1.3 · 15 min" in page


def test_drip_openings_count_from_the_learners_enrolment(client, login, instructor, learner):
    course = make_course(instructor, title="Leadership", modules=((5,), (5,)))
    course.modules[1].title = "Leading clients"
    course.modules[1].drip_days = 7
    db.session.commit()
    enrolment = enrol(learner, course)
    enrolment.enrolled_at = utcnow() - timedelta(days=2)
    enrolment.last_activity_at = utcnow() - timedelta(days=30)  # not the date the module counts from
    db.session.commit()
    login(learner)
    page = client.get("/").get_data(as_text=True)
    opens = (enrolment.enrolled_at + timedelta(days=7)).date()
    assert f'<time datetime="{opens.isoformat()}">{opens.strftime("%a %d %b")}</time></strong>: Leading clients' in page


def test_dashboard_shows_weekly_minutes(client, login, learner):
    services.add_daily_seconds(learner, 25 * 60)
    learner.weekly_goal_minutes = 100
    db.session.commit()
    login(learner)
    page = client.get("/").get_data(as_text=True)
    assert "25 of 100 minutes this week (25%)" in page
    assert "75 min</strong> to go" in page


def test_dashboard_query_count_is_constant_in_enrolments(client, login, make_user, count_queries):
    instructor = make_user(role="instructor")

    def measure(n):
        learner = make_user()
        for i in range(n):
            course = make_course(instructor, title=f"Course {n}-{i}", modules=((5, 10), (15,)))
            enrol(learner, course)
            services.mark_lesson_done(learner, lessons_of(course)[0])
        services.add_daily_seconds(learner, 600)
        db.session.commit()
        client.post("/auth/logout")
        login(learner)
        client.get("/?minutes=30")  # warm-up
        with count_queries() as counter:
            response = client.get("/?minutes=30")
        assert response.status_code == 200
        return counter.count

    assert measure(1) == measure(20)


def test_requests_to_join_and_waitlist_places_are_listed(client, login, instructor, learner, make_user):
    """A learner who asked to join or joined a waitlist found nothing about it on the dashboard; a request that
    no longer stands (the course stopped asking for approval) is left out, as the course page offers "Enrol"."""
    asked = make_course(instructor, title="Leading teams", policy="approval")
    full = make_course(instructor, title="Pricing", capacity=1)
    reopened = make_course(instructor, title="Saying no", policy="approval")
    enrol(make_user(), full)
    enrol(learner, asked, status="pending")
    enrol(learner, full, status="waitlisted")
    enrol(learner, reopened, status="pending")
    reopened.enrolment_policy = "open"
    db.session.commit()
    login(learner)
    page = client.get("/").get_data(as_text=True)
    waiting = page[page.index('id="waiting-heading"'):]
    assert f'href="/courses/{asked.slug}">Leading teams</a>' in waiting and "Request sent" in waiting
    assert f'href="/courses/{full.slug}">Pricing</a>' in waiting and "On the waitlist since" in waiting
    assert "Saying no" not in page
    assert "You are not taking a course right now (your requests to join are below)." in page


def test_a_finished_course_with_new_lessons_is_listed_to_continue(client, login, instructor, learner):
    """The dashboard listed a finished course only under "Completed" after the studio added a lesson, with no
    way on to it and nothing for the planner; it now offers the new lesson, keeping the certificate link."""
    course = make_course(instructor, title="Feedback basics", modules=((5,),))
    enrol(learner, course)
    result = services.mark_lesson_done(learner, lessons_of(course)[0])
    add_lesson(course.modules[0], title="Feedback by e-mail", minutes_authored=10)
    db.session.commit()
    new = lessons_of(course)[-1]
    login(learner)
    page = client.get("/?minutes=15").get_data(as_text=True)
    courses = page[page.index('id="courses-heading"'):]
    assert "You finished this course; 1 new lesson since." in courses
    assert f"/certificates/{result.certificate.code}" in courses
    assert f'href="/learn/{course.slug}/lessons/{new.id}">Continue' in courses
    assert f'href="/learn/{course.slug}/lessons/{new.id}">Start: Feedback by e-mail' in page, "the planner has it"
    assert 'id="completed-heading"' not in page
