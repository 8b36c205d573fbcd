"""In Chromium: two learners submit practice responses, review each other anonymously and read their
feedback; then the people page and wishes at phone width. Screenshots under test-artifacts/screenshots/."""

import pytest
from playwright.sync_api import expect

from lms.auth.services import create_user
from lms.extensions import db
from lms.peers import services
from tests.conftest import PASSWORD
from tests.factories import enrol, lessons_of, make_course
from tests.peers_helpers import CRITERIA

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def practice(live_server):
    with live_server.app.app_context():
        owner = create_user("owner@example.com", "Olga Owner", PASSWORD, role="instructor")
        ann = create_user("ann@example.com", "Ann Archer", PASSWORD)
        ben = create_user("ben@example.com", "Ben Baker", PASSWORD)
        ann.profile_visible = ben.profile_visible = True
        ann.headline, ann.skills = "Freelance designer", "client communication, figma"
        ben.headline, ben.skills = "Backend freelancer", "negotiation, go"
        db.session.commit()
        course = make_course(owner, "Client communication")
        enrol(ann, course)
        enrol(ben, course)
        lesson = lessons_of(course)[0]
        services.save_assignment(lesson, "Write the e-mail you would send a client who asks for **30% off**.", 1,
                                 CRITERIA)  # fmt: skip
        db.session.commit()
        return {"url": f"{live_server.url}/courses/{course.slug}/lessons/{lesson.id}/practice",
                "people": f"{live_server.url}/courses/{course.slug}/people", "base": live_server.url}  # fmt: skip


def _login(page, base, email):
    page.goto(base + "/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def _logout(page):
    page.get_by_role("button", name="Log out").click()


def _submit(page, url, text):
    page.goto(url)
    page.get_by_role("textbox", name="Your response").fill(text)
    page.get_by_role("button", name="Submit response").click()
    expect(page.get_by_text("Your response is submitted")).to_be_visible()


def _review(page, comment):
    page.get_by_role("button", name="Review a peer's response").click()
    expect(page.get_by_role("heading", name="Review a peer's response")).to_be_visible()
    page.get_by_role("button", name="Send review").click()
    expect(page.get_by_text("Choose a score for this criterion.").first).to_be_visible()
    page.get_by_label("4 — Crisp and specific").check()
    page.get_by_label("3 — Friendly").check()
    page.get_by_role("textbox", name="Written feedback").fill(comment)
    return page


def test_two_learners_review_each_other_and_see_feedback(page, practice, screenshot):
    base, url = practice["base"], practice["url"]
    _login(page, base, "ann@example.com")
    _submit(page, url, "Hi Sam,\n\nMy rate stays, but we can **reduce the scope**: onboarding moves to Q3.\n\nAnn")
    page.get_by_role("button", name="Review a peer's response").click()
    expect(page.get_by_text("No response needs a review right now")).to_be_visible()
    screenshot(page, "peers-practice-waiting")
    _logout(page)

    _login(page, base, "ben@example.com")
    _submit(page, url, "Hello Ana,\n\nI can't lower my rate, but a fixed price for the API part works.\n\nBen")
    _review(page, "Warm and clear, and a real option. Maybe name a date for the decision.")
    expect(page.get_by_text("Hi Sam")).to_be_visible()
    assert "Ann Archer" not in page.content(), "the author is anonymous to the reviewer"
    screenshot(page, "peers-write-review")
    page.get_by_role("button", name="Send review").click()
    expect(page.get_by_text("Review sent")).to_be_visible()
    expect(page.get_by_text("No reviews yet")).to_be_visible()
    _logout(page)

    _login(page, base, "ann@example.com")
    page.goto(url)
    expect(page.get_by_text("review 1 more peer to unlock the feedback")).to_be_visible()
    assert "Maybe name a date" not in page.content(), "give one, get one: locked until Ann reviews"
    screenshot(page, "peers-feedback-locked")
    _review(page, "Good that the rate stays firm. Say what exactly is in the fixed price.")
    page.get_by_role("button", name="Send review").click()
    expect(page.get_by_role("heading", name="Peer reviewer 1")).to_be_visible()
    expect(page.get_by_text("Maybe name a date for the decision")).to_be_visible()
    assert "Ben Baker" not in page.content()
    page.get_by_role("button", name="Mark as helpful").click()
    expect(page.get_by_role("button", name="Helpful ✓")).to_be_visible()
    page.get_by_label("Reply to Peer reviewer 1").fill("Thank you, good idea!")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Author's reply")).to_be_visible()
    expect(page.get_by_text("Done: this lesson can be marked complete.")).to_be_visible()
    screenshot(page, "peers-feedback-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "peers-feedback-phone")
    page.set_viewport_size({"width": 1280, "height": 800})
    _logout(page)

    _login(page, base, "ben@example.com")
    page.goto(url)
    expect(page.get_by_text("Say what exactly is in the fixed price")).to_be_visible()
    # Ann's reply answers Ben's review: he reads it under the reviews he gave, never as feedback on his own work.
    feedback = page.locator("section", has=page.get_by_role("heading", name="Feedback on your response"))
    given = page.locator("section", has=page.get_by_role("heading", name="Reviews you gave"))
    expect(feedback.get_by_text("Thank you, good idea!")).to_have_count(0)
    expect(given.get_by_text("Thank you, good idea!")).to_be_visible()
    expect(given.get_by_text("Marked helpful")).to_be_visible()
    assert "Ann Archer" not in page.content(), "the author stays anonymous to the reviewer"


def test_people_and_wishes_pages(page, practice, screenshot):
    base = practice["base"]
    _login(page, base, "ann@example.com")
    page.goto(practice["people"])
    expect(page.get_by_role("heading", name="Ben Baker")).to_be_visible()
    page.get_by_role("button", name="Connect with Ben Baker").click()
    expect(page.get_by_text("Connection request sent to Ben Baker")).to_be_visible()
    screenshot(page, "peers-people-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "peers-people-phone")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(base + "/wishes/")
    page.get_by_label("Course you need").fill("Handling scope creep with agencies")
    page.get_by_label("Why you need it").fill("Agencies keep adding small changes after sign-off.")
    page.get_by_role("button", name="Propose").click()
    expect(page.get_by_text("Your wish is on the list")).to_be_visible()
    screenshot(page, "peers-wishes-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "peers-wishes-phone")
