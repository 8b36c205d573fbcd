"""In Chromium: a learner uses "I have 15 minutes", completes lessons (with JavaScript, no reload) and a
knowledge check, finishes the course and opens the certificate link in a fresh browser context.
Screenshots at desktop and phone widths of the dashboard, course home, lesson and certificate."""

import re

import pytest
from playwright.sync_api import expect

from lms.auth.services import create_user
from lms.extensions import db
from lms.progress import services
from tests.conftest import PASSWORD
from tests.factories import add_quiz, enrol, lessons_of, make_course

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
QUESTIONS = (
    ("A client sends a vague brief. What do you do first?",
     [("Ask what success looks like for them", True), ("Send a fixed price right away", False)]),
    ("Which belong in a kick-off call?", [("Goals", True), ("Budget", True), ("Your holiday plans", False)]),
)  # fmt: skip


def build(app):
    with app.app_context():
        instructor = create_user("ivo@example.com", "Ivo Instructor", PASSWORD, role="instructor")
        learner = create_user("lena@example.com", "Lena Learner", PASSWORD)
        db.session.commit()
        course = make_course(instructor, title="Client communication", slug="client-communication",
                             modules=((5, 8), (10,)))  # fmt: skip
        lessons = lessons_of(course)
        course.modules[0].title = "First contact"
        course.modules[1].title = "Kick-off"
        lessons[0].title, lessons[1].title, lessons[2].title = "Reading a brief", "Asking good questions", "The kick-off call"
        add_quiz(lessons[2], pass_mark=100, questions=QUESTIONS)
        enrol(learner, course)
        other = make_course(instructor, title="Giving feedback", slug="giving-feedback", modules=((20, 15),))
        enrol(learner, other)
        services.add_daily_seconds(learner, 35 * 60)
        db.session.commit()
        return course.slug


def log_in(page, base):
    page.goto(base + "/auth/login")
    page.get_by_label("E-mail").fill("lena@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_learner_finishes_a_course_and_shares_the_certificate(live_server, page, browser, screenshot):
    base = live_server.url
    slug = build(live_server.app)
    log_in(page, base)
    expect(page.get_by_role("heading", name="Hi, Lena Learner")).to_be_visible()

    # "I have 15 minutes": 5 + 8 fit, the 10-minute check does not.
    page.get_by_role("button", name="15 minutes").click()
    expect(page.get_by_text("you can do 2 lessons")).to_be_visible()
    screenshot(page, "learning-dashboard-desktop")
    page.get_by_role("link", name="Start: Reading a brief").click()
    expect(page.get_by_role("heading", name="Reading a brief")).to_be_visible()
    screenshot(page, "learning-lesson-desktop")

    # Mark as done with JavaScript: the page updates in place.
    url_before = page.url
    page.wait_for_load_state()  # learn.js has run: clicked earlier, the button posts the plain no-JS form
    page.get_by_role("button", name="Mark as done").click()
    expect(page.get_by_text("You completed this lesson.")).to_be_visible()
    expect(page.locator("[data-done-box] [data-progress-value]")).to_have_text("33% complete")
    assert page.url == url_before
    page.locator("[data-done-result] a").click()
    expect(page.get_by_role("heading", name="Asking good questions")).to_be_visible()
    page.wait_for_load_state()
    page.get_by_role("button", name="Mark as done").click()
    expect(page.get_by_text("You completed this lesson.")).to_be_visible()
    page.locator("[data-done-result] a").click()

    # The knowledge check: a wrong answer first, then a retry that passes and finishes the course.
    expect(page.get_by_role("heading", name="The kick-off call")).to_be_visible()
    expect(page.get_by_role("button", name="Mark as done")).to_have_count(0)
    page.get_by_label("Send a fixed price right away").check()
    page.get_by_label("Goals").check()
    page.get_by_role("button", name="Check my answers").click()
    expect(page.get_by_text("not passed yet")).to_be_visible()
    page.get_by_label("Ask what success looks like for them").check()
    page.get_by_label("Budget").check()
    page.get_by_role("button", name="Submit again").click()
    expect(page.get_by_text("passed. Well done!")).to_be_visible()
    expect(page.get_by_text("Your certificate is ready")).to_be_visible()
    page.set_viewport_size(PHONE)
    screenshot(page, "learning-quiz-phone")
    page.set_viewport_size({"width": 1280, "height": 800})

    page.goto(f"{base}/learn/{slug}/")
    expect(page.get_by_text("You finished this course.")).to_be_visible()
    screenshot(page, "learning-course-home-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "learning-course-home-phone")
    page.set_viewport_size({"width": 1280, "height": 800})

    page.goto(base + "/progress/certificates")
    link = page.locator("input[data-copy-source]").input_value()
    assert re.search(r"/certificates/[\w-]{20,}$", link)

    # Anyone with the link can verify it: a fresh context with no session.
    stranger = browser.new_context()
    verify = stranger.new_page()
    verify.goto(link.replace("http://localhost", base) if link.startswith("http://localhost") else link)
    expect(verify.get_by_text("Verified certificate")).to_be_visible()
    expect(verify.get_by_role("heading", name="Lena Learner")).to_be_visible()
    expect(verify.get_by_text("Client communication")).to_be_visible()
    expect(verify.get_by_text("Ivo Instructor")).to_be_visible()
    screenshot(verify, "learning-certificate-desktop")
    verify.set_viewport_size(PHONE)
    screenshot(verify, "learning-certificate-phone")
    stranger.close()

    # The dashboard now lists the finished course with its certificate; at phone width too.
    page.goto(base + "/")
    expect(page.get_by_role("link", name="Certificate for Client communication")).to_be_visible()
    page.set_viewport_size(PHONE)
    page.get_by_role("button", name="30 minutes").click()
    screenshot(page, "learning-dashboard-phone")


def test_demo_instructor_analytics_and_learner_resume(live_server, page, screenshot):
    from datetime import timedelta

    from sqlalchemy import select

    from lms.database import utcnow
    from lms.demo import courses, enrolments
    from lms.demo import progress as demo_progress
    from lms.models import Course

    base = live_server.url
    with live_server.app.app_context():
        password = live_server.app.config["DEMO_PASSWORD"]
        users = {
            "learner": create_user("learner@example.com", "Lena Learner", password),
            "instructor": create_user("instructor@example.com", "Ivo Instructor", password, role="instructor"),
            "admin": create_user("admin@example.com", "Ada Admin", password, role="admin"),
        }
        courses.seed(users)
        enrolments.seed(users)
        demo_progress.seed(users)
        # a module that opens next week, to see a locked lesson
        course = db.session.scalar(select(Course).where(Course.slug == "client-communication"))
        course.modules[-1].opens_on = utcnow().date() + timedelta(days=7)
        db.session.commit()
        locked_lesson = course.modules[-1].lessons[0].id

    page.goto(base + "/auth/login")
    page.get_by_label("E-mail").fill("instructor@example.com")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.goto(base + "/studio/courses/client-communication/analytics")
    expect(page.get_by_role("heading", name="Where learners stall")).to_be_visible()
    screenshot(page, "learning-analytics-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "learning-analytics-phone")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_role("button", name="Log out").click()

    page.goto(base + "/auth/login")
    page.get_by_label("E-mail").fill("learner@example.com")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    screenshot(page, "learning-demo-dashboard-desktop")
    page.goto(base + "/learn/client-communication/")
    expect(page.get_by_role("link", name=re.compile("^Continue: "))).to_be_visible()
    screenshot(page, "learning-demo-course-home-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "learning-demo-course-home-phone")
    response = page.goto(f"{base}/learn/client-communication/lessons/{locked_lesson}")
    assert response.status == 403
    # The lock's reason gives the date, once ("“…” opens on 06 Dec 2026.").
    expect(page.locator(".lead")).to_have_text(re.compile(r"opens on \d{2} \w{3} \d{4}\.$"))
    expect(page.get_by_text("It opens on")).to_have_count(0)
    screenshot(page, "learning-locked-phone")


def test_a_question_written_over_several_lines_keeps_its_lines(live_server, page):
    """The studio asks for the question in a text area, so scenarios come as paragraphs ("A client writes: …",
    then the question); the lesson page ran them into one line, the quoted message and the question alike."""
    base = live_server.url
    with live_server.app.app_context():
        instructor = create_user("ivo@example.com", "Ivo Instructor", PASSWORD, role="instructor")
        learner = create_user("lena@example.com", "Lena Learner", PASSWORD)
        course = make_course(instructor, title="Client communication", slug="client-communication", modules=((5,),))
        prompt = 'A client writes:\r\n\r\n"Your invoice is 20% over the quote."\r\n\r\nWhich reply is best?'
        add_quiz(lessons_of(course)[0], pass_mark=100, questions=((prompt, [("Explain", True), ("Discount", False)]),))
        enrol(learner, course)
        db.session.commit()
        lesson_id = lessons_of(course)[0].id
    log_in(page, base)
    page.goto(f"{base}/learn/client-communication/lessons/{lesson_id}")
    legend = page.locator(".quiz legend").first.inner_text()
    assert legend.split("\n") == ["1. A client writes:", "", '"Your invoice is 20% over the quote."', "",
                                  "Which reply is best?"]  # fmt: skip
