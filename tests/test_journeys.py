"""Real-browser journeys in Chromium against the live app: a newcomer learner from the home page to a verified
certificate, an instructor from an empty studio to analytics, an admin, the learner's main steps with the
keyboard alone, every main page at phone width, and the learner journey with JavaScript switched off."""

import csv
import io
import re
import struct
import zlib

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.auth.services import create_user
from lms.extensions import db
from lms.mail import read_outbox
from tests.conftest import PASSWORD
from tests.factories import add_quiz, enrol, lessons_of, make_course
from tests.journey_helpers import (  # noqa: F401  (patient_expect is a fixture)
    DEMO_COURSE,
    DESKTOP,
    HEADING_CHECK,
    LANDMARK_CHECK,
    PHONE,
    axe_violations,
    demo_password,
    focus_is_visible,
    log_in,
    patient_expect,
    pages_by_visitor,
    scrolls_sideways,
    seed_demo_pages,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

QUIZ = (
    ("A client sends a vague brief. What do you do first?",
     [("Ask what success looks like for them", True), ("Send a fixed price right away", False)]),
    ("Which belong in a kick-off call?", [("Goals", True), ("Budget", True), ("Your holiday plans", False)]),
)  # fmt: skip
LESSON_TITLES = ("Reading a brief", "Asking good questions", "The kick-off call", "Writing the recap")


def build_learning_catalog(app, *, sam_enrolled=True):
    """Ivo's catalog: a 29-minute course with a free preview and a knowledge check (lesson 3), plus a long
    course the length filter leaves out. Sam is a second learner in the short course."""
    with app.app_context():
        ivo = create_user("ivo@example.com", "Ivo Instructor", PASSWORD, role="instructor")
        sam = create_user("sam@example.com", "Sam Sidebar", PASSWORD)
        db.session.commit()
        course = make_course(ivo, title="Client communication", slug="client-communication", modules=((5, 8), (10, 6)),
                             preview_first=True, skills=("communication",),
                             summary="Status updates and briefs clients actually read.")  # fmt: skip
        for lesson, title in zip(lessons_of(course), LESSON_TITLES):
            lesson.title = title
        lessons_of(course)[0].body_md = "Read the brief twice."
        lessons_of(course)[0].body_html = "<p>Read the brief twice.</p>"
        add_quiz(lessons_of(course)[2], pass_mark=100, questions=QUIZ)
        make_course(ivo, title="Communication for leads", slug="communication-for-leads", modules=((30, 30), (45,)),
                    skills=("communication", "leadership"))  # fmt: skip
        make_course(ivo, title="Pricing basics", slug="pricing-basics", modules=((10,),), skills=("pricing",))
        if sam_enrolled:
            enrol(sam, course)
        db.session.commit()
        ids = [lesson.id for lesson in lessons_of(course)]
        db.session.remove()
    return "client-communication", ids


def pass_quiz(page, submit="Check my answers"):
    page.get_by_label("Ask what success looks like for them").check()
    page.get_by_label("Goals").check()
    page.get_by_label("Budget").check()
    page.get_by_role("button", name=submit).click()


def fail_then_pass_quiz(page):
    """A wrong answer first (the page says so), then a pass on the second try."""
    page.get_by_label("Send a fixed price right away").check()
    page.get_by_label("Goals").check()
    page.get_by_role("button", name="Check my answers").click()
    expect(page.get_by_text("not passed yet")).to_be_visible()
    pass_quiz(page, submit="Submit again")
    expect(page.get_by_text("passed. Well done!")).to_be_visible()


# --- Newcomer learner ----------------------------------------------------------------------------------


def test_newcomer_learner_from_home_page_to_verified_certificate(live_server, page, browser, screenshot):
    base = live_server.url
    slug, _ = build_learning_catalog(live_server.app)
    page.set_viewport_size(DESKTOP)

    # Lands on the home page and signs up through the e-mailed link.
    page.goto(base + "/")
    page.get_by_role("link", name="Create a free account").click()
    page.get_by_label("Display name").fill("Nora Newcomer")
    page.get_by_label("E-mail").fill("nora@example.com")
    page.get_by_label("Password", exact=True).fill("a long passphrase")
    page.get_by_label("Repeat password").fill("a long passphrase")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    [message] = [m for m in read_outbox(live_server.app.config["MAIL_OUTBOX"]) if m["To"] == "nora@example.com"]
    link = re.search(r"(/auth/register/confirm/\S+)", message.get_content()).group(1)
    page.goto(base + link)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_text("Welcome to Sparetime, Nora Newcomer!")).to_be_visible()

    # Searches the catalog, then filters by length: the 105-minute course drops out.
    page.locator("#site-nav").get_by_role("link", name="Courses").click()
    page.get_by_label("Search courses").fill("communication")
    page.get_by_role("button", name="Show courses").click()
    titles = page.locator(".course-card-title")
    expect(titles).to_have_count(2)
    page.get_by_label("Length").select_option(label="Under 1 hour")
    page.get_by_role("button", name="Show courses").click()
    expect(titles).to_have_text(["Client communication"])

    # Reads the free preview, then enrols.
    titles.first.get_by_role("link").click()
    expect(page.get_by_text("Free preview")).to_be_visible()
    page.get_by_role("link", name="Reading a brief").click()
    expect(page.get_by_text("Read the brief twice.")).to_be_visible()
    expect(page.get_by_text("This is a free preview lesson.")).to_be_visible()
    page.go_back()
    page.get_by_role("button", name="Enrol", exact=True).click()
    expect(page.get_by_text("You are enrolled in Client communication")).to_be_visible()

    # "I have 15 minutes": the two short lessons fit.
    page.get_by_role("link", name="Sparetime").first.click()
    page.get_by_role("button", name="15 minutes").click()
    expect(page.get_by_text("you can do 2 lessons")).to_be_visible()
    page.get_by_role("link", name="Start: Reading a brief").click()
    for title in LESSON_TITLES[:2]:
        expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
        page.wait_for_load_state()  # learn.js has run: clicked earlier, the button posts the plain no-JS form
        page.get_by_role("button", name="Mark as done").click()
        expect(page.get_by_text("You completed this lesson.")).to_be_visible()
        page.locator("[data-done-result] a").click()

    # The knowledge check: a wrong answer first, then a pass.
    expect(page.get_by_role("heading", name="The kick-off call", level=1)).to_be_visible()
    fail_then_pass_quiz(page)

    # Posts a question on the board; Sam answers from another browser.
    page.goto(f"{base}/courses/{slug}/discussion/")
    page.get_by_role("link", name="Start a thread").click()
    page.get_by_label("Title").fill("How long should a recap e-mail be?")
    page.get_by_label("Question — looking for an answer").check()
    page.get_by_label("Your post").fill("Mine end up **very** long. Any rule of thumb?")
    page.get_by_role("button", name="Post thread").click()
    expect(page.get_by_role("heading", name="How long should a recap e-mail be?")).to_be_visible()
    thread_url = page.url

    sam_context = browser.new_context()
    sam = sam_context.new_page()
    log_in(sam, base, "sam@example.com", PASSWORD)
    sam.goto(thread_url)
    sam.get_by_label("Your reply").fill("Five lines: decisions, owners, dates, open questions, next call.")
    sam.get_by_role("button", name="Post reply").click()
    expect(sam.get_by_text("Five lines: decisions")).to_be_visible()
    sam_context.close()

    # The reply shows on the bell; the notification leads back to the thread.
    page.goto(base + "/")
    expect(page.locator(".bell .badge")).to_have_text("1")
    page.locator(".bell").click()
    page.get_by_role("button", name=re.compile("Sam Sidebar")).click()
    expect(page.get_by_role("heading", name="How long should a recap e-mail be?")).to_be_visible()
    expect(page.get_by_text("Five lines: decisions")).to_be_visible()

    # Finishes the course from the course home's Continue button.
    page.goto(f"{base}/learn/{slug}/")
    page.get_by_role("link", name=re.compile("Continue: Writing the recap")).click()
    page.wait_for_load_state()  # learn.js has run (see above)
    page.get_by_role("button", name="Mark as done").click()
    expect(page.get_by_text("You finished the course!")).to_be_visible()
    page.goto(base + "/progress/certificates")
    certificate_link = page.locator("input[data-copy-source]").input_value()
    screenshot(page, "journey-certificates")

    # Anyone can verify the certificate: a fresh browser context, no session.
    stranger_context = browser.new_context()
    stranger = stranger_context.new_page()
    stranger.goto(re.sub(r"^https?://[^/]+", base, certificate_link))
    expect(stranger.get_by_text("Verified certificate")).to_be_visible()
    expect(stranger.get_by_role("heading", name="Nora Newcomer")).to_be_visible()
    expect(stranger.get_by_text("Client communication")).to_be_visible()
    stranger_context.close()


# --- Instructor ----------------------------------------------------------------------------------------


def tiny_png(width=48, height=32):
    """A real PNG (a blue-to-amber gradient) built with zlib and struct, no image library needed."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(
        b"\x00" + b"".join(bytes((20 + 200 * x // width, 80, 200 - 150 * x // width)) for x in range(width))
        for _ in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


LESSON_MARKDOWN = """## Three ways to answer

| Request | Reply |
|---|---|
| One more page | Quote it as a change |
| Faster delivery | Trade scope for time |

```text
Subject: Change request #3
Price: 2 days, EUR 1,400
```
"""


def test_instructor_builds_publishes_moderates_and_reads_analytics(live_server, page, browser, tmp_path):
    base = live_server.url
    app = live_server.app
    with app.app_context():
        create_user("ines@example.com", "Ines Instructor", PASSWORD, role="instructor")
        create_user("lars@example.com", "Lars Learner", PASSWORD)
        db.session.commit()
    cover = tmp_path / "cover.png"
    cover.write_bytes(tiny_png())
    page.set_viewport_size(DESKTOP)
    log_in(page, base, "ines@example.com", PASSWORD)

    # A new course that needs approval, with a cover image described for screen readers.
    page.locator("#site-nav").get_by_role("link", name="Studio").click()
    page.get_by_role("link", name="New course").click()
    page.get_by_label("Title", exact=True).fill("Saying no to scope creep")
    page.get_by_label("Summary").fill("Protect your time without losing the client.")
    page.get_by_label("Cover image").set_input_files(str(cover))
    page.get_by_role("button", name="Create draft course").click()
    expect(page.get_by_text("Describe the cover image")).to_be_visible()  # alt text is required
    page.get_by_label("Cover image").set_input_files(str(cover))
    page.get_by_label("Cover description (alt text)").fill("A gradient from blue to amber")
    page.get_by_label("Enrolment", exact=True).select_option("approval")
    page.get_by_role("button", name="Create draft course").click()
    expect(page.get_by_text("is created as a draft")).to_be_visible()

    page.get_by_role("link", name="Add module").click()
    page.get_by_label("Title", exact=True).fill("Spotting scope creep")
    page.get_by_role("button", name="Add module").click()
    page.get_by_role("link", name="Add lesson to Spotting scope creep").click()
    page.get_by_label("Title", exact=True).fill("Replies that hold the line")
    page.get_by_label("Lesson text").fill(LESSON_MARKDOWN)
    page.get_by_role("button", name="Add lesson").click()
    expect(page.get_by_text("Lesson “Replies that hold the line” added")).to_be_visible()

    # An image attached to the lesson and shown in its text with a description.
    page.get_by_label("Attach a file").set_input_files(str(cover))
    page.get_by_role("button", name="Attach file").click()
    image_url = re.search(r"\((/studio/files/[^)]+)\)", page.locator(".studio-files code").inner_text()).group(1)
    picture = f"![Decision tree: quote, trade or decline]({image_url})"
    page.get_by_label("Lesson text").fill(f"{LESSON_MARKDOWN}\n{picture}\n")
    page.get_by_role("button", name="Save lesson").click()

    # A knowledge check.
    page.get_by_role("link", name="Add question").click()
    page.get_by_label("Question").fill("A client asks for one more page. What first?")
    page.get_by_label("Choice 1", exact=True).fill("Ask what it is for and quote it")
    page.get_by_label("Choice 1 is correct").check()
    page.get_by_label("Choice 2", exact=True).fill("Do it for free to be nice")
    page.get_by_role("button", name="Save question").click()
    page.get_by_label("Pass mark (%)").fill("100")
    page.get_by_role("button", name="Save pass mark").click()
    expect(page.get_by_text("Learners now need 100%")).to_be_visible()

    # Preview as a learner: the table, the code block and the described image render.
    page.get_by_role("link", name="Preview as learner").click()
    expect(page.locator(".prose table")).to_contain_text("Trade scope for time")
    expect(page.locator(".prose pre code")).to_contain_text("Subject: Change request #3")
    image = page.get_by_role("img", name="Decision tree: quote, trade or decline")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth") == 48
    assert page.evaluate(LANDMARK_CHECK) == [] and page.evaluate(HEADING_CHECK) == []
    page.get_by_label("Ask what it is for and quote it").check()
    page.get_by_role("button", name="Check answers").click()
    expect(page.get_by_text("You scored 100%")).to_be_visible()

    page.goto(base + "/studio/")
    page.get_by_role("link", name="Saying no to scope creep").first.click()
    page.once("dialog", lambda dialog: dialog.accept())  # publishing asks first: there is no way back to a draft
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("The course is published.")).to_be_visible()

    # Lars asks to join from his own browser; Ines approves him on the roster.
    lars_context = browser.new_context()
    lars = lars_context.new_page()
    log_in(lars, base, "lars@example.com", PASSWORD)
    lars.goto(base + "/courses/saying-no-to-scope-creep")
    expect(lars.get_by_role("img", name="A gradient from blue to amber")).to_be_visible()
    lars.get_by_role("button", name="Request to join").click()
    expect(lars.get_by_text("Your request to join was sent")).to_be_visible()

    page.goto(base + "/courses/saying-no-to-scope-creep/roster")
    page.locator("#section-pending tr", has_text="Lars Learner").get_by_role("button", name="Approve").click()
    expect(page.locator("#section-active")).to_contain_text("Lars Learner")
    expect(page.locator("#section-pending")).not_to_contain_text("Lars Learner")
    # On a phone the roster's buttons are in view, not at the far end of a sideways scroll.
    page.set_viewport_size(PHONE)
    page.reload()
    expect(page.locator("#section-active").get_by_role("link", name="Remove")).to_be_in_viewport()
    assert page.evaluate("[...document.querySelectorAll('.table-wrap')].every(w => w.scrollWidth <= w.clientWidth)")
    page.set_viewport_size(DESKTOP)

    # Lars starts a thread; Ines pins it and locks it with a reason.
    lars.goto(base + "/courses/saying-no-to-scope-creep/discussion/new")
    lars.get_by_label("Title").fill("Is a change request too formal for a small client?")
    lars.get_by_label("Your post").fill("They are a two-person shop.")
    lars.get_by_role("button", name="Post thread").click()
    thread_url = lars.url

    page.goto(thread_url)
    page.get_by_role("button", name="Pin").click()
    expect(page.get_by_role("button", name="Unpin")).to_be_visible()
    page.get_by_role("link", name="Lock").click()
    page.get_by_label("Reason").fill("Answered in lesson 1; see the table.")
    page.get_by_role("button", name="Lock thread").click()
    expect(page.get_by_text("This thread is locked")).to_be_visible()
    lars.goto(base + "/courses/saying-no-to-scope-creep/discussion/")
    row = lars.locator(".thread-row", has_text="Is a change request too formal")
    expect(row.locator(".d-tag-pinned")).to_be_visible()
    expect(row.locator(".d-tag-locked")).to_be_visible()
    lars.goto(thread_url)
    expect(lars.get_by_label("Your reply")).to_have_count(0)
    lars_context.close()

    # Analytics and the CSV download.
    page.goto(base + "/studio/courses/saying-no-to-scope-creep/analytics")
    expect(page.get_by_role("heading", name="Where learners stall")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download learners (CSV)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(open(download.path(), encoding="utf-8-sig").read())))
    assert any("Lars Learner" in cell for row in rows[1:] for cell in row), rows


# --- Admin ---------------------------------------------------------------------------------------------


def test_admin_grants_a_role_deactivates_a_user_and_reads_the_audit_log(live_server, page, browser):
    base = live_server.url
    with live_server.app.app_context():
        create_user("ada@example.com", "Ada Admin", PASSWORD, role="admin")
        create_user("carla@example.com", "Carla Coach", PASSWORD)
        create_user("spam@example.com", "Spam Sender", PASSWORD)
        db.session.commit()
    log_in(page, base, "ada@example.com", PASSWORD)
    page.locator("#site-nav").get_by_role("link", name="Admin", exact=True).click()
    expect(page.get_by_role("heading", name="Users")).to_be_visible()

    page.get_by_label("Role of Carla Coach").select_option("instructor")
    page.locator("tr", has_text="Carla Coach").get_by_role("button", name="Save role").click()
    expect(page.get_by_text("Carla Coach is now instructor.")).to_be_visible()
    questions = []
    page.wait_for_load_state()  # app.js has run: clicked earlier, Deactivate is sent without its question
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.locator("tr", has_text="Spam Sender").get_by_role("button", name="Deactivate").click()
    expect(page.locator("tr", has_text="Spam Sender")).to_contain_text("Active")  # asked, and said no
    assert questions and questions[0].startswith("Deactivate Spam Sender?")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("tr", has_text="Spam Sender").get_by_role("button", name="Deactivate").click()
    expect(page.get_by_text("Spam Sender is deactivated")).to_be_visible()
    expect(page.locator("tr", has_text="Spam Sender")).to_contain_text("Deactivated")

    page.get_by_role("link", name="Audit log").click()
    expect(page.locator("tr", has_text="role.change")).to_contain_text("carla@example.com: learner -> instructor")
    expect(page.locator("tr", has_text="user.deactivate")).to_contain_text("spam@example.com")
    expect(page.locator("tr", has_text="user.deactivate")).to_contain_text("Ada Admin")

    # Carla now has the studio; the deactivated account cannot log in.
    other = browser.new_context()
    carla = other.new_page()
    log_in(carla, base, "carla@example.com", PASSWORD)
    expect(carla.locator("#site-nav").get_by_role("link", name="Studio")).to_be_visible()
    carla.get_by_role("button", name="Log out").click()
    carla.goto(base + "/auth/login")
    carla.get_by_label("E-mail").fill("spam@example.com")
    carla.get_by_label("Password").fill(PASSWORD)
    carla.get_by_role("button", name="Log in").click()
    expect(carla.get_by_role("button", name="Log out")).to_have_count(0)
    other.close()


# --- Keyboard only -------------------------------------------------------------------------------------


def tab_to(page, matches, limit=60):
    """Press Tab until the focused element matches the JS predicate `matches` (el => bool); every stop on
    the way must show a focus indicator."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("el => el !== document.body", page.evaluate_handle("document.activeElement")):
            assert focus_is_visible(page), "no visible focus on " + page.evaluate("document.activeElement.outerHTML")
        if page.evaluate(f"({matches})(document.activeElement)"):
            return
    raise AssertionError(f"Tab never reached {matches}")


def text_is(text):
    return f"el => el.textContent.replace(/\\s+/g, ' ').trim().startsWith({text!r})"


def test_learner_journey_with_the_keyboard_alone(live_server, page):
    base = live_server.url
    slug, _ = build_learning_catalog(live_server.app)
    with live_server.app.app_context():
        from lms.models import Course

        enrol(create_user("kim@example.com", "Kim Keys", PASSWORD),
              db.session.scalar(select(Course).where(Course.slug == slug)))  # fmt: skip
        db.session.remove()
    page.set_viewport_size(DESKTOP)
    page.goto(base + "/auth/login")

    tab_to(page, "el => el.id === 'email'")
    page.keyboard.type("kim@example.com")
    tab_to(page, "el => el.id === 'password'")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Hi, Kim Keys")).to_be_visible()

    # Open the course from the dashboard, then continue to the first lesson.
    tab_to(page, "el => el.tagName === 'A' && el.textContent.trim() === 'Client communication'")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Client communication", level=1)).to_be_visible()
    tab_to(page, text_is("Start: Reading a brief"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Reading a brief", level=1)).to_be_visible()

    # Mark as done with Space, then follow the "next lesson" link.
    page.wait_for_load_state()  # learn.js has run: pressed earlier, the button posts the plain no-JS form
    tab_to(page, text_is("Mark as done"))
    page.keyboard.press("Space")
    expect(page.get_by_text("You completed this lesson.")).to_be_visible()
    tab_to(page, "el => el.closest('[data-done-result]') && el.tagName === 'A'")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Asking good questions", level=1)).to_be_visible()
    page.wait_for_load_state()
    tab_to(page, text_is("Mark as done"))
    page.keyboard.press("Enter")
    tab_to(page, "el => el.closest('[data-done-result]') && el.tagName === 'A'")
    page.keyboard.press("Enter")

    # The quiz: Space ticks the right answers (the first radio, two checkboxes), Enter submits.
    expect(page.get_by_role("heading", name="The kick-off call", level=1)).to_be_visible()
    tab_to(page, "el => el.type === 'radio'")
    page.keyboard.press("Space")
    for label in ("Goals", "Budget"):
        tab_to(page, f"el => el.type === 'checkbox' && el.closest('label').textContent.includes({label!r})")
        page.keyboard.press("Space")
    tab_to(page, text_is("Check my answers"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("passed. Well done!")).to_be_visible()


# --- Phone viewport ------------------------------------------------------------------------------------


def test_every_main_page_fits_a_phone_and_menus_and_forms_work(live_server, browser):
    pages = seed_demo_pages(live_server.app)
    base = live_server.url
    sideways, violations = [], []
    for name, page in pages_by_visitor(browser, base, live_server.app, pages, viewport=PHONE):
        if scrolls_sideways(page):
            sideways.append(f"{name} ({page.evaluate('document.documentElement.scrollWidth')}px)")
        # At this width wide tables scroll in their wrappers, which keyboard users must be able to reach.
        violations += [f"{name}: {line}" for line in axe_violations(page)]
    assert sideways == [], "these pages scroll sideways at 390px: " + ", ".join(sideways)
    assert violations == [], violations

    context = browser.new_context(viewport=PHONE, bypass_csp=True)
    page = context.new_page()
    page.goto(base + "/")
    nav_link = page.locator("#site-nav").get_by_role("link", name="Courses")
    expect(nav_link).to_be_hidden()
    menu = page.get_by_role("button", name="Menu")
    closed_at = menu.bounding_box()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(nav_link).to_be_visible()
    assert menu.bounding_box()["y"] == closed_at["y"], "opening the menu does not move its button"
    logo = page.locator(".site-header .brand")
    assert logo.bounding_box()["y"] >= 5, "the logo's focus ring (a 3px outline 2px out) is not cut off at the top"
    page.keyboard.press("Escape")  # closes it, focus back on the button
    expect(nav_link).to_be_hidden()
    expect(menu).to_be_focused()
    menu.click()
    assert axe_violations(page) == []  # the open menu too
    nav_link.click()
    page.get_by_label("Search courses").fill("client")
    page.get_by_role("button", name="Show courses").click()
    expect(page.locator(".course-card-title").first).to_contain_text("Client")

    # A form on a phone: log in through the menu and post a reply on the board.
    page.get_by_role("button", name="Menu").click()
    page.locator("#site-nav").get_by_role("link", name="Log in").click()
    page.get_by_label("E-mail").fill("learner@example.com")
    page.get_by_label("Password").fill(demo_password(live_server.app))
    page.get_by_role("button", name="Log in").click()
    page.goto(base + pages["thread"][1])
    page.get_by_label("Your reply").fill("Replying from my phone on the train.")
    page.get_by_role("button", name="Post reply").click()
    expect(page.get_by_text("Replying from my phone on the train.")).to_be_visible()
    assert not scrolls_sideways(page)
    context.close()


def test_long_unbroken_words_wrap_instead_of_widening_the_page(live_server, browser):
    """A German course title and a name without spaces, as people really type them: every main page still fits a
    phone, and the learner's dashboard a desktop."""
    from lms.models import Course, Lesson, User

    app = live_server.app
    pages = seed_demo_pages(app)
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == DEMO_COURSE))
        course.title = "Datenschutzgrundverordnungskonformitätsleitfaden für Freiberufler"
        for lesson in db.session.scalars(select(Lesson).where(Lesson.course_id == course.id)):
            lesson.title = f"Auftragsverarbeitungsvereinbarungsverhandlungen {lesson.id}"
        db.session.scalar(select(User).where(User.email == "learner@example.com")).display_name = "x" * 80
        db.session.commit()
    sideways = []
    for viewport in (PHONE, DESKTOP):
        for name, page in pages_by_visitor(browser, live_server.url, app, pages, viewport=viewport):
            if (viewport == PHONE or name == "dashboard") and scrolls_sideways(page):
                sideways.append(f"{name} at {viewport['width']}px")
    assert sideways == [], "these pages scroll sideways: " + ", ".join(sideways)


# --- Without JavaScript --------------------------------------------------------------------------------


def test_learner_journey_without_javascript(live_server, browser):
    base = live_server.url
    slug, lesson_ids = build_learning_catalog(live_server.app)
    with live_server.app.app_context():
        from lms.discussion import services as discussion
        from lms.models import Course, User

        course = db.session.scalar(select(Course).where(Course.slug == slug))
        sam = db.session.scalar(select(User).where(User.email == "sam@example.com"))
        thread = discussion.create_thread(course, sam, title="Favourite brief template?", body="Share yours!")
        db.session.commit()
        thread_id = thread.id
        create_user("nico@example.com", "Nico NoScript", PASSWORD)
        db.session.commit()
        db.session.remove()

    context = browser.new_context(java_script_enabled=False, viewport=DESKTOP)
    page = context.new_page()
    log_in(page, base, "nico@example.com", PASSWORD)
    page.goto(f"{base}/courses/{slug}")
    page.get_by_role("button", name="Enrol", exact=True).click()
    expect(page.get_by_text("You are enrolled in Client communication")).to_be_visible()

    page.goto(f"{base}/learn/{slug}/")
    page.get_by_role("link", name=re.compile("Start: Reading a brief")).click()
    expect(page.get_by_role("heading", name="Reading a brief", level=1)).to_be_visible()
    page.get_by_role("button", name="Mark as done").click()  # a plain form POST and a redirect
    expect(page.get_by_text("“Reading a brief” is done.")).to_be_visible()

    page.goto(f"{base}/learn/{slug}/lessons/{lesson_ids[2]}")
    fail_then_pass_quiz(page)

    page.goto(f"{base}/courses/{slug}/discussion/threads/{thread_id}")
    page.get_by_label("Your reply").fill("Mine is one page: goal, scope, budget, dates.")
    page.get_by_role("button", name="Post reply").click()
    expect(page.get_by_text("Mine is one page: goal, scope, budget, dates.")).to_be_visible()

    page.goto(f"{base}/learn/{slug}/")
    expect(page.get_by_text("2 of 4 lessons done")).to_be_visible()
    # On a phone the menu is simply open: no Menu button that could do nothing without JavaScript.
    page.set_viewport_size(PHONE)
    expect(page.locator("#site-nav").get_by_role("link", name="Courses")).to_be_visible()
    expect(page.locator(".nav-toggle")).to_be_hidden()
    context.close()
