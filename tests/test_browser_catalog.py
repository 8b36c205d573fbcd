"""In Chromium: a new learner searches the catalog, filters by length, reads a free preview, logs in,
enrols with a key and sees the course as enrolled; screenshots at desktop and phone widths."""

import re

import pytest
from playwright.sync_api import expect
from werkzeug.security import generate_password_hash

from lms.auth.services import create_user
from lms.extensions import db
from tests.conftest import PASSWORD
from tests.factories import make_course

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def build_catalog(app):
    with app.app_context():
        teacher = create_user("ivo@example.com", "Ivo Instructor", PASSWORD, role="instructor")
        teacher.headline = "Coach for independent IT professionals"
        db.session.commit()
        negotiation = make_course(
            teacher, "Negotiating rates and scope", slug="negotiating-rates-and-scope", policy="key",
            skills=("negotiation", "pricing"), level="intermediate", modules=((8, 12), (15,)), preview_first=True,
            summary="Name your rate, hold it, and keep scope creep in check.",
            description="Practical scripts for the money conversation.",
        )  # fmt: skip
        negotiation.enrolment_key_hash = generate_password_hash("spare-time-2026")
        negotiation.outcomes = "Quote a rate without apologising\nTrade scope instead of discounting"
        db.session.commit()
        make_course(teacher, "Client communication", slug="client-communication", skills=("communication",),
                    modules=((5, 10, 10),), summary="Status updates clients actually read.")  # fmt: skip
        make_course(teacher, "Giving and receiving feedback", slug="giving-and-receiving-feedback",
                    skills=("feedback",), modules=((30, 30), (30, 30)),
                    summary="Feedback that lands, both ways.")  # fmt: skip
        make_course(teacher, "Leading without a title", slug="leading-without-a-title", policy="approval",
                    skills=("leadership",), level="advanced", modules=((45, 45), (60, 60)),
                    summary="Influence the team you are only contracted to.")  # fmt: skip
        make_course(teacher, "Lasting client relationships", slug="lasting-client-relationships", capacity=25,
                    skills=("communication", "sales"), modules=((20, 20),),
                    summary="Repeat work from the clients you already have.")  # fmt: skip
        create_user("nina@example.com", "Nina New", PASSWORD)
        db.session.commit()
        return "preview" if "lessons.lesson" in app.view_functions else "no-lessons"


def test_learner_finds_previews_and_enrols_with_key(live_server, page, screenshot):
    lessons_state = build_catalog(live_server.app)
    base = live_server.url
    page.set_viewport_size(DESKTOP)
    page.goto(base + "/courses/")
    expect(page.get_by_role("heading", name="Courses you can finish this week")).to_be_visible()
    screenshot(page, "catalog-desktop")

    page.get_by_label("Search courses").fill('"Negotiat')
    page.get_by_role("button", name="Show courses").click()
    cards = page.locator(".course-card-title")
    expect(cards.first).to_have_text("Negotiating rates and scope")
    expect(page.get_by_label("Sort by")).to_have_value("")  # best match while searching
    screenshot(page, "catalog-search-desktop")

    page.get_by_role("link", name="Clear filters").first.click()
    page.get_by_role("link", name="Under 1 hour").click()
    expect(page).to_have_url(re.compile(r"max_minutes=60"))
    titles = cards.all_text_contents()
    assert "Negotiating rates and scope" in titles and "Giving and receiving feedback" not in titles
    assert titles[0] == "Client communication"  # shortest first

    page.get_by_role("link", name="Negotiating rates and scope").click()
    expect(page.get_by_role("heading", name="Negotiating rates and scope", level=1)).to_be_visible()
    expect(page.get_by_text("Trade scope instead of discounting")).to_be_visible()
    expect(page.get_by_text("Free preview")).to_be_visible()
    screenshot(page, "course-page-anonymous")
    if lessons_state == "preview":
        page.get_by_role("link", name="Lesson 1.1").click()
        expect(page.get_by_text("Lesson 1.1 text.")).to_be_visible()
        page.go_back()

    page.get_by_role("link", name="Log in to enrol").click()
    page.get_by_label("E-mail").fill("nina@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(base + "/courses/negotiating-rates-and-scope")

    page.get_by_label("Enrolment key").fill("wrong-key")
    page.get_by_role("button", name="Enrol with key").click()
    expect(page.get_by_text("That key is not right for this course")).to_be_visible()
    assert page.get_by_label("Enrolment key").get_attribute("aria-invalid") == "true"
    screenshot(page, "course-page-wrong-key")
    page.get_by_label("Enrolment key").fill("spare-time-2026")
    page.get_by_role("button", name="Enrol with key").click()
    expect(page.get_by_text("You are enrolled in Negotiating rates and scope")).to_be_visible()

    page.goto(base + "/courses/")
    card = page.locator(".course-card", has_text="Negotiating rates and scope")
    expect(card.locator(".course-status")).to_have_text("Enrolled")
    screenshot(page, "catalog-enrolled-desktop")

    page.set_viewport_size(PHONE)
    page.goto(base + "/courses/")
    expect(page.get_by_role("heading", name="Courses", exact=True)).to_be_visible()
    no_overflow = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert no_overflow, "the catalog scrolls sideways on a phone"
    screenshot(page, "catalog-phone")
    page.goto(base + "/courses/negotiating-rates-and-scope")
    screenshot(page, "course-page-phone")
