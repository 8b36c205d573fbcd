"""In Chromium: two learners in two browser contexts — a question, a reply with a mention, the bell, the
accepted answer; XSS attempts that must not open a dialog; screenshots of board and thread (desktop, phone)."""

import pytest
from playwright.sync_api import expect

from lms.auth.services import create_user
from lms.discussion import services
from lms.extensions import db
from tests.conftest import PASSWORD
from tests.factories import enrol, make_course

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def course_with_learners(live_server):
    # A request context so notification e-mails can build absolute links (SERVER_NAME is unset here).
    with live_server.app.test_request_context():
        instructor = create_user("ivo@example.com", "Ivo Instructor", PASSWORD, role="instructor")
        maya = create_user("maya@example.com", "Maya Lindqvist", PASSWORD)
        tom = create_user("tom@example.com", "Tom Okafor", PASSWORD)
        db.session.commit()
        course = make_course(instructor, "Client communication", slug="client-communication", modules=((5, 10),))
        enrol(maya, course)
        enrol(tom, course)
        welcome = services.create_thread(course, instructor, title="Welcome! Introduce yourself",
                                         body="Say hello: **what you do** and who your clients are.")  # fmt: skip
        welcome.pinned = True
        story = services.create_thread(course, maya, title="The client who rewrote the brief",
                                       body="Signed off, then a new stakeholder appeared…", anonymous=True)  # fmt: skip
        services.add_reply(course, story, tom, body="Ask for a call with both of them and bring the brief.")
        db.session.commit()
    return "client-communication"


def _log_in(page, base, email):
    page.goto(base + "/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def _record_dialogs(page):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    return dialogs


def test_question_mention_notification_and_accepted_answer(live_server, browser, course_with_learners, screenshot):
    base, slug = live_server.url, course_with_learners
    maya_context, tom_context = browser.new_context(viewport=DESKTOP), browser.new_context(viewport=DESKTOP)
    maya, tom = maya_context.new_page(), tom_context.new_page()
    maya_dialogs, tom_dialogs = _record_dialogs(maya), _record_dialogs(tom)
    _log_in(maya, base, "maya@example.com")
    _log_in(tom, base, "tom@example.com")

    # Maya starts with a clean bell (the fixture's reply to her story notified her).
    maya.goto(f"{base}/notifications/")
    maya.get_by_role("button", name="Mark all as read").click()
    expect(maya.locator(".bell .badge")).to_have_count(0)

    # Maya asks a question.
    maya.goto(f"{base}/courses/{slug}/discussion/")
    maya.get_by_role("link", name="Start a thread").click()
    maya.get_by_label("Title").fill("How do you answer “can you just quickly…”?")
    maya.get_by_label("Question — looking for an answer").check()
    maya.get_by_label("Your post").fill("Each one is 20–90 minutes. **What exact words do you use?**")
    maya.get_by_role("button", name="Post thread").click()
    expect(maya.get_by_role("heading", name="How do you answer “can you just quickly…”?")).to_be_visible()
    expect(maya.get_by_text("No accepted answer yet.")).to_be_visible()

    # Tom sees it as unread on the board and replies with a mention.
    tom.goto(f"{base}/courses/{slug}/discussion/")
    row = tom.locator(".thread-row", has_text="can you just quickly")
    expect(row).to_have_class("thread-row is-unread")
    screenshot(tom, "discussion-board-desktop")
    tom.set_viewport_size(PHONE)
    screenshot(tom, "discussion-board-phone")
    tom.set_viewport_size(DESKTOP)
    row.locator(".thread-title a").click()
    tom.get_by_label("Your reply").fill("@MayaLindqvist try: *“Sure — instead of something this week, or on top?”*")
    tom.get_by_role("button", name="Post reply").click()
    mention = tom.locator(".post-body a", has_text="@Maya Lindqvist")
    expect(mention).to_have_attribute("href", "/auth/people/2")

    # Maya's bell shows one unread notification: the mention (not a second one for the reply).
    maya.goto(f"{base}/")
    expect(maya.locator(".bell .badge")).to_have_text("1")
    maya.locator(".bell").click()
    expect(maya.get_by_text("Tom Okafor mentioned you in")).to_be_visible()
    maya.get_by_role("button", name="Tom Okafor mentioned you in").click()
    expect(maya.get_by_role("heading", name="How do you answer “can you just quickly…”?")).to_be_visible()

    # She accepts Tom's answer; it is marked and shown right after the question.
    maya.get_by_role("button", name="Accept answer").click()
    expect(maya.get_by_text("Marked as the accepted answer.")).to_be_visible()
    accepted = maya.locator("article.post").nth(1)
    expect(accepted).to_have_class("post post-accepted")
    expect(accepted.get_by_text("✓ Accepted answer")).to_be_visible()
    screenshot(maya, "discussion-thread-desktop")
    maya.set_viewport_size(PHONE)
    screenshot(maya, "discussion-thread-phone")

    # Tom hears that his answer was accepted.
    tom.goto(f"{base}/notifications/")
    expect(tom.get_by_text("was marked as the accepted answer")).to_be_visible()
    assert maya_dialogs == [] and tom_dialogs == []
    maya_context.close()
    tom_context.close()


XSS_TITLE = '<img src=x onerror="alert(\'title\')"><script>alert("t")</script>'
XSS_BODY = (
    "<script>alert('body')</script>\n\n<img src=x onerror=\"alert('img')\">\n\n"
    "<a href=\"javascript:alert('link')\">click me</a> [md](javascript:alert('md'))\n\n"
    "<div onmouseover=\"alert('hover')\">hover me</div>\n\n<svg onload=\"alert('svg')\"></svg>"
)


def test_hostile_posts_never_run_script(live_server, page, course_with_learners, screenshot):
    base, slug = live_server.url, course_with_learners
    dialogs = _record_dialogs(page)
    _log_in(page, base, "tom@example.com")
    page.goto(f"{base}/courses/{slug}/discussion/new")
    page.get_by_label("Title").fill(XSS_TITLE)
    page.get_by_label("Your post").fill(XSS_BODY)
    page.get_by_role("button", name="Post thread").click()
    expect(page.locator("h1")).to_contain_text("<script>")  # shown as text
    for link in page.get_by_text("click me").all():
        link.click()
    page.get_by_text("hover me").hover()
    page.goto(f"{base}/courses/{slug}/discussion/")
    page.goto(f"{base}/courses/{slug}/discussion/search?q=alert")
    expect(page.get_by_text("result")).to_be_visible()
    page.wait_for_timeout(300)
    assert dialogs == []


def test_board_filters_wait_for_apply_so_the_keyboard_can_browse_them(live_server, page, course_with_learners):
    """Arrowing through the "Show" options must not reload the page (WCAG 3.2.2); Apply does."""
    base, slug = live_server.url, course_with_learners
    _log_in(page, base, "tom@example.com")
    page.goto(f"{base}/courses/{slug}/discussion/")
    show = page.get_by_label("Show")
    show.focus()
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(300)  # time for a navigation that must not happen
    assert "filter=" not in page.url
    expect(show).to_be_focused()
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/discussion/?filter=*")


def test_a_post_of_deeply_nested_quotes_fits_a_phone(live_server, browser, course_with_learners):
    """Quoting a reply that quotes a reply...: each quote level is indented, and nineteen of them (the renderer
    nests twenty at most) made the whole thread page scroll sideways on a phone, its text off to the right."""
    base, slug = live_server.url, course_with_learners
    page = browser.new_context(viewport=DESKTOP).new_page()
    _log_in(page, base, "tom@example.com")
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/courses/{slug}/discussion/")
    page.get_by_role("link", name="The client who rewrote the brief").click()
    page.get_by_label("Your reply").fill(">" * 19 + " Put it in writing, and bring the brief.")
    page.get_by_role("button", name="Post reply").click()
    expect(page.get_by_text("Put it in writing, and bring the brief.")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_phone_shows_unread_notifications_on_the_menu_button(live_server, browser, course_with_learners):
    """On a phone the bell sits behind the Menu button: Maya must see that something is new without opening it."""
    base = live_server.url
    context = browser.new_context(viewport=PHONE)
    maya = context.new_page()
    maya.goto(base + "/auth/login")  # Tom's reply to her story is one unread notification
    maya.get_by_label("E-mail").fill("maya@example.com")
    maya.get_by_label("Password").fill(PASSWORD)
    maya.get_by_role("button", name="Log in").click()
    expect(maya.get_by_role("heading", name="Hi, Maya Lindqvist")).to_be_visible()
    menu = maya.get_by_role("button", name="Menu")
    expect(maya.locator("#site-nav .bell")).to_be_hidden()
    expect(menu).to_contain_text("1")
    expect(menu).to_have_accessible_name("Menu (1 unread notification)")
    menu.click()
    maya.locator("#site-nav .bell").click()
    maya.get_by_role("button", name="Mark all as read").click()
    expect(maya.get_by_role("button", name="Menu", exact=True)).to_be_visible()
    context.close()
