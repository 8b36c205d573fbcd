"""In Chromium: an instructor builds a course (two modules, three lessons, one quiz), previews and publishes it."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.extensions import db
from tests.conftest import PASSWORD
from tests.journey_helpers import patient_expect  # noqa: F401 (fixture)

# Other test workers share the two cores: a form's round trip can take longer than Playwright's 5 s default.
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def make_instructor(app):
    from lms.auth.services import create_user

    with app.app_context():
        create_user("ines@example.com", "Ines Instructor", PASSWORD, role="instructor")
        db.session.commit()


def log_in_as_ines(page, base):
    page.goto(base + "/auth/login")
    page.get_by_label("E-mail").fill("ines@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def instructor_with_a_course(app):
    """Ines and her published course "Saying no" (slug saying-no): (its first lesson's id, that lesson's title)."""
    from lms.models import User
    from tests.factories import lessons_of, make_course

    make_instructor(app)
    with app.app_context():
        ines = db.session.scalar(select(User).where(User.email == "ines@example.com"))
        lesson = lessons_of(make_course(ines, title="Saying no", slug="saying-no"))[0]
        db.session.commit()
        return lesson.id, lesson.title


def add_lesson(page, module_title, title, body):
    page.get_by_role("link", name=f"Add lesson to {module_title}").click()
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Lesson text").fill(body)
    page.get_by_role("button", name="Add lesson").click()
    expect(page.get_by_text(f"Lesson “{title}” added")).to_be_visible()
    page.get_by_role("link", name="Back to the outline").click()


def test_instructor_builds_previews_and_publishes(live_server, page, screenshot):
    base = live_server.url
    make_instructor(live_server.app)
    page.set_viewport_size(DESKTOP)
    log_in_as_ines(page, base)

    page.get_by_role("link", name="Studio").click()
    page.get_by_role("link", name="New course").click()
    page.get_by_label("Title", exact=True).fill("Saying no to scope creep")
    page.get_by_label("Summary").fill("Protect your time without losing the client.")
    page.get_by_label("Description",
        exact=True).fill("Scope creep costs freelancers **hours** every week.\n\n- Spot it\n- Name it\n- Price it")
    page.get_by_label("Outcomes").fill("Spot scope creep early\nOffer a change request")
    page.get_by_label("Skills").fill("negotiation, Client communication")
    page.get_by_role("button", name="Create draft course").click()
    expect(page.get_by_text("is created as a draft")).to_be_visible()

    for title in ("Spotting scope creep", "Pricing the change"):
        page.get_by_role("link", name="Add module").click()
        page.get_by_label("Title", exact=True).fill(title)
        if title == "Pricing the change":
            page.get_by_label("Opens this many days after enrolment").fill("3")
        page.get_by_role("button", name="Add module").click()
    expect(page.get_by_text("Opens 3 days after enrolment")).to_be_visible()

    add_lesson(page, "Spotting scope creep", "The three signs",
        "## Watch for\n\n1. *Just one more* requests\n2. Vague specs\n\n"
        "| Sign | Reply |\n|---|---|\n| More | Quote it |")
    add_lesson(page, "Spotting scope creep", "Naming it kindly", "Say what you see, then ask a question.")
    add_lesson(page, "Pricing the change", "The change request", "Put every change in writing with a price and a date.")

    page.get_by_role("link", name="The change request", exact=True).click()
    page.get_by_role("link", name="Add question").click()
    page.get_by_label("Question").fill("A client asks for one more page. What first?")
    page.get_by_label("Choice 1", exact=True).fill("Ask what it is for and quote it")
    page.get_by_label("Choice 1 is correct").check()
    page.get_by_label("Feedback for choice 1").fill("Yes: understand, then price.")
    page.get_by_label("Choice 2", exact=True).fill("Do it for free to be nice")
    page.get_by_label("Feedback for choice 2").fill("That teaches the client scope is free.")
    page.get_by_role("button", name="Save question").click()
    page.get_by_label("Pass mark (%)").fill("100")
    page.get_by_role("button", name="Save pass mark").click()
    expect(page.get_by_text("Learners now need 100%")).to_be_visible()
    screenshot(page, "studio-lesson-editor-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "studio-lesson-editor-phone")
    page.set_viewport_size(DESKTOP)

    page.get_by_role("link", name="Saying no to scope creep", exact=True).click()
    # No-JS move buttons: put "Naming it kindly" first.
    page.get_by_role("button", name="Move lesson Naming it kindly up").click()
    lessons = page.locator(".studio-lessons").first.locator(".studio-lesson-title a")
    expect(lessons).to_have_text(["Naming it kindly", "The three signs"])
    screenshot(page, "studio-editor-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "studio-editor-phone")
    page.set_viewport_size(DESKTOP)

    page.get_by_role("link", name="Preview as learner").click()
    expect(page.get_by_text("Preview", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Saying no to scope creep")).to_be_visible()
    screenshot(page, "studio-preview-course-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "studio-preview-course-phone")
    page.set_viewport_size(DESKTOP)
    page.get_by_role("link", name="The three signs", exact=True).click()
    expect(page.locator(".prose table")).to_be_visible()
    page.get_by_role("link", name="The change request →").click()
    page.get_by_label("Do it for free to be nice").check()
    page.get_by_role("button", name="Check answers").click()
    expect(page.get_by_text("You scored 0%")).to_be_visible()
    expect(page.get_by_text("That teaches the client scope is free.")).to_be_visible()
    screenshot(page, "studio-preview-lesson-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "studio-preview-lesson-phone")
    page.set_viewport_size(DESKTOP)

    page.get_by_role("link", name="Back to the studio").click()
    page.wait_for_load_state()  # app.js has run: clicked earlier, Publish is sent without its question
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))  # there is no way back
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("The course is published.")).to_be_visible()
    assert asked and "cannot become a draft again" in asked[0]

    with live_server.app.app_context():
        from lms.models import Course

        course = db.session.scalar(select(Course))
        assert course.status == "published" and course.lesson_count == 3
        assert [[lesson.title for lesson in m.lessons] for m in course.modules] == [
            ["Naming it kindly", "The three signs"], ["The change request"]]
        assert course.skill_names == ["client communication", "negotiation"]
        db.session.remove()


def test_a_file_over_the_upload_limit_is_stopped_in_the_browser_and_keeps_the_typed_lesson(live_server, page):
    """The server refuses an oversized request before reading the form (413), which would lose the lesson text
    just typed: the browser stops it at the file field instead, and nothing is sent."""
    app = live_server.app
    lesson_id, _ = instructor_with_a_course(app)
    app.config["MAX_CONTENT_LENGTH"] = 4096
    base = live_server.url
    log_in_as_ines(page, base)
    edit_url = f"{base}/studio/courses/saying-no/lessons/{lesson_id}/edit"
    page.goto(edit_url)
    expect(page.get_by_text("MP4 or WebM. Up to 4 KB.")).to_be_visible()
    typed = "Say no to the task, yes to the person: three sentences that keep the client."
    page.get_by_label("Lesson text").fill(typed)
    video = page.get_by_label("Upload a video")
    video.set_input_files({"name": "talk.mp4", "mimeType": "video/mp4", "buffer": b"\0" * 10_000})
    expect(page.get_by_text("That file is larger than the 4 KB we accept")).to_be_visible()
    expect(video).to_have_attribute("aria-invalid", "true")
    page.get_by_role("button", name="Save lesson").click()
    expect(page.get_by_text("That file is larger than the 4 KB we accept")).to_be_visible()
    assert page.url == edit_url
    expect(page.get_by_label("Lesson text")).to_have_value(typed)
    expect(video).to_be_focused()
    with app.app_context():
        from lms.models import Lesson

        assert db.session.get(Lesson, lesson_id).body_md != typed

    # A file within the limit clears the message, and the lesson saves with what was typed.
    video.set_input_files([])
    expect(page.get_by_text("That file is larger than")).to_have_count(0)
    page.get_by_role("button", name="Save lesson").click()
    expect(page.get_by_text("saved")).to_be_visible()
    with app.app_context():
        assert db.session.get(Lesson, lesson_id).body_md == typed


def test_the_lesson_editor_warns_before_unsaved_changes_are_lost(live_server, page):
    """The sidebar's "Attach file" and "Save pass mark" are separate forms that reload the page with the stored
    lesson: typed changes would be lost without a word. The page says so and asks first; so does leaving it."""
    from tests.studio_helpers import PDF

    app = live_server.app
    lesson_id, old_title = instructor_with_a_course(app)
    base = live_server.url
    log_in_as_ines(page, base)
    edit_url = f"{base}/studio/courses/saying-no/lessons/{lesson_id}/edit"
    page.goto(edit_url)
    notice = page.get_by_text("The lesson has unsaved changes.")
    expect(notice).to_be_hidden()
    dialogs = []

    def answer(accept):
        def handle(dialog):
            dialogs.append((dialog.type, dialog.message))
            dialog.accept() if accept else dialog.dismiss()

        return handle

    title = page.get_by_label("Title", exact=True)
    title.fill("")
    title.press_sequentially("Say no kindly")
    expect(notice).to_be_visible()
    page.get_by_label("Attach a file").set_input_files(
        {"name": "Worksheet.pdf", "mimeType": "application/pdf", "buffer": PDF})
    page.once("dialog", answer(False))
    page.get_by_role("button", name="Attach file").click()
    expect(title).to_have_value("Say no kindly")  # Cancel: nothing sent, nothing lost
    assert page.url == edit_url
    assert dialogs and dialogs[-1][0] == "confirm" and "unsaved changes" in dialogs[-1][1]
    page.get_by_label("Pass mark (%)").fill("80")
    page.once("dialog", answer(False))
    page.get_by_role("button", name="Save pass mark").click()
    expect(title).to_have_value("Say no kindly")
    assert len(dialogs) == 2
    with app.app_context():
        from lms.models import Upload

        assert db.session.scalar(select(Upload)) is None

    # Leaving by a link asks too (the browser's own "Leave site?" question).
    page.once("dialog", answer(False))
    page.get_by_role("link", name="Back to the outline").click()
    expect(title).to_have_value("Say no kindly")
    assert dialogs[-1][0] == "beforeunload"

    # OK throws the changes away on purpose: the file is attached, the lesson keeps its stored title.
    page.once("dialog", answer(True))
    page.get_by_role("button", name="Attach file").click()
    expect(page.get_by_role("link", name="Worksheet.pdf")).to_be_visible()
    expect(title).to_have_value(old_title)
    expect(notice).to_be_hidden()

    # Saving the lesson itself asks nothing; a refused save comes back unsaved, and says so.
    count = len(dialogs)
    title.fill("Say no kindly")
    page.get_by_role("button", name="Save lesson").click()
    expect(page.get_by_text("Lesson saved.")).to_be_visible()
    page.wait_for_load_state()  # the reloaded editor's scripts are in place before the next save
    title.fill("")
    page.get_by_role("button", name="Save lesson").click()
    expect(page.get_by_text("This field is required.")).to_be_visible()
    expect(notice).to_be_visible()
    assert len(dialogs) == count
    with app.app_context():
        from lms.models import Lesson

        assert db.session.get(Lesson, lesson_id).title == "Say no kindly"


def test_a_form_sent_twice_in_a_row_is_sent_once(live_server, page):
    """A double click on a form's button sends it twice before the next page arrives (two new modules, two quiz
    attempts): the browser sends it once. Back to the page, it can be sent again."""
    app = live_server.app
    instructor_with_a_course(app)
    base = live_server.url
    log_in_as_ines(page, base)
    page.goto(f"{base}/studio/courses/saying-no/modules/new")
    page.get_by_label("Title", exact=True).fill("Saying no by e-mail")
    dropped = page.evaluate("""() => {
        const form = document.querySelector("main form[method=post]");
        const seen = [];
        document.addEventListener("submit", (event) => seen.push(event.defaultPrevented));
        form.requestSubmit();
        form.requestSubmit();
        return seen;
    }""")
    assert dropped == [False, True]
    expect(page.get_by_text("Saying no by e-mail").first).to_be_visible()
    with app.app_context():
        from lms.models import Module

        assert len(db.session.scalars(select(Module).where(Module.title == "Saying no by e-mail")).all()) == 1

    page.go_back()  # the form is back as it was (the browser's page cache): it sends again
    page.get_by_label("Title", exact=True).fill("Saying no on the phone")
    page.get_by_role("button", name="Add module").click()
    expect(page.get_by_text("Saying no on the phone").first).to_be_visible()


def test_the_outline_offers_dragging_only_where_it_works(live_server, browser):
    """The drag handles come from studio.js: without JavaScript the outline names only the Up and Down buttons."""
    instructor_with_a_course(live_server.app)
    for javascript in (True, False):
        context = browser.new_context(java_script_enabled=javascript)
        page = context.new_page()
        log_in_as_ines(page, live_server.url)
        page.goto(live_server.url + "/studio/courses/saying-no/")
        expect(page.get_by_text("Use the Up and Down buttons to reorder")).to_be_visible()
        drag_hint = page.get_by_text("or drag items by their handle")
        if javascript:
            expect(drag_hint).to_be_visible()
            expect(page.locator(".studio-handle").first).to_be_attached()
        else:
            expect(drag_hint).to_be_hidden()
            expect(page.locator(".studio-handle")).to_have_count(0)
        context.close()
