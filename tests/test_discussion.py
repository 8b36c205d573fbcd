"""Discussion: reading and writing threads, anonymity, edits, votes, accepted answers, unread marks."""

import re

from sqlalchemy import func, select

from lms.discussion import services as discussion_services
from lms.extensions import db
from lms.models.discussion import Post, PostVote, Thread, ThreadRead
from tests.discussion_helpers import bulk_replies, bulk_threads, use, world  # noqa: F401 (fixtures)


def test_learner_starts_a_thread_and_it_shows_on_the_board(world, client, use):
    use(world.maya)
    response = client.post(world.url("new"), data={
        "title": "Deposit before starting?", "kind": "question", "lesson_id": str(world.lesson.id),
        "body": "Do you ask for **50%** up front?",
    })  # fmt: skip
    assert response.status_code == 302
    thread = db.session.scalar(select(Thread))
    assert thread.kind == "question" and thread.lesson_id == world.lesson.id and thread.author_id == world.maya.id
    first = db.session.get(Post, thread.first_post_id)
    assert "<strong>50%</strong>" in first.body_html
    board = client.get(world.url()).get_data(as_text=True)
    assert "Deposit before starting?" in board and "Maya Lindqvist" in board


def test_sending_a_new_thread_or_reply_twice_posts_it_once(world, client, use):
    """A double click on the button, or going back and sending the form again, sends the same form twice."""
    use(world.maya)
    form = {"title": "Deposit before starting?", "kind": "discussion", "lesson_id": "0", "body": "Do you?"}
    first, second = client.post(world.url("new"), data=form), client.post(world.url("new"), data=form)
    threads = db.session.scalars(select(Thread)).all()
    assert len(threads) == 1
    assert second.status_code == 302 and second.location == first.location
    use(world.tom)
    reply = world.thread_url(threads[0], "/reply")
    first, second = client.post(reply, data={"body": "Always 30%."}), client.post(reply, data={"body": "Always 30%."})
    assert second.location == first.location
    db.session.refresh(threads[0])
    assert threads[0].reply_count == 1
    assert db.session.scalar(select(func.count(Post.id))) == 2
    client.post(reply, data={"body": "Always 30%, I meant to add: half on delivery."})  # a different text is new
    assert db.session.scalar(select(func.count(Post.id))) == 3


def test_the_same_short_reply_after_someone_else_replied_is_a_new_post(world, client, use):
    """"Thanks!" to one peer, then "Thanks!" to the next: not a resent form, as someone posted in between. Before,
    the second was dropped and its author taken back to the first (found by exploratory testing)."""
    thread = world.thread()
    reply = world.thread_url(thread, "/reply")
    use(world.tom)
    first = client.post(reply, data={"body": "Thanks!"})
    use(world.maya)
    client.post(reply, data={"body": "One more tip: put the deadline in the subject line."})
    use(world.tom)
    second = client.post(reply, data={"body": "Thanks!"})
    assert second.location != first.location
    assert db.session.scalar(select(func.count(Post.id)).where(Post.body_md == "Thanks!")) == 2


def test_new_thread_form_prefills_the_lesson_and_rejects_bad_input(world, client, use):
    use(world.maya)
    page = client.get(world.url(f"new?lesson={world.lesson.id}")).get_data(as_text=True)
    assert re.search(rf'<option selected value="{world.lesson.id}"|<option value="{world.lesson.id}" selected', page)
    response = client.post(world.url("new"), data={"title": "x" * 201, "kind": "discussion", "lesson_id": "0",
                                                   "body": "y" * 20_001})  # fmt: skip
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "under 200 characters" in text and "under 20,000 characters" in text
    # Only blank or invisible characters (zero-width spaces, a byte-order mark) would show as an empty post.
    invisible = " \u200b\u200b\ufeff\u2060 "
    response = client.post(world.url("new"), data={"title": invisible, "kind": "discussion", "lesson_id": "0",
                                                   "body": "\u200b\u200c\u200d\n"})  # fmt: skip
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Please give your thread a title." in text and "Please write something first." in text
    assert db.session.scalar(select(func.count(Thread.id))) == 0
    client.post(world.url("new"), data={"title": "\u200bRates?\u200b", "kind": "discussion", "lesson_id": "0",
                                        "body": "Zero\u200bwidth inside stays."})  # fmt: skip
    assert db.session.scalar(select(Thread.title)) == "Rates?"


def test_reply_with_quote_prefills_a_blockquote_and_records_the_quoted_post(world, client, use):
    thread = world.thread(body="Line one\nLine two")
    use(world.tom)
    form = client.get(world.thread_url(thread, f"/reply?quote={thread.first_post_id}")).get_data(as_text=True)
    assert "&gt; **Maya Lindqvist** wrote:" in form and "&gt; Line one" in form
    client.post(world.thread_url(thread, "/reply"),
                data={"body": "> Line one\n\nAgreed.", "quoted_post_id": str(thread.first_post_id)})  # fmt: skip
    reply = db.session.scalar(select(Post).where(Post.id != thread.first_post_id))
    assert reply.quoted_post_id == thread.first_post_id and "<blockquote>" in reply.body_html
    db.session.refresh(thread)
    assert thread.reply_count == 1 and thread.last_post_id == reply.id


def test_anonymous_posts_hide_the_name_from_peers_but_not_from_staff(world, client, use):
    thread = world.thread(title="A client story", body="They never paid.", anonymous=True)
    use(world.tom)
    peer_view = client.get(world.thread_url(thread)).get_data(as_text=True)
    assert "Anonymous peer" in peer_view and "Maya Lindqvist" not in peer_view
    assert "Maya Lindqvist" not in client.get(world.url()).get_data(as_text=True)
    use(world.instructor)
    staff_view = client.get(world.thread_url(thread)).get_data(as_text=True)
    assert "Maya Lindqvist" in staff_view and "(anonymous to peers)" in staff_view
    use(world.maya)
    own = client.get(world.thread_url(thread)).get_data(as_text=True)
    assert "You" in own and "(anonymous to peers)" in own


def test_quoting_an_anonymous_post_never_writes_its_author_into_the_reply(world, client, use):
    """A quote's header becomes part of the new post, which every reader sees: it names the author as peers see
    them, whoever quotes (staff know the name; the author sees "You"). The anonymous author quoting themselves
    replies anonymously by default, as from the thread page."""
    thread = world.thread(title="A client story", body="They never paid.", anonymous=True)
    quote_url = world.thread_url(thread, f"/reply?quote={thread.first_post_id}")
    for quoter in (world.instructor, world.tom, world.maya):
        use(quoter)
        form = client.get(quote_url).get_data(as_text=True)
        body = re.search(r'<textarea[^>]*name="body"[^>]*>(.*?)</textarea>', form, re.S).group(1)
        assert body.strip().startswith("&gt; **Anonymous peer** wrote:") and "Maya" not in body, quoter.display_name
    assert re.search(r'<input[^>]*checked[^>]*name="anonymous"|<input[^>]*name="anonymous"[^>]*checked', form)
    use(world.tom)
    assert not re.search(r'name="anonymous"[^>]*checked', client.get(quote_url).get_data(as_text=True))
    use(world.instructor)
    body = "> **Anonymous peer** wrote:\n>\n> They never paid.\n\nSorry!"
    client.post(world.thread_url(thread, "/reply"), data={"body": body, "quoted_post_id": str(thread.first_post_id)})
    use(world.tom)
    assert "Maya Lindqvist" not in client.get(world.thread_url(thread)).get_data(as_text=True)


def test_edit_shows_edited_and_delete_keeps_replies(world, client, use):
    thread = world.thread()
    reply = world.reply(thread, body="First version")
    world.reply(thread, world.maya, body="Thanks Tom!")
    use(world.tom)
    assert client.post(world.post_url(thread, reply, "edit"), data={"body": "Second version"}).status_code == 302
    page = client.get(world.thread_url(thread)).get_data(as_text=True)
    assert "Second version" in page and "edited" in page
    assert client.post(world.post_url(thread, reply, "delete")).status_code == 302
    page = client.get(world.thread_url(thread)).get_data(as_text=True)
    assert "Removed by author." in page and "Second version" not in page and "Thanks Tom!" in page


def test_only_the_author_edits_or_deletes(world, client, use):
    thread = world.thread()
    reply = world.reply(thread)
    use(world.maya)
    assert client.get(world.post_url(thread, reply, "edit")).status_code == 403
    assert client.post(world.post_url(thread, reply, "delete")).status_code == 403
    use(world.admin)
    assert client.post(world.post_url(thread, reply, "delete")).status_code == 403
    assert db.session.get(Post, reply.id).deleted_at is None


def test_editing_the_opening_post_can_change_the_title(world, client, use):
    thread = world.thread()
    use(world.maya)
    first = db.session.get(Post, thread.first_post_id)
    client.post(world.post_url(thread, first, "edit"), data={"title": "Scope creep, again", "body": "Edited"})
    db.session.refresh(thread)
    assert thread.title == "Scope creep, again"


def test_vote_counts_once_per_user_and_toggles(world, client, use):
    thread = world.thread()
    reply = world.reply(thread)
    use(world.maya)
    client.post(world.post_url(thread, reply, "vote"))
    db.session.refresh(reply)
    assert reply.vote_count == 1
    client.post(world.post_url(thread, reply, "vote"))
    db.session.refresh(reply)
    assert reply.vote_count == 0
    assert db.session.scalar(select(func.count(PostVote.id))) == 0
    client.post(world.post_url(thread, reply, "vote"))
    use(world.tom)
    client.post(world.post_url(thread, reply, "vote"))  # own post: refused
    db.session.refresh(reply)
    db.session.refresh(thread)
    assert reply.vote_count == 1 and thread.vote_count == 1
    # The thread page shows each reader their own vote.
    assert "1 found this helpful" in client.get(world.thread_url(thread)).text  # Tom wrote the reply
    use(world.maya)
    assert "✓ Helpful · 1" in client.get(world.thread_url(thread)).text
    use(world.instructor)
    page = client.get(world.thread_url(thread)).text
    assert "Helpful · 1" in page and "✓ Helpful" not in page


def test_vote_is_race_safe(world):
    from lms.discussion import services

    thread = world.thread()
    reply = world.reply(thread)
    db.session.add(PostVote(post_id=reply.id, user_id=world.maya.id))
    db.session.commit()
    # A second insert for the same (post, user) must not create a row: the unique constraint holds.
    from sqlalchemy.exc import IntegrityError

    try:
        with db.session.begin_nested():
            db.session.add(PostVote(post_id=reply.id, user_id=world.maya.id))
    except IntegrityError:
        pass
    assert db.session.scalar(select(func.count(PostVote.id))) == 1
    assert services.toggle_vote(reply, world.maya) is False  # the existing vote is taken back


def test_accepted_answer_is_shown_first_and_only_asker_or_staff_accept(world, client, use):
    thread = world.thread(kind="question")
    early = world.reply(thread, body="Early reply")
    good = world.reply(thread, world.instructor, body="The good answer")
    use(world.tom)
    assert client.post(world.post_url(thread, good, "accept")).status_code == 403
    use(world.maya)
    assert client.post(world.post_url(thread, good, "accept")).status_code == 302
    db.session.refresh(thread)
    assert thread.accepted_post_id == good.id
    page = client.get(world.thread_url(thread)).get_data(as_text=True)
    assert page.index("The good answer") < page.index("Early reply")
    assert "Accepted answer" in page
    # Shown once, on top: not again among the replies, nor the opening post.
    assert page.count("The good answer") == 1 and page.count("Asking for a friend.") == 1
    assert early.id != thread.accepted_post_id


def test_discussion_threads_have_no_accepted_answer(world, client, use):
    thread = world.thread(kind="discussion")
    reply = world.reply(thread)
    use(world.maya)
    client.post(world.post_url(thread, reply, "accept"))
    db.session.refresh(thread)
    assert thread.accepted_post_id is None


def test_unread_marks_and_jump_to_first_unread(world, client, use):
    thread = world.thread()
    use(world.tom)
    assert "is-unread" in client.get(world.url()).get_data(as_text=True)
    client.get(world.thread_url(thread))
    assert "is-unread" not in client.get(world.url()).get_data(as_text=True)
    bulk_replies(thread, world.maya, 60)
    assert "is-unread" in client.get(world.url()).get_data(as_text=True)
    response = client.get(world.thread_url(thread, "?jump=unread"))
    first_new = db.session.scalar(select(func.min(Post.id)).where(Post.id != thread.first_post_id))
    assert response.status_code == 302 and response.location.endswith(f"#post-{first_new}")
    client.get(world.thread_url(thread, "?page=2"))
    mark = db.session.scalar(select(ThreadRead).where(ThreadRead.user_id == world.tom.id))
    assert mark.last_read_post_id == thread.last_post_id
    discussion_services.mark_read(thread, world.tom, thread.first_post_id)  # an older page in another tab
    db.session.commit()
    db.session.refresh(mark)
    assert mark.last_read_post_id == thread.last_post_id, "a read mark never moves back"
    response = client.get(world.thread_url(thread, "?jump=unread"))
    assert "#" not in response.location


def test_an_accepted_answer_on_a_later_page_does_not_mark_the_pages_before_it_read(world, client, use):
    """The accepted answer is shown on top of page 1; reading page 1 must not count pages 2 and 3 as read."""
    thread = world.thread(kind="question")
    bulk_replies(thread, world.tom, 120)
    replies = db.session.scalars(select(Post.id).where(Post.id != thread.first_post_id).order_by(Post.id)).all()
    use(world.maya)
    client.post(world.post_url(thread, db.session.get(Post, replies[110]), "accept"))
    use(world.instructor)
    client.get(world.thread_url(thread))  # page 1: the question, the accepted answer, replies 1-50
    response = client.get(world.thread_url(thread, "?jump=unread"))
    assert response.location.endswith(f"?page=2#post-{replies[50]}"), response.location
    client.get(world.thread_url(thread, "?page=2"))
    client.get(world.thread_url(thread, "?page=3"))  # the last page: everything, the accepted answer too, is read
    mark = db.session.scalar(select(ThreadRead).where(ThreadRead.user_id == world.instructor.id))
    assert mark.last_read_post_id == replies[-1]
    assert "#" not in client.get(world.thread_url(thread, "?jump=unread")).location


def test_an_accepted_answer_that_is_the_newest_post_is_read_on_the_last_page(world, client, use):
    """The accepted answer appears only on top of page 1: reaching the last page counts it read too, or a thread
    whose newest post is its accepted answer stayed "New posts" forever and "jump to first unread" looped."""
    thread = world.thread(kind="question")
    bulk_replies(thread, world.tom, 56)
    replies = db.session.scalars(select(Post.id).where(Post.id != thread.first_post_id).order_by(Post.id)).all()
    use(world.maya)
    client.post(world.post_url(thread, db.session.get(Post, replies[-1]), "accept"))
    use(world.instructor)
    client.get(world.thread_url(thread))  # page 1: the question, the accepted answer, replies 1-50
    mark = db.session.scalar(select(ThreadRead).where(ThreadRead.user_id == world.instructor.id))
    assert mark.last_read_post_id == replies[49]  # not pages 2+ yet
    client.get(world.thread_url(thread, "?page=2"))
    db.session.refresh(mark)
    assert mark.last_read_post_id == replies[-1] == thread.last_post_id
    assert "is-unread" not in client.get(world.url()).get_data(as_text=True)
    assert "#" not in client.get(world.thread_url(thread, "?jump=unread")).location
    use(world.tom)
    client.get(world.thread_url(thread, "?page=9"))  # past the end: shows nothing, so marks nothing
    assert db.session.scalar(select(ThreadRead).where(ThreadRead.user_id == world.tom.id)) is None


def test_long_threads_are_paginated(world, client, use):
    thread = world.thread()
    bulk_replies(thread, world.tom, 120)
    use(world.maya)
    page1 = client.get(world.thread_url(thread)).get_data(as_text=True)
    assert "Page 1 of 3" in page1 and "Reply 0<" in page1 and "Reply 50<" not in page1
    assert 'rel="next"' in page1 and 'rel="prev"' not in page1
    page2 = client.get(world.thread_url(thread, "?page=2")).get_data(as_text=True)
    assert "Page 2 of 3" in page2 and "Reply 50<" in page2 and "Reply 49<" not in page2 and "Reply 100<" not in page2
    assert "page=1" in page2 and "page=3" in page2  # previous and next
    page3 = client.get(world.thread_url(thread, "?page=3")).get_data(as_text=True)
    assert "Reply 119<" in page3 and "Asking for a friend" not in page3
    assert 'rel="prev"' in page3 and 'rel="next"' not in page3
    beyond = client.get(world.thread_url(thread, "?page=9"))  # an old link to a page that no longer exists
    assert beyond.status_code == 200 and not re.search(r"Reply \d+<", beyond.get_data(as_text=True))


def test_board_filters_and_sort(world, client, use):
    world.thread(world.maya, title="Maya question", kind="question")
    answered = world.thread(world.tom, title="Tom question", kind="question")
    reply = world.reply(answered, world.maya, body="Answer")
    answered.accepted_post_id = reply.id
    world.thread(world.tom, title="Tom story")
    db.session.commit()
    use(world.maya)
    unanswered = client.get(world.url("?filter=unanswered")).get_data(as_text=True)
    assert "Maya question" in unanswered and "Tom question" not in unanswered and "Tom story" not in unanswered
    mine = client.get(world.url("?filter=mine")).get_data(as_text=True)
    assert "Maya question" in mine and "Tom story" not in mine
    following = client.get(world.url("?filter=following")).get_data(as_text=True)
    assert "Tom question" in following and "Tom story" not in following  # she replied there, so she follows
    world.thread(world.tom, title="Tom on the lesson", lesson=world.lesson)
    on_lesson = client.get(world.url(f"?lesson={world.lesson.id}")).get_data(as_text=True)
    assert "Tom on the lesson" in on_lesson and "Tom story" not in on_lesson and "Maya question" not in on_lesson
    mine_on_lesson = client.get(world.url(f"?lesson={world.lesson.id}&filter=mine")).get_data(as_text=True)
    assert "Tom on the lesson" not in mine_on_lesson and "Maya question" not in mine_on_lesson
    assert client.get(world.url("?filter=nonsense&sort=bogus&page=x")).status_code == 200


def test_a_thread_page_past_the_last_says_so_instead_of_showing_nothing(world, client, use):
    """An old link to page 9 of a thread showed its title, no posts and no word why."""
    thread = world.thread()
    world.reply(thread, world.tom)
    world.reply(thread, world.tom, body="Second")
    use(world.maya)
    page = client.get(world.thread_url(thread, "?page=9")).get_data(as_text=True)
    assert "There is no page 9: 2 replies fit on 1 page." in page
    assert f'href="/courses/client-communication/discussion/threads/{thread.id}?page=1">Go to the last page</a>' in page
    quiet = world.thread(title="Nobody answered yet")
    page = client.get(world.thread_url(quiet, "?page=2")).get_data(as_text=True)
    assert "There is no page 2: this thread has no replies yet." in page
    assert f'href="/courses/client-communication/discussion/threads/{quiet.id}">Go to its start</a>' in page


def test_board_pages_and_filters_count_what_they_show(world, client, use):
    bulk_threads(world.course, world.tom, 30)
    world.thread(world.maya, title="Maya question", kind="question")
    use(world.maya)
    first = client.get(world.url()).get_data(as_text=True)
    assert "Page 1 of 2" in first and "Maya question" in first and first.count('class="thread-row') == 25
    second = client.get(world.url("?page=2")).get_data(as_text=True)
    assert "Page 2 of 2" in second and second.count('class="thread-row') == 6 and "Maya question" not in second
    mine = client.get(world.url("?filter=mine")).get_data(as_text=True)
    assert mine.count('class="thread-row') == 1 and "Page 1 of" not in mine  # one page: no pager
    past_the_end = client.get(world.url("?page=3"))
    assert past_the_end.status_code == 200 and 'class="thread-row' not in past_the_end.text
    assert "There is no page 3: 31 threads fit on 2 pages." in past_the_end.text
    assert 'href="/courses/client-communication/discussion/?page=2">Go to the last page</a>' in past_the_end.text
    assert "No threads yet" not in past_the_end.text
    mine_past_the_end = client.get(world.url("?filter=mine&page=2")).text
    assert "There is no page 2: 1 thread fits on 1 page." in mine_past_the_end
    assert 'href="/courses/client-communication/discussion/?filter=mine&amp;page=1"' in mine_past_the_end


def test_lesson_threads_contract(world, make_user):
    from lms.discussion.services import recent_threads_for_lesson

    world.thread(title="About lesson one", lesson=world.lesson, anonymous=True)
    world.thread(title="General one")
    rows = recent_threads_for_lesson(world.lesson, world.tom)
    assert [r.thread.title for r in rows] == ["About lesson one"]
    assert rows[0].byline.label == "Anonymous peer" and rows[0].unread and rows[0].reply_count == 0
    assert recent_threads_for_lesson(world.lesson, world.outsider) == []
    from flask import render_template

    html = render_template("discussion/_lesson_threads.html", course=world.course, lesson=world.lesson, threads=rows)
    assert "About lesson one" in html and f"lesson={world.lesson.id}" in html and "Start a discussion" in html


def test_post_permalinks_land_on_the_posts_page(world, client, use):
    thread = world.thread(kind="question")
    bulk_replies(thread, world.tom, 60)
    replies = db.session.scalars(select(Post.id).where(Post.thread_id == thread.id, Post.id != thread.first_post_id)
                                 .order_by(Post.id)).all()  # fmt: skip
    use(world.maya)
    client.post(f"/courses/client-communication/discussion/threads/{thread.id}/posts/{replies[55]}/accept")
    db.session.refresh(thread)
    assert thread.accepted_post_id == replies[55]

    def lands(post_id):
        return client.get(f"/courses/client-communication/discussion/posts/{post_id}").location

    base = world.thread_url(thread)
    assert lands(thread.first_post_id).endswith(f"{base}#post-{thread.first_post_id}")
    assert lands(replies[55]).endswith(f"{base}#post-{replies[55]}")  # the accepted answer is on top of page 1
    assert lands(replies[49]).endswith(f"{base}#post-{replies[49]}")  # the 50th other reply
    assert lands(replies[50]).endswith(f"{base}?page=2#post-{replies[50]}")
    assert lands(replies[59]).endswith(f"{base}?page=2#post-{replies[59]}")


def test_lesson_threads_are_unread_per_reader(world, client, use):
    from lms.discussion.services import recent_threads_for_lesson

    thread = world.thread(title="About lesson one", lesson=world.lesson)
    use(world.tom)
    client.get(world.thread_url(thread))
    assert [row.unread for row in recent_threads_for_lesson(world.lesson, world.tom)] == [False]
    assert [row.unread for row in recent_threads_for_lesson(world.lesson, world.instructor)] == [True]
    world.reply(thread, world.maya, body="Something new")
    assert [row.unread for row in recent_threads_for_lesson(world.lesson, world.tom)] == [True]


def test_recent_replies_contract(world):
    from lms.discussion.services import recent_replies_for_user

    thread = world.thread()
    world.reply(thread, world.tom, body="Anon reply", anonymous=True)
    world.reply(thread, world.maya, body="My own reply")
    items = recent_replies_for_user(world.maya)
    assert len(items) == 1
    item = items[0]
    assert item["author_label"] == "Anonymous peer" and item["course_slug"] == "client-communication"
    assert item["thread_title"] == thread.title and item["url"].startswith("/courses/client-communication/")
    named = world.reply(thread, world.tom, body="Signed reply")
    newest = recent_replies_for_user(world.maya)[0]
    assert newest["author_label"] == world.tom.display_name and newest["created_at"] == named.created_at
    assert newest["url"].endswith(f"/posts/{named.id}") and newest["course_title"] == world.course.title
    assert recent_replies_for_user(world.outsider) == []


def test_recent_replies_name_anonymous_authors_to_course_staff_only(world):
    from lms.discussion.services import recent_replies_for_user

    staff_thread = world.thread(author=world.instructor, title="Questions for the instructor")
    world.reply(staff_thread, world.maya, body="Asking quietly", anonymous=True)
    assert [item["author_label"] for item in recent_replies_for_user(world.instructor)] == ["Maya Lindqvist"]
    learner_thread = world.thread(author=world.tom, title="Peers only")
    world.reply(learner_thread, world.maya, body="Also quietly", anonymous=True)
    assert [item["author_label"] for item in recent_replies_for_user(world.tom)] == ["Anonymous peer"]


def test_recent_replies_leave_out_people_blocked_either_way_but_not_for_staff(world, client, use):
    """A block keeps the two apart: the replies of someone Maya blocked (or who blocked her) do not reach her bell,
    so the dashboard's "Recent replies" must not bring them back either. The course's staff still see them."""
    from lms.discussion.services import recent_replies_for_user
    from lms.peers import directory

    thread = world.thread(title="Rates for 2025")
    discussion_services.follow_thread(thread, world.instructor)
    world.reply(thread, world.tom, body="Yours are too low, as always")
    use(world.maya)
    assert "Rates for 2025" in client.get("/").get_data(as_text=True)
    directory.block(world.maya, world.tom)
    db.session.commit()
    assert recent_replies_for_user(world.maya) == []
    assert "Rates for 2025" not in client.get("/").get_data(as_text=True)
    assert [item["thread_title"] for item in recent_replies_for_user(world.instructor)] == ["Rates for 2025"]
    directory.unblock(world.maya, world.tom)
    directory.block(world.tom, world.maya)
    db.session.commit()
    assert recent_replies_for_user(world.maya) == []
    directory.unblock(world.tom, world.maya)
    db.session.commit()
    assert [item["thread_title"] for item in recent_replies_for_user(world.maya)] == ["Rates for 2025"]


def test_thread_titles_lose_direction_controls_when_written_edited_or_renamed(world, client, use):
    """A right-to-left override in a title turned round the text after it wherever the title is quoted ("Tom
    replied in <title>"); it is dropped, and a title of nothing else is refused like an empty one."""
    use(world.maya)
    response = client.post(world.url("new"), data={"title": "\u202e", "kind": "discussion", "lesson_id": "0",
                                                   "body": "Hello"})  # fmt: skip
    assert response.status_code == 400 and "Please give your thread a title." in response.get_data(as_text=True)
    client.post(world.url("new"), data={"title": "Rates \u202eetad\u202c?", "kind": "discussion", "lesson_id": "0",
                                        "body": "Hello"})  # fmt: skip
    thread = db.session.scalar(select(Thread))
    assert thread.title == "Rates etad?"
    opening = db.session.get(Post, thread.first_post_id)
    client.post(world.post_url(thread, opening, "edit"), data={"title": "\u2067Deposits\u2069 first", "body": "Hi"})
    db.session.refresh(thread)
    assert thread.title == "Deposits first"
    use(world.instructor)
    client.post(world.thread_url(thread, "/rename"), data={"title": "Deposits \u202dup front", "reason": "Clearer"})
    db.session.refresh(thread)
    assert thread.title == "Deposits up front"


def test_a_hidden_post_cannot_be_quoted_back_into_view(world, client, use):
    """Its author and staff can still read a hidden post, but quoting it would republish what a moderator took
    down: no Quote button on it, and the quote link gives an empty reply box."""
    from lms.discussion import moderation

    thread = world.thread()
    post = world.reply(thread, world.tom, body="Name and shame: client X")
    moderation.hide_post(world.course, thread, post, world.instructor, "Names a client")
    db.session.commit()
    quote_link = f"/reply?quote={post.id}"
    for reader in (world.tom, world.instructor):
        use(reader)
        assert quote_link not in client.get(world.thread_url(thread)).get_data(as_text=True), reader.email
        form = client.get(world.thread_url(thread, quote_link)).get_data(as_text=True)
        assert "Name and shame" not in form, reader.email
        client.post(world.thread_url(thread, "/reply"), data={"body": "Noted.", "quoted_post_id": str(post.id)})
    assert db.session.scalars(select(Post.quoted_post_id).where(Post.body_md == "Noted.")).all() == [None, None]


def test_head_on_the_reply_page_answers_as_get_does(world, client, use):
    """Link checkers and link previews ask with HEAD: the reply page answered it as a refused form (400)."""
    thread = world.thread()
    use(world.tom)
    for suffix in ("/reply", f"/reply?quote={thread.first_post_id}"):
        assert client.head(world.thread_url(thread, suffix)).status_code == 200, suffix
    assert db.session.scalar(select(func.count(Post.id))) == 1


def test_a_post_with_an_http_image_is_sent_back_with_its_text_and_a_way_to_fix_it(world, client, use):
    """An http:// image never shows (we keep https and uploads only): the post used to go up without it and
    without a word. Now the author is told which image and what to do, with the text still in the box."""
    use(world.maya)
    body = "My proposal layout:\n\n![layout](http://images.example/layout.png)\n\nThoughts?"
    response = client.post(world.url("new"), data={"title": "Proposal layout", "kind": "discussion", "lesson_id": "0",
                                                   "body": body})  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and db.session.scalar(select(Thread.id)) is None  # as for any refused post
    assert "This image cannot be shown: http://images.example/layout.png" in page and "https://" in page
    assert "My proposal layout:" in page  # nothing typed is lost
    fixed = body.replace("http://", "https://")
    assert client.post(world.url("new"), data={"title": "Proposal layout", "kind": "discussion", "lesson_id": "0",
                                               "body": fixed}).status_code == 302  # fmt: skip
    thread = db.session.scalar(select(Thread))
    assert 'src="https://images.example/layout.png"' in db.session.get(Post, thread.first_post_id).body_html
    refused = client.post(world.thread_url(thread, "/reply"), data={"body": '<img src="HTTP://x.example/a.png" alt="">'})
    assert refused.status_code == 400 and "This image cannot be shown: HTTP://x.example/a.png" in refused.text
