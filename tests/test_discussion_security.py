"""Discussion: access for every route, XSS, constant query counts, rate limits and full-text search."""

import re

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.models.discussion import Post, Thread
from tests.discussion_helpers import bulk_replies, bulk_threads, use, world  # noqa: F401 (fixtures)


def _routes(world, thread, post):
    """(method, url, data) for every learner-facing discussion route."""
    return [
        ("get", world.url(), None),
        ("get", world.url("search?q=scope"), None),
        ("get", world.url("new"), None),
        ("post", world.url("new"), {"title": "T", "kind": "discussion", "lesson_id": "0", "body": "B"}),
        ("post", world.url("follow"), {}),
        ("get", world.thread_url(thread), None),
        ("get", world.thread_url(thread, "/reply"), None),
        ("post", world.thread_url(thread, "/reply"), {"body": "R"}),
        ("post", world.thread_url(thread, "/follow"), {}),
        ("get", world.url(f"posts/{post.id}"), None),
        ("post", world.post_url(thread, post, "vote"), {}),
        ("post", world.post_url(thread, post, "accept"), {}),
        ("get", world.post_url(thread, post, "report"), None),
        ("post", world.post_url(thread, post, "report"), {"reason": "x"}),
        ("get", world.post_url(thread, post, "edit"), None),
        ("post", world.post_url(thread, post, "edit"), {"body": "E"}),
        ("post", world.post_url(thread, post, "delete"), {}),
    ]


def _call(client, method, url, data):
    return client.get(url) if method == "get" else client.post(url, data=data)


@pytest.fixture
def setup(world):
    thread = world.thread(kind="question")
    post = world.reply(thread, world.tom, body="Tom's answer")
    return thread, post


def test_anonymous_visitors_are_sent_to_login(world, client, setup):
    for method, url, data in _routes(world, *setup):
        response = _call(client, method, url, data)
        assert response.status_code == 302 and "/auth/login" in response.location, url


@pytest.mark.parametrize("who", ["outsider", "other_instructor"])
def test_people_outside_the_course_get_403_everywhere(world, client, use, setup, who):
    use(getattr(world, who))
    for method, url, data in _routes(world, *setup):
        assert _call(client, method, url, data).status_code == 403, url
    assert db.session.scalar(select(func.count(Post.id))) == 2


def test_other_learner_may_read_and_post_but_not_touch_others_posts(world, client, use, setup):
    thread, post = setup
    use(world.maya)  # the asker, not the author of the reply
    expected_forbidden = {world.post_url(thread, post, "edit"), world.post_url(thread, post, "delete")}
    for method, url, data in _routes(world, *setup):
        status = _call(client, method, url, data).status_code
        if url in expected_forbidden:
            assert status == 403, url
        else:
            assert status in (200, 302), (url, status)


def test_learner_who_is_not_the_asker_cannot_accept(world, client, use, setup, make_user):
    from tests.factories import enrol

    thread, post = setup
    third = make_user("sam@example.com", "Sam Third")
    enrol(third, world.course)
    use(third)
    assert client.post(world.post_url(thread, post, "accept")).status_code == 403


def test_admin_reads_and_moderates_any_course(world, client, use, setup):
    thread, post = setup
    use(world.admin)
    assert client.get(world.thread_url(thread)).status_code == 200
    assert client.post(world.post_url(thread, post, "accept")).status_code == 302
    db.session.refresh(thread)
    assert thread.accepted_post_id == post.id


def test_draft_course_discussion_is_staff_only(world, client, use, setup):
    world.course.status = "draft"
    db.session.commit()
    use(world.maya)
    assert client.get(world.url()).status_code == 404, "as on the draft's course page: nobody outside learns of it"
    use(world.instructor)
    assert client.get(world.url()).status_code == 200


XSS_TITLE = '<script>alert("t")</script><img src=x onerror=alert(1)>'
XSS_BODY = """<script>alert('x')</script>

<img src="x" onerror="alert('img')">

Inline <a href="javascript:alert('link')">click</a> and [md link](javascript:alert('md')) and
[ok](https://example.com)

<div onmouseover="alert('div')">hover</div> <iframe src="https://evil.example"></iframe>

<svg onload=alert('svg')></svg>"""


def test_script_and_handlers_never_reach_the_page(world, client, use):
    use(world.maya)
    client.post(world.url("new"), data={"title": XSS_TITLE, "kind": "discussion", "lesson_id": "0", "body": XSS_BODY})
    thread = db.session.scalar(select(Thread))
    stored = db.session.get(Post, thread.first_post_id).body_html
    for tag in ("<script", "<iframe", "<svg", "<div", 'href="javascript'):
        assert tag not in stored.lower(), tag
    assert not re.search(r"<[^>]*\son\w+\s*=", stored), stored  # no event handler attribute in any tag
    assert 'rel="nofollow ugc noopener"' in stored
    for url in (world.url(), world.thread_url(thread), world.url("search?q=alert")):
        page = client.get(url).get_data(as_text=True)
        assert '<script>alert("t")' not in page and "<img src=x onerror" not in page, url
        assert "&lt;script&gt;" in page, url  # the title is shown as text
        assert "onerror=\"alert('img')\"" not in page and 'href="javascript' not in page, url


def test_board_queries_do_not_grow_with_threads(world, client, use, count_queries):
    use(world.tom)
    bulk_threads(world.course, world.maya, 5)
    board_url = world.url()
    client.get(board_url)  # a warm server: the course's syllabus (lesson tags) is in memory from now on
    with count_queries() as small:
        assert client.get(board_url).status_code == 200
    bulk_threads(world.course, world.tom, 495)
    top_url = world.url("?sort=top")  # outside the count: the test's own reload of the expired course
    with count_queries() as large:
        page = client.get(top_url).get_data(as_text=True)
    assert "Page 1 of 20" in page
    assert small.count == large.count


def test_thread_page_queries_do_not_grow_with_posts(world, client, use, count_queries):
    small_thread = world.thread(title="Small", kind="question")
    bulk_replies(small_thread, world.tom, 5)
    big_thread = world.thread(title="Big", kind="question")
    bulk_replies(big_thread, world.tom, 500)
    for thread in (small_thread, big_thread):
        thread.accepted_post_id = db.session.scalar(select(func.max(Post.id)).where(Post.thread_id == thread.id))
    db.session.commit()
    use(world.instructor)
    small_url, big_url = world.thread_url(small_thread), world.thread_url(big_thread)
    client.get(small_url)  # first visit creates the read mark; compare repeat visits
    client.get(big_url)
    client.get(big_url + "?page=2")  # page 2 is new to the reader as well: its first visit moves the read mark
    with count_queries() as small:
        client.get(small_url)
    with count_queries() as large:
        client.get(big_url)
    with count_queries() as later_page:
        page = client.get(big_url + "?page=2").get_data(as_text=True)
    assert "Page 2 of 10" in page
    assert small.count == large.count <= 8
    assert later_page.count <= large.count  # no opening post or accepted answer to load after page 1


def test_lesson_and_dashboard_contracts_have_bounded_queries(world, count_queries):
    from lms.discussion.services import recent_replies_for_user, recent_threads_for_lesson

    for i in range(8):
        thread = world.thread(title=f"Lesson thread {i}", lesson=world.lesson, anonymous=i % 2 == 0)
        world.reply(thread, world.tom, body=f"Reply {i}", anonymous=i % 3 == 0)
    counts = {}
    for limit in (2, 5):
        db.session.expire_all()
        with count_queries() as lesson_list:
            rows = recent_threads_for_lesson(world.lesson, world.maya, limit=limit)
            labels = [row.byline.label for row in rows]
        db.session.expire_all()
        with count_queries() as replies:
            items = recent_replies_for_user(world.maya, limit=limit)
        assert len(rows) == len(items) == limit and len(labels) == limit
        counts[limit] = (lesson_list.count, replies.count)
    assert counts[2] == counts[5]
    assert {row.byline.label for row in rows} <= {"You", "Maya Lindqvist"}


@pytest.mark.parametrize("app_config", [{"POSTING_LIMIT": "2 per 10 minutes"}])
def test_posting_rate_limit_gives_a_readable_message(world, client, use):
    thread = world.thread(world.tom)
    use(world.maya)
    for body in ("one", "two"):
        assert client.post(world.thread_url(thread, "/reply"), data={"body": body}).status_code == 302
    response = client.post(world.thread_url(thread, "/reply"), data={"body": "three"})
    assert response.status_code == 429
    assert "posting faster than we allow" in response.get_data(as_text=True)
    response = client.post(world.url("new"), data={"title": "T", "kind": "discussion", "lesson_id": "0", "body": "B"})
    assert response.status_code == 429 and "posting faster" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Post.id))) == 3


def test_search_finds_titles_and_bodies_with_prefix_and_highlight(world, client, use):
    world.thread(title="Negotiating a deposit", body="How much up front do you ask for?")
    thread = world.thread(world.tom, title="Scope creep", body="Clients keep adding features.")
    hidden = world.reply(thread, world.maya, body="Negotiation tip: say no politely <b>bold</b>")
    use(world.tom)
    page = client.get(world.url("search?q=negotiat")).get_data(as_text=True)
    assert "2 results" in page
    assert "<mark>Negotiating</mark>" in page and "<mark>Negotiation</mark>" in page
    # User text is escaped (SQLite) or its tags dropped (PostgreSQL's ts_headline); only <mark> is markup.
    assert "bold" in page and "<b>bold</b>" not in page
    page = client.get(world.url("?q=features clients")).get_data(as_text=True)
    assert "1 result" in page and "<mark>features</mark>" in page
    assert "0 results" in client.get(world.url('search?q=" OR * NEAR( -- ;')).get_data(as_text=True)
    # hidden and removed posts disappear from search for learners
    hidden.hidden_at = hidden.created_at
    db.session.commit()
    assert "1 result" in client.get(world.url("search?q=negotiat")).get_data(as_text=True)
    use(world.instructor)
    assert "2 results" in client.get(world.url("search?q=negotiat")).get_data(as_text=True)


def test_a_search_page_past_the_last_says_so_instead_of_nothing_found(world, client, use):
    """A bookmarked second page of results after posts went away: not "1 result" and "Nothing found" at once."""
    world.thread(title="Late invoices", body="They pay after 90 days")
    use(world.maya)
    page = client.get(world.url("search?q=invoice&page=3")).get_data(as_text=True)
    assert "Nothing found" not in page
    assert "There is no page 3: 1 result fits on 1 page." in page
    assert 'href="/courses/client-communication/discussion/search?q=invoice&amp;page=1">Go to the last page</a>' in page
    assert "Nothing found" in client.get(world.url("search?q=refund")).get_data(as_text=True)


def test_a_search_with_nothing_to_look_for_says_so_instead_of_nothing_found(world, client, use):
    world.thread(title="Late invoices", body="They pay after 90 days")
    use(world.maya)
    page = client.get(world.url("search?q=%3F%20*%20-")).get_data(as_text=True)
    assert "0 results" not in page and "Nothing found" not in page
    assert "“? * -” has no letters or numbers to search for." in page


def test_search_stays_within_the_course_and_follows_edits(world, client, use):
    from lms.discussion import services
    from tests.factories import enrol

    enrol(world.maya, world.other_course)
    services.create_thread(world.other_course, world.maya, title="Invoices elsewhere", body="invoice")
    thread = world.thread(title="Late invoices", body="They pay after 90 days")
    db.session.commit()
    use(world.maya)
    assert "1 result" in client.get(world.url("search?q=invoice")).get_data(as_text=True)
    first = db.session.get(Post, thread.first_post_id)
    client.post(world.post_url(thread, first, "edit"), data={"title": "Late payments", "body": "Net 90 terms"})
    assert "0 results" in client.get(world.url("search?q=invoice")).get_data(as_text=True)
    assert "1 result" in client.get(world.url("search?q=payments")).get_data(as_text=True)
    client.post(world.post_url(thread, first, "delete"))
    assert "1 result" in client.get(world.url("search?q=payments")).get_data(as_text=True)  # title stays
    assert "0 results" in client.get(world.url("search?q=terms")).get_data(as_text=True)
