"""The catalog: cards, full-text search, filters, sorting, pagination, the course page and query counts."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from lms.database import utcnow
from lms.extensions import db
from lms.models import CourseSkill, LessonProgress
from lms.progress.services import mark_lesson_done
from lms.search import query_tokens
from lms.studio.services import recompute_course_totals
from lms.studio.structure import add_lesson
from tests.factories import enrol, lessons_of, make_course


@pytest.fixture
def owner(make_user):
    return make_user(email="ivo@example.com", name="Ivo Instructor", role="instructor",
                     headline="Coach for freelancers")  # fmt: skip


def titles_in(html):
    """Course titles of the catalog cards, in page order."""
    import re

    return re.findall(r'<h2 class="course-card-title"><a href="[^"]+">([^<]+)</a>', html)


@pytest.fixture
def five_courses(owner):
    """A small catalog where only one course is about negotiation, though others mention it in passing."""
    return [
        make_course(owner, "Negotiating rates and scope", slug="negotiation", skills=("negotiation", "pricing"),
                    summary="Hold your rate without losing the client.", modules=((10, 15), (20,)),
                    level="intermediate",
                    description="Anchoring, trade-offs and saying no to scope creep."),
        make_course(owner, "Client communication", slug="client-communication", skills=("communication",),
                    summary="Clear updates, fewer surprises.", modules=((5, 5),),
                    description="Status updates clients read. Sometimes a negotiation follows."),
        make_course(owner, "Giving and receiving feedback", slug="feedback", skills=("feedback",),
                    modules=((30, 30), (30, 30), (30,)), description="Feedback that lands."),
        make_course(owner, "Leading without a title", slug="leading", skills=("leadership",), level="advanced",
                    modules=((45, 45), (60,)), description="Influence in a team you are not part of."),
        make_course(owner, "Lasting client relationships", slug="relationships", skills=("communication", "sales"),
                    modules=((20,),), description="Repeat work from the clients you already have."),
    ]  # fmt: skip


def test_catalog_cards_show_what_a_learner_needs(client, five_courses):
    response = client.get("/courses/")
    assert response.status_code == 200
    html = response.text
    assert "Negotiating rates and scope" in html and "Hold your rate without losing the client." in html
    assert "45 min" in html  # the negotiation course: 10 + 15 + 20 minutes
    assert "3 lessons" in html and "by Ivo Instructor" in html and "0 enrolled" in html
    assert "Intermediate" in html and "pricing" in html
    assert "Courses you can finish this week" in html


def test_search_ranks_the_negotiation_course_first(client, five_courses):
    html = client.get("/courses/?q=negotiat").text
    found = titles_in(html)
    assert found[0] == "Negotiating rates and scope"
    assert "Client communication" in found  # it mentions negotiation in its description
    assert "Giving and receiving feedback" not in found


@pytest.mark.parametrize("query", ['"neg(otiat', "NEGOTIAT!!", "negotiat*) OR (", "-negotiat", "neg:otiat'; --"])
def test_search_survives_punctuation_and_case(client, five_courses, query):
    response = client.get("/courses/", query_string={"q": query})
    assert response.status_code == 200
    if query_tokens(query) == ["negotiat"]:
        assert titles_in(response.text)[0] == "Negotiating rates and scope"


@pytest.mark.parametrize("query", ["😀", "?!", "  ---  "])
def test_a_search_with_nothing_to_look_for_says_so_instead_of_claiming_matches(client, five_courses, query):
    """Only emoji or punctuation: the catalog is not filtered, and said "5 courses match your search"."""
    html = client.get("/courses/", query_string={"q": query}).text
    assert "5 courses" in html and "match your search" not in html
    assert "has no letters or numbers to search for" in html


def test_search_covers_skills_and_follows_skill_edits(client, five_courses):
    assert titles_in(client.get("/courses/?q=sales").text) == ["Lasting client relationships"]
    relationships = five_courses[4]
    relationships.skills.append(CourseSkill(name="upselling"))
    db.session.commit()
    assert titles_in(client.get("/courses/?q=upsell").text) == ["Lasting client relationships"]
    relationships.title = "Keeping clients for years"
    db.session.commit()
    assert titles_in(client.get("/courses/?q=keeping years").text) == ["Keeping clients for years"]
    relationships.outcomes = "Run a quarterly check-in call\nSpot churn early"
    db.session.commit()
    assert titles_in(client.get("/courses/?q=churn").text) == ["Keeping clients for years"]


def test_search_only_lists_published_courses(client, owner, five_courses):
    make_course(owner, "Negotiation masterclass draft", slug="draft-neg", status="draft")
    assert "Negotiation masterclass draft" not in client.get("/courses/?q=negotiation").text


def test_filters_by_skill_level_and_length(client, five_courses):
    assert titles_in(client.get("/courses/?skill=communication").text) == [
        "Lasting client relationships", "Client communication"]  # fmt: skip
    assert titles_in(client.get("/courses/?level=advanced").text) == ["Leading without a title"]
    short = titles_in(client.get("/courses/?max_minutes=60&sort=shortest").text)
    assert short == ["Client communication", "Lasting client relationships", "Negotiating rates and scope"]
    page = client.get("/courses/").text
    for skill in ("communication", "feedback", "leadership", "negotiation", "pricing", "sales"):
        assert f'<option value="{skill}">' in page


def test_sorts_popular_and_shortest(client, make_user, five_courses):
    feedback = five_courses[2]
    enrol(make_user(), feedback)
    enrol(make_user(), feedback)
    enrol(make_user(), five_courses[3])
    assert titles_in(client.get("/courses/?sort=popular").text)[:2] == [
        "Giving and receiving feedback", "Leading without a title"]  # fmt: skip
    assert titles_in(client.get("/courses/?sort=shortest").text)[0] == "Client communication"


def test_each_filter_value_gets_its_own_results(client, five_courses):
    """The catalog's statements are built once per kind of query: the values must be bound, never kept."""
    assert titles_in(client.get("/courses/?skill=leadership").text) == ["Leading without a title"]
    assert titles_in(client.get("/courses/?skill=pricing").text) == ["Negotiating rates and scope"]
    assert titles_in(client.get("/courses/?level=advanced").text) == ["Leading without a title"]
    assert "Leading without a title" not in titles_in(client.get("/courses/?level=intro").text)
    assert titles_in(client.get("/courses/?max_minutes=60&sort=shortest").text)[0] == "Client communication"
    assert "Leading without a title" not in titles_in(client.get("/courses/?max_minutes=30").text)
    everything = "/courses/?q={}&skill=communication&max_minutes=600&sort={}"
    assert sorted(titles_in(client.get(everything.format("client", "relevance")).text)) == [
        "Client communication", "Lasting client relationships"]  # fmt: skip
    assert titles_in(client.get(everything.format("lasting", "relevance")).text) == ["Lasting client relationships"]
    assert titles_in(client.get(everything.format("client", "popular")).text) == [
        "Client communication", "Lasting client relationships"]  # by title when equally popular


def test_nonsense_arguments_are_ignored(client, five_courses):
    response = client.get("/courses/?level=expert&max_minutes=soon&sort=random&page=-3&skill=")
    assert response.status_code == 200
    assert len(titles_in(response.text)) == 5


def test_empty_result_explains_and_offers_clearing(client, five_courses):
    html = client.get("/courses/?q=kubernetes&level=advanced").text
    assert "No courses found" in html
    assert "the search “kubernetes”" in html and "advanced level" in html
    assert 'href="/courses/">Clear filters</a>' in html


def test_catalog_is_paginated(client, owner):
    for number in range(14):
        make_course(owner, f"Course {number:02d}", modules=((5,),))
    first = client.get("/courses/").text
    assert len(titles_in(first)) == 12 and "Page 1 of 2" in first
    second = client.get("/courses/?page=2").text
    assert len(titles_in(second)) == 2 and "14 courses" in first and "14 courses" in second
    past_the_end = client.get("/courses/?page=3")
    assert past_the_end.status_code == 200 and titles_in(past_the_end.text) == []
    assert "14 courses" in past_the_end.text and "There is no page 3" in past_the_end.text
    assert "No courses found" not in past_the_end.text
    assert 'href="/courses/?page=2">Go to the last page</a>' in past_the_end.text
    filtered_past_the_end = client.get("/courses/?q=course&sort=shortest&page=9").text
    assert "There is no page 9" in filtered_past_the_end and "14 courses fit on 2 pages" in filtered_past_the_end
    assert 'href="/courses/?q=course&amp;sort=shortest&amp;page=2">Go to the last page</a>' in filtered_past_the_end
    assert "1 course match" in client.get("/courses/?q=Course+07").text
    assert "0 courses match" in client.get("/courses/?q=kubernetes&page=2").text


def test_learner_sees_enrolled_progress_and_pending(client, login, make_user, owner, five_courses):
    learner = make_user(email="lea@example.com")
    negotiation, communication, feedback = five_courses[:3]
    enrol(learner, negotiation)
    enrol(learner, communication)
    feedback.enrolment_policy = "approval"  # a request to join stands only while the course asks for approval
    enrol(learner, feedback, status="pending")
    first = lessons_of(negotiation)[0]
    db.session.add(
        LessonProgress(user_id=learner.id, lesson_id=first.id, course_id=negotiation.id, completed_at=utcnow())
    )
    db.session.commit()
    login(learner)
    html = client.get("/courses/").text
    assert "In progress 33%" in html
    assert "Enrolled" in html and "Pending approval" in html
    assert "Completed" not in html
    for lesson in lessons_of(communication):
        mark_lesson_done(learner, lesson)
    db.session.commit()
    html = client.get("/courses/").text
    assert "Completed" in html and "In progress 100%" not in html and "In progress 33%" in html
    assert "new lessons" not in html
    # A lesson added to the finished course: the card says so, as the dashboard offers it again.
    assert len(lessons_of(communication)) == 2
    add_lesson(communication.modules[0], title="Bonus: the follow-up call", body_md="Call them.")
    recompute_course_totals(communication)
    db.session.commit()
    html = client.get("/courses/").text
    assert "Completed · new lessons, 67% done" in html  # 2 of its 3 lessons


def _catalog_queries(client, count_queries):
    with count_queries() as counter:
        assert client.get("/courses/?sort=newest").status_code == 200
    return counter.count


def test_catalog_query_count_does_not_grow_with_courses(client, login, make_user, owner, count_queries):
    learner = make_user(email="lea@example.com")
    courses = [make_course(owner, f"Course {n}", modules=((5, 5),), skills=(f"skill{n}", "common")) for n in range(5)]
    for course in courses[:3]:
        enrol(learner, course)
    login(learner)
    few = _catalog_queries(client, count_queries)
    courses += [make_course(owner, f"Course {n}", modules=((5, 5),), skills=(f"skill{n}", "common"))
                for n in range(5, 50)]  # fmt: skip
    for course in courses[-12:]:
        enrol(learner, course)
    many = _catalog_queries(client, count_queries)
    assert few == many


def test_course_page_shows_syllabus_instructor_and_outcomes(client, owner):
    course = make_course(owner, "Feedback", modules=((5, 10), (15,)), preview_first=True,
                         description="**Bold** advice.")  # fmt: skip
    course.outcomes = "Ask for feedback early\nGive feedback that lands"
    course.modules[1].drip_days = 7
    db.session.commit()
    html = client.get("/courses/feedback").text
    assert "<strong>Bold</strong> advice." in html
    assert "Give feedback that lands" in html
    assert "Lesson 1.1" in html and "Lesson 2.1" in html and "15 min" in html
    assert "Opens 7 days after you enrol." in html
    assert "Free preview" in html
    assert "Ivo Instructor" in html and "Coach for freelancers" in html
    assert f'href="/auth/people/{owner.id}"' in html


def test_course_page_gives_an_enrolled_learner_their_own_drip_dates(client, login, make_user, owner):
    """Visitors read "Opens 7 days after you enrol"; a learner who enrolled already gets the date, as on the
    course home, in their own time zone."""
    course = make_course(owner, "Feedback", modules=((5,), (15,)))
    course.modules[1].drip_days = 7
    learner = make_user(timezone="Pacific/Auckland")
    enrolment = enrol(learner, course)
    enrolled = datetime.now(ZoneInfo("Pacific/Auckland")).replace(hour=9, minute=0, tzinfo=None)  # today, 09:00 there
    enrolment.enrolled_at = enrolled.replace(tzinfo=ZoneInfo("Pacific/Auckland")).astimezone(UTC).replace(tzinfo=None)
    db.session.commit()
    assert "Opens 7 days after you enrol." in client.get("/courses/feedback").text
    login(learner)
    html = client.get("/courses/feedback").text
    assert f"Opens for you on {enrolled + timedelta(days=7):%d %b %Y}." in html and "after you enrol" not in html


def test_course_page_says_a_module_whose_day_has_come_is_open(client, login, make_user, owner):
    """A date in the past read "Opens on 01 Mar" (or "Opens for you on ...") long after the module opened, as if
    it were still to come. The day is the viewer's own: a learner in Auckland is already a day ahead of UTC."""
    course = make_course(owner, "Feedback", modules=((5,), (5,), (5,)))
    course.modules[1].opens_on = date(2026, 3, 1)
    course.modules[2].drip_days = 3
    learner = make_user(timezone="Pacific/Auckland")
    enrolment = enrol(learner, course)
    enrolment.enrolled_at = datetime(2026, 3, 10, 20, 0)  # 11 Mar, 09:00 in Auckland
    db.session.commit()
    html = client.get("/courses/feedback").text
    assert "Open since 01 Mar 2026." in html and "Opens on 01 Mar 2026" not in html
    assert "Opens 3 days after you enrol." in html
    login(learner)
    html = client.get("/courses/feedback").text
    assert "Open since 01 Mar 2026." in html and "Open since 14 Mar 2026." in html
    assert "Opens for you" not in html

    today_in_auckland = datetime.now(ZoneInfo("Pacific/Auckland")).date()
    course.modules[1].opens_on = today_in_auckland  # already today there, maybe still yesterday in UTC
    course.modules[2].opens_on = today_in_auckland + timedelta(days=1)
    course.modules[2].drip_days = None
    db.session.commit()
    html = client.get("/courses/feedback").text
    assert f"Open since {today_in_auckland:%d %b %Y}." in html
    assert f"Opens on {today_in_auckland + timedelta(days=1):%d %b %Y}." in html


def test_course_page_fixed_date_and_prerequisite(client, owner):
    course = make_course(owner, "Leading", modules=((5,), (5,)))
    course.modules[1].opens_on = date(2099, 12, 3)
    course.modules[1].requires_previous = True
    db.session.commit()
    html = client.get("/courses/leading").text
    assert "Opens on 03 Dec 2099." in html and "Finish the previous module first." in html  # as course home writes dates


def test_preview_lesson_is_linked_when_lessons_exist(app, client, owner):
    course = make_course(owner, "Feedback", preview_first=True)
    html = client.get("/courses/feedback").text
    if "lessons.lesson" in app.view_functions:
        preview = lessons_of(course)[0]
        assert f'href="/learn/feedback/lessons/{preview.id}"' in html
    else:
        assert "Free preview" in html


def test_course_page_query_count_constant_in_syllabus_size(client, login, make_user, owner, count_queries):
    learner = make_user(email="lea@example.com")
    small = make_course(owner, "Small", modules=((5,),))
    big = make_course(owner, "Big", modules=tuple((5,) * 6 for _ in range(8)))
    enrol(learner, small)
    enrol(learner, big)
    login(learner)
    counts = []
    for course in (small, big):
        with count_queries() as counter:
            assert client.get(f"/courses/{course.slug}").status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]


def test_unknown_course_is_404(client):
    assert client.get("/courses/no-such-course").status_code == 404


def test_skill_filter_lists_skills_of_published_courses_only(client, owner, five_courses):
    make_course(owner, "Secret", slug="secret", status="draft", skills=("secret-skill",))
    assert "secret-skill" not in client.get("/courses/").text
    assert db.session.scalar(select(CourseSkill.name).where(CourseSkill.name == "secret-skill")) == "secret-skill"


def test_week_hint_uses_the_learners_goal(client, login, make_user, five_courses):
    learner = make_user(email="lea@example.com", weekly_goal_minutes=90)
    login(learner)
    html = client.get("/courses/").text
    assert "Your weekly goal is 1 h 30 min" in html
    assert "max_minutes=90" in html
    assert set(titles_in(client.get("/courses/?max_minutes=90").text)) == {
        "Lasting client relationships", "Negotiating rates and scope", "Client communication"}  # fmt: skip


def test_enrolment_window_shown_on_course_page(client, owner):
    course = make_course(owner, "Windowed")
    course.enrol_closes_at = utcnow() + timedelta(days=3)
    db.session.commit()
    html = client.get("/courses/windowed").text
    assert f"Enrolment closes on {course.enrol_closes_at.strftime('%d %b %Y')}" in html


def test_search_on_the_demo_catalog(client, make_user):
    from lms.demo import courses as demo_courses

    users = {"learner": make_user(), "instructor": make_user(role="instructor"), "admin": make_user(role="admin")}
    demo_courses.seed(users)
    db.session.commit()
    assert titles_in(client.get("/courses/?q=negotiat").text)[0] == "Negotiating rates and scope"
    assert titles_in(client.get("/courses/?q=Feedback!").text)[0] == "Giving and receiving feedback"
    assert "Saying no to clients" not in client.get("/courses/?q=saying").text  # a draft
    # The search box's own example: only the Negotiating course's outcomes ("what you will be able to do") say it.
    assert titles_in(client.get("/courses/?q=scope+creep").text) == ["Negotiating rates and scope"]
