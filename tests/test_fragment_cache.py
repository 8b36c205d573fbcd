"""Rendered pieces of pages kept in memory (lms/fragments.py): a thread page, board, lesson page, course home
or catalog served from the cache is the page the templates would render now, after every kind of change, for
every kind of reader, and no reader receives another reader's CSRF token."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.models import User
from lms.models.discussion import Post
from tests.conftest import PASSWORD
from tests.discussion_helpers import world  # noqa: F401 (fixture)

TOKEN = re.compile(r'(name="csrf_token"[^>]*value="|name="csrf-token" content=")[^"]*(")')


def without_tokens(html):
    """Signed CSRF tokens carry the second they were signed in, so two renderings differ there."""
    return TOKEN.sub(r"\1-\2", html)


def tokens_in(html):
    return set(re.findall(r'name="csrf_token"[^>]*value="([^"]*)"', html))


@pytest.fixture
def readers(app, world):
    """A logged-in client per kind of reader: the asker, a peer who replies, the course's instructor."""
    clients = {}
    for name, user in (("maya", world.maya), ("tom", world.tom), ("instructor", world.instructor)):
        client = clients[name] = app.test_client()
        form = {"email": user.email, "password": PASSWORD}
        form.update({"csrf_token": token for token in tokens_in(client.get("/auth/login").get_data(as_text=True))})
        assert client.post("/auth/login", data=form).status_code == 302
    return clients


def assert_served_pages_are_fresh(app, readers, url, names=None):
    """Each reader's page from the warm cache equals the page rendered with no cache at all."""
    cache = app.jinja_env.fragment_cache
    for name in names or readers:
        client = readers[name]
        client.get(url)  # shows (and so clears) any message flashed by the last change
        cached = client.get(url)
        assert cached.status_code == 200
        app.jinja_env.fragment_cache = None
        try:
            fresh = client.get(url).get_data(as_text=True)
        finally:
            app.jinja_env.fragment_cache = cache
        assert without_tokens(cached.get_data(as_text=True)) == without_tokens(fresh), f"stale {url} for {name}"


def logged_in(app, login, **users):
    """A test client per name, logged in as that user (None: a visitor)."""
    clients = {}
    for name, user in users.items():
        clients[name] = app.test_client()
        if user is not None:
            login(user, clients[name])
    return clients


def freshness_check(app, clients, url):
    """check(): every client's page at url, served from the cache, is the page rendered without it."""

    def check():
        db.session.expire_all()
        assert_served_pages_are_fresh(app, clients, url)

    return check


def test_every_change_to_a_post_or_thread_reaches_every_reader(app, world, readers):
    thread = world.thread(kind="question", body="How do I say no to a rush job?")
    early = world.reply(thread, body="Quote a rush fee.")
    second = world.reply(thread, body="Ask what the deadline really is.")
    answer = world.reply(thread, world.instructor, body="Offer two options with prices.")
    url = world.thread_url(thread)
    maya, tom, instructor = readers["maya"], readers["tom"], readers["instructor"]
    assert_served_pages_are_fresh(app, readers, url)
    assert len(app.jinja_env.fragment_cache) > 0  # the pages above were served from it

    changes = [
        lambda: maya.post(world.post_url(thread, early, "vote")),
        lambda: tom.post(world.post_url(thread, early, "edit"), data={"body": "Quote a **rush fee** of 50%."}),
        lambda: maya.post(world.post_url(thread, answer, "accept")),
        lambda: instructor.post(world.post_url(thread, second, "hide"), data={"reason": "Off topic"}),
        lambda: rename(world.tom, "Tom O."),
        lambda: set_timezone(world.maya, "Pacific/Auckland"),
        lambda: tom.post(world.post_url(thread, early, "delete")),  # before the lock: locked posts stay as they are
        lambda: instructor.post(world.thread_url(thread, "/lock"), data={"reason": "Answered"}),
        lambda: instructor.post(world.post_url(thread, second, "unhide")),
        lambda: instructor.post(world.post_url(thread, answer, "accept")),  # unmark (in a locked thread: staff only)
        lambda: instructor.post(world.thread_url(thread, "/unlock")),
    ]
    for change in changes:
        response = change()
        assert response is None or response.status_code == 302
        db.session.expire_all()
        assert_served_pages_are_fresh(app, readers, url)

    page = maya.get(url).get_data(as_text=True)
    assert "Tom O." in page and "Removed by author." in page and "Off topic" not in page


def test_every_change_to_a_thread_reaches_the_board_and_the_lesson_page(app, world, readers):
    maya, tom, instructor = readers["maya"], readers["tom"], readers["instructor"]
    question = world.thread(kind="question", title="Rush jobs?", lesson=world.lesson)
    chat = world.thread(world.tom, title="Introduce yourself", lesson=world.lesson, anonymous=True)
    board, lesson_page = world.url(), f"/learn/{world.course.slug}/lessons/{world.lesson.id}"
    learners = ("maya", "tom")

    def check():
        db.session.expire_all()
        assert_served_pages_are_fresh(app, readers, board)
        assert_served_pages_are_fresh(app, readers, lesson_page, learners)

    check()
    assert len(app.jinja_env.fragment_cache) > 0
    answer = world.reply(question, world.instructor, body="Charge for it.")  # counts, activity, unread
    check()
    maya.get(world.thread_url(question))  # read: no longer unread for Maya
    changes = [
        lambda: maya.post(world.post_url(question, answer, "accept")),
        lambda: tom.post(world.post_url(question, db.session.get(Post, question.first_post_id), "vote")),
        lambda: instructor.post(world.thread_url(chat, "/pin")),
        lambda: instructor.post(world.thread_url(chat, "/lock"), data={"reason": "Done"}),
        lambda: maya.post(world.post_url(question, db.session.get(Post, question.first_post_id), "edit"),
                          data={"title": "Rush jobs: what to charge?", "body": "Edited"}),
        lambda: rename(world.maya, "Maya L."),
        lambda: rename_lesson(world.lesson, "Saying no"),
        lambda: set_timezone(world.tom, "America/Denver"),
    ]
    for change in changes:
        response = change()
        assert response is None or response.status_code == 302
        check()
    page = tom.get(board).get_data(as_text=True)
    assert "Maya L." in page and "Rush jobs: what to charge?" in page and "Answered" in page and "Pinned" in page


def rename_lesson(lesson, title):
    db.session.get(type(lesson), lesson.id).title = title
    db.session.commit()


def rename(user, name):
    db.session.get(User, user.id).display_name = name
    db.session.commit()


def set_timezone(user, zone):
    db.session.get(User, user.id).timezone = zone
    db.session.commit()


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_forms_in_a_cached_post_carry_the_readers_own_token(app, world, readers):
    # Maya and Tom read the instructor's thread alike, so Tom is served the posts rendered for Maya.
    thread = world.thread(author=world.instructor)
    reply = world.reply(thread, world.instructor)
    url = world.thread_url(thread)
    pages = {name: readers[name].get(url).get_data(as_text=True) for name in ("maya", "tom")}
    tokens = {name: tokens_in(page) for name, page in pages.items()}
    vote_form = re.compile(rf'action="[^"]*/posts/{reply.id}/vote"[^>]*>\s*<input[^>]*value="([^"]*)"')
    for name, page in pages.items():
        # Every form on the page, the cached posts' included, carries this request's token.
        assert len(tokens[name]) == 1, name
        assert vote_form.search(page).group(1) in tokens[name]
    assert tokens["maya"].isdisjoint(tokens["tom"])

    # The token in the post Tom was served from the cache is accepted: his vote counts.
    token = vote_form.search(pages["tom"]).group(1)
    assert readers["tom"].post(world.post_url(thread, reply, "vote"), data={"csrf_token": token}).status_code == 302
    assert db.session.get(Post, reply.id).vote_count == 1


def test_the_reply_box_keeps_each_readers_anonymity_default(app, world, readers):
    """The author of an anonymous thread replies anonymously by default; everyone else does not."""
    thread = world.thread(anonymous=True)
    url = world.thread_url(thread)
    assert_served_pages_are_fresh(app, readers, url)
    anonymous_box = re.compile(r'<input[^>]*id="anonymous"[^>]*>')
    boxes = {name: anonymous_box.search(readers[name].get(url).get_data(as_text=True)).group(0)
             for name in ("maya", "tom")}  # fmt: skip
    assert "checked" in boxes["maya"] and "checked" not in boxes["tom"]


@pytest.mark.parametrize("app_config", [{"FRAGMENT_CACHE_SIZE": 0}])
def test_the_cache_can_be_turned_off(app, world, readers):
    thread = world.thread()
    world.reply(thread, body="Put it in writing.")
    assert app.jinja_env.fragment_cache is None
    assert "Put it in writing." in readers["tom"].get(world.thread_url(thread)).get_data(as_text=True)


def test_every_change_to_progress_or_the_syllabus_reaches_the_course_home(app, make_user, login):
    """Module lists on the course home are shared by learners who stand at the same place in a course."""
    from tests.factories import enrol, lessons_of, make_course

    owner = make_user(role="instructor")
    course = make_course(owner, "Feedback", slug="feedback", modules=((5, 10), (7, 8)))
    first, second, third, fourth = lessons_of(course)
    ana_user, ben_user = make_user(display_name="Ana"), make_user(display_name="Ben")
    enrol(ana_user, course)
    enrol(ben_user, course)
    clients = logged_in(app, login, ana=ana_user, ben=ben_user, owner=owner)
    ana, ben = clients["ana"], clients["ben"]
    home = "/learn/feedback/"
    check = freshness_check(app, clients, home)
    check()
    assert len(app.jinja_env.fragment_cache) > 0
    done = lambda client, lesson: client.post(f"/learn/feedback/lessons/{lesson.id}/done")  # noqa: E731
    changes = [
        lambda: done(ana, first),  # Ana's first module differs from Ben's; the next lesson moves
        lambda: ana.get(f"/learn/feedback/lessons/{third.id}"),  # resume where she left off
        lambda: done(ben, first),  # Ben now stands where Ana stood: he is served her module lists
        lambda: rename_lesson(second, "Asking for feedback"),
        lambda: edit_module(third.module_id, requires_previous=True),  # Ana's second module locks
        lambda: done(ana, second),  # and opens again
        lambda: edit_module(third.module_id, drip_days=30),  # a date the learners read in their zone
        lambda: enrolled_days_ago(ben_user, course, 3),  # the same lock, another date
        lambda: set_timezone(ana_user, "Pacific/Auckland"),
        lambda: edit_lesson(fourth, pass_mark=80),  # a knowledge check appears
    ]
    for change in changes:
        response = change()
        assert response is None or response.status_code in (200, 302)
        check()
    page = ana.get(home).get_data(as_text=True)
    assert "Asking for feedback" in page and "Knowledge check" in page and "opens on" in page


def enrolled_days_ago(user, course, days):
    from datetime import timedelta

    from lms.database import utcnow
    from lms.models import Enrolment

    enrolment = db.session.scalar(db.select(Enrolment).filter_by(user_id=user.id, course_id=course.id))
    enrolment.enrolled_at = utcnow() - timedelta(days=days)
    db.session.commit()


def edit_module(module_id, **fields):
    from lms.models import Module

    module = db.session.get(Module, module_id)
    for name, value in fields.items():
        setattr(module, name, value)
    db.session.commit()


def edit_lesson(lesson, **fields):
    lesson = db.session.get(type(lesson), lesson.id)
    for name, value in fields.items():
        setattr(lesson, name, value)
    db.session.commit()


def test_every_change_to_a_course_or_a_learners_place_in_it_reaches_the_catalog(app, make_user, login):
    """Catalog cards are shared by every visitor who stands in the same relation to a course."""
    from lms.models import Course, CourseSkill
    from tests.factories import enrol, lessons_of, make_course

    owner = make_user(role="instructor", display_name="Olga")
    course = make_course(owner, "Feedback", slug="feedback", modules=((5, 10),), skills=("feedback",))
    other = make_course(owner, "Pricing", slug="pricing", policy="approval")
    ana, ben = make_user(display_name="Ana"), make_user(display_name="Ben")
    enrol(ana, course)
    clients = logged_in(app, login, visitor=None, ana=ana, ben=ben)
    catalog = "/courses/"
    check = freshness_check(app, clients, catalog)

    def change_course(**fields):
        row = db.session.get(Course, course.id)
        for name, value in fields.items():
            setattr(row, name, value)
        db.session.commit()

    check()
    assert len(app.jinja_env.fragment_cache) > 0
    changes = [
        lambda: clients["ben"].post("/courses/feedback/enrol"),  # his card changes, and everyone's count
        lambda: clients["ben"].post("/courses/pricing/enrol"),  # pending approval
        lambda: clients["ana"].post(f"/learn/feedback/lessons/{lessons_of(course)[0].id}/done"),  # 50%
        lambda: change_course(title="Giving feedback"),
        lambda: change_course(summary="Say it kindly."),
        lambda: change_course(level="advanced"),
        lambda: change_course(total_minutes=90),
        lambda: change_course(lesson_count=7),
        lambda: db.session.add(CourseSkill(course_id=course.id, name="leadership")) or db.session.commit(),
        lambda: rename(owner, "Olga P."),
        lambda: clients["ana"].post("/courses/feedback/withdraw"),
    ]
    for change in changes:
        response = change()
        assert response is None or response.status_code in (200, 302)
        check()
    page = clients["visitor"].get(catalog).get_data(as_text=True)
    assert "Giving feedback" in page and "leadership" in page and "Olga P." in page and other.title in page


def enrolled_earlier(learner, course, days):
    from lms.models import Enrolment

    enrolment = db.session.scalar(select(Enrolment).filter_by(user_id=learner.id, course_id=course.id))
    enrolment.enrolled_at -= timedelta(days=days)
    db.session.commit()


def test_every_change_to_the_syllabus_reaches_the_course_page(app, make_user, login):
    """The course page's syllabus is the same for every visitor of a course, but for an enrolled learner's own
    drip dates."""
    from lms.models import Lesson
    from tests.factories import enrol, lessons_of, make_course

    owner = make_user(role="instructor")
    course = make_course(owner, "Feedback", slug="feedback", modules=((5, 10), (7,)))
    first, second, third = lessons_of(course)
    learner = make_user()
    enrol(learner, course)
    clients = logged_in(app, login, visitor=None, learner=learner, owner=owner)
    page_url = "/courses/feedback"
    check = freshness_check(app, clients, page_url)

    def new_lesson():
        db.session.add(Lesson(course_id=course.id, module_id=third.module_id, position=5, title="Saying no kindly",
                              body_md="", body_html="", minutes=4, minutes_authored=4))  # fmt: skip
        db.session.commit()

    check()
    assert len(app.jinja_env.fragment_cache) > 0
    changes = [
        lambda: rename_lesson(second, "Asking for feedback"),
        lambda: edit_lesson(first, minutes=25),
        lambda: edit_lesson(first, is_preview=True),  # a link for visitors
        lambda: edit_lesson(third, requires_previous=True),
        lambda: edit_module(third.module_id, title="Week two", summary="Practice."),
        lambda: edit_module(third.module_id, drip_days=3),
        lambda: edit_module(first.module_id, requires_previous=True),
        new_lesson,
        lambda: edit_lesson(second, archived_at=db.func.now()),
        lambda: enrolled_earlier(learner, course, days=2),  # the learner's drip dates move with it
    ]
    for change in changes:
        change()
        check()
    page = clients["visitor"].get(page_url).get_data(as_text=True)
    assert "Saying no kindly" in page and "Week two" in page and "Asking for feedback" not in page
    assert f'lessons/{first.id}"' in page  # the free preview's link


def test_a_visitor_reading_cached_pages_gets_no_session(app, make_user):
    """Only blocks holding a form ask for a CSRF token: asking would start a session for every visitor."""
    from tests.factories import make_course

    make_course(make_user(role="instructor"), "Feedback", slug="feedback")
    visitor = app.test_client()
    for url in ("/courses/", "/courses/feedback", "/courses/", "/courses/feedback"):  # misses, then hits
        response = visitor.get(url)
        assert response.status_code == 200 and "Feedback" in response.get_data(as_text=True)
        assert not response.headers.getlist("Set-Cookie"), url
    assert len(app.jinja_env.fragment_cache) > 0


def test_every_change_to_a_reader_reaches_the_page_header(app, make_user, login):
    """The header (links for the reader's role, the page they are on, their name, the unread count and the
    log-out form) is shared by every reader it would look the same for."""
    from datetime import datetime

    from lms.models import Notification

    ana, ben = make_user(display_name="Ana"), make_user(display_name="Ben")
    clients = logged_in(app, login, visitor=None, ana=ana, ben=ben)
    members = {name: client for name, client in clients.items() if name != "visitor"}
    checks = [freshness_check(app, clients, "/"), freshness_check(app, clients, "/courses/"),
              freshness_check(app, members, "/auth/profile")]  # fmt: skip

    def notify(user):
        db.session.add(Notification(user_id=user.id, kind="reply", message="A reply to your thread"))
        db.session.commit()

    def read_all(user):
        for row in db.session.scalars(db.select(Notification).where(Notification.user_id == user.id)):
            row.read_at = datetime(2026, 1, 1)
        db.session.commit()

    def promote(user, role):
        db.session.get(User, user.id).role = role
        db.session.commit()

    changes = [lambda: None, lambda: rename(ana, "Ana K."), lambda: notify(ana), lambda: notify(ana),
               lambda: read_all(ana), lambda: promote(ben, "instructor"), lambda: promote(ben, "admin")]  # fmt: skip
    for change in changes:
        change()
        for check in checks:
            check()
    assert len(app.jinja_env.fragment_cache) > 0
    header = clients["ben"].get("/courses/").get_data(as_text=True).split("</header>")[0]
    assert "Studio" in header and "Admin" in header and 'aria-current="page">Courses' in header
    notify(ana)
    header = clients["ana"].get("/auth/profile").get_data(as_text=True).split("</header>")[0]
    assert 'aria-label="1 unread"' in header and 'aria-current="page">Ana K.' in header


def test_every_change_to_a_learners_week_reaches_the_dashboard(app, make_user, login):
    """The weekly section (ring, chart, its table and the goal form) is shared by learners with the same weeks."""
    from datetime import date, timedelta

    from lms.models import DailyActivity

    ana, ben = make_user(display_name="Ana"), make_user(display_name="Ben")
    clients = logged_in(app, login, ana=ana, ben=ben)
    check = freshness_check(app, clients, "/")
    today = date.today()

    def learn(user, minutes, days_ago=0):
        day = today - timedelta(days=days_ago)
        row = db.session.scalar(db.select(DailyActivity).filter_by(user_id=user.id, day=day))
        if row is None:
            row = DailyActivity(user_id=user.id, day=day, seconds=0)
            db.session.add(row)
        row.seconds += minutes * 60
        db.session.commit()

    def set_goal(name, minutes):
        clients[name].post("/progress/goal", data={"weekly_goal_minutes": minutes})

    oldest_week_shown = 49  # days ago: the same weekday seven weeks back
    changes = [lambda: None, lambda: learn(ana, 25), lambda: learn(ana, 10, days_ago=oldest_week_shown),
               lambda: set_goal("ana", 30), lambda: learn(ben, 25), lambda: learn(ben, 40),
               lambda: set_goal("ben", 45)]  # fmt: skip
    for change in changes:
        change()
        check()
    assert len(app.jinja_env.fragment_cache) > 0
    page = clients["ben"].get("/").get_data(as_text=True)
    assert "65 of 45 minutes this week" in page and 'value="45"' in page
