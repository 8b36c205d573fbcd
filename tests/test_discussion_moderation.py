"""Discussion moderation: pin, lock, hide, move, reports — with audit entries and author notifications."""

from sqlalchemy import select

from lms.extensions import db
from lms.models import AuditEntry, Notification
from lms.models.discussion import Post, PostReport, Thread
from tests.discussion_helpers import use, world  # noqa: F401 (fixtures)


def _audit_actions():
    return [entry.action for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_pinned_threads_come_first(world, client, use):
    old = world.thread(title="Welcome and house rules")
    world.thread(title="Newer thread")
    use(world.instructor)
    client.post(world.thread_url(old, "/pin"))
    use(world.tom)
    board = client.get(world.url()).get_data(as_text=True)
    assert board.index("Welcome and house rules") < board.index("Newer thread") and "Pinned" in board
    assert "discussion.pin" in _audit_actions()


def test_a_locked_thread_keeps_its_posts_as_they_are(world, client, use):
    thread = world.thread()
    reply = world.reply(thread, body="Keep me")
    use(world.instructor)
    client.post(world.thread_url(thread, "/lock"), data={"reason": "Answered"})
    use(world.tom)
    assert client.post(world.post_url(thread, reply, "delete")).status_code == 403
    assert client.post(world.post_url(thread, reply, "edit"), data={"body": "Changed"}).status_code == 403
    db.session.refresh(reply)
    assert (reply.body_md, reply.deleted_at) == ("Keep me", None)


def test_the_asker_cannot_change_the_accepted_answer_of_a_locked_thread(world, client, use):
    thread = world.thread(kind="question")
    first = world.reply(thread, world.tom, body="First answer")
    second = world.reply(thread, world.tom, body="Second answer")
    use(world.maya)
    client.post(world.post_url(thread, first, "accept"))
    use(world.instructor)
    client.post(world.thread_url(thread, "/lock"), data={"reason": "Answered"})
    use(world.maya)
    assert "Accept answer" not in client.get(world.thread_url(thread)).get_data(as_text=True)
    response = client.post(world.post_url(thread, second, "accept"))
    assert response.status_code == 403 and "This thread is locked" in response.get_data(as_text=True)
    assert client.post(world.post_url(thread, first, "accept")).status_code == 403  # nor unmark it
    db.session.refresh(thread)
    assert thread.accepted_post_id == first.id
    use(world.instructor)  # staff still can
    assert "Accept answer" in client.get(world.thread_url(thread)).get_data(as_text=True)
    client.post(world.post_url(thread, second, "accept"))
    db.session.refresh(thread)
    assert thread.accepted_post_id == second.id


def test_lock_blocks_replies_and_says_why(world, client, use):
    thread = world.thread()
    use(world.instructor)
    assert client.post(world.thread_url(thread, "/lock"), data={"reason": ""}).status_code == 400
    client.post(world.thread_url(thread, "/lock"), data={"reason": "Answered; see the pinned FAQ"})
    use(world.tom)
    page = client.get(world.thread_url(thread)).get_data(as_text=True)
    assert "This thread is locked" in page and "Answered; see the pinned FAQ" in page and "Post reply" not in page
    response = client.post(world.thread_url(thread, "/reply"), data={"body": "Sneaky"}, follow_redirects=True)
    assert "locked" in response.get_data(as_text=True)
    assert db.session.scalar(select(Post).where(Post.body_md == "Sneaky")) is None
    assert db.session.scalar(select(Notification).where(Notification.user_id == world.maya.id,
                                                        Notification.kind == "moderation"))  # fmt: skip
    use(world.instructor)
    client.post(world.thread_url(thread, "/unlock"))
    use(world.tom)
    client.post(world.thread_url(thread, "/reply"), data={"body": "Now it works"})
    assert db.session.scalar(select(Post).where(Post.body_md == "Now it works")) is not None
    assert {"discussion.lock", "discussion.unlock"} <= set(_audit_actions())


def test_hidden_post_visible_to_author_and_staff_only(world, client, use):
    thread = world.thread()
    reply = world.reply(thread, body="Buy my course at spam.example")
    use(world.instructor)
    client.post(world.post_url(thread, reply, "hide"), data={"reason": "Advertising"})
    use(world.maya)
    page = client.get(world.thread_url(thread)).get_data(as_text=True)
    assert "Hidden by a moderator." in page and "spam.example" not in page and "Advertising" not in page
    use(world.tom)
    page = client.get(world.thread_url(thread)).get_data(as_text=True)
    assert "spam.example" in page and "Advertising" in page
    use(world.admin)
    assert "spam.example" in client.get(world.thread_url(thread)).get_data(as_text=True)
    client.post(world.post_url(thread, reply, "unhide"))
    use(world.maya)
    assert "spam.example" in client.get(world.thread_url(thread)).get_data(as_text=True)
    assert {"discussion.hide", "discussion.unhide"} <= set(_audit_actions())


def test_a_hidden_post_cannot_be_edited_by_its_author(world, client, use):
    """Its author still reads a hidden post, but an edit would reach everyone: above all a new thread title."""
    thread = world.thread(title="Rates for juniors")
    opening = db.session.get(Post, thread.first_post_id)
    use(world.instructor)
    client.post(world.post_url(thread, opening, "hide"), data={"reason": "Off topic"})
    use(world.maya)
    assert f"/posts/{opening.id}/edit" not in client.get(world.thread_url(thread)).get_data(as_text=True)
    page = client.get(world.post_url(thread, opening, "edit"))
    assert page.status_code == 403 and "A moderator hid this post" in page.get_data(as_text=True)
    response = client.post(world.post_url(thread, opening, "edit"), data={"title": "Buy my course", "body": "Spam"})
    assert response.status_code == 403
    db.session.refresh(thread)
    db.session.refresh(opening)
    assert (thread.title, opening.body_md) == ("Rates for juniors", "Asking for a friend.")
    use(world.instructor)
    client.post(world.post_url(thread, opening, "unhide"))
    use(world.maya)
    assert client.get(world.post_url(thread, opening, "edit")).status_code == 200, "shown again: editable again"


def test_move_to_another_lesson_of_the_same_course_only(world, client, use):
    thread = world.thread()
    other_lesson = world.other_course.modules[0].lessons[0]
    second = world.course.modules[0].lessons[1]
    use(world.instructor)
    client.post(world.thread_url(thread, "/move"), data={"lesson_id": str(second.id)})
    db.session.refresh(thread)
    assert thread.lesson_id == second.id
    response = client.post(world.thread_url(thread, "/move"), data={"lesson_id": str(other_lesson.id)})
    assert response.status_code == 400  # not one of this course's lessons
    db.session.refresh(thread)
    assert thread.lesson_id == second.id
    client.post(world.thread_url(thread, "/move"), data={"lesson_id": "0"})
    db.session.refresh(thread)
    assert thread.lesson_id is None and "discussion.move" in _audit_actions()


def test_report_queue(world, client, use):
    thread = world.thread()
    reply = world.reply(thread, body="Rude words")
    use(world.maya)
    assert client.post(world.post_url(thread, reply, "report"), data={"reason": ""}).status_code == 400
    client.post(world.post_url(thread, reply, "report"), data={"reason": "Insulting a peer"})
    client.post(world.post_url(thread, reply, "report"), data={"reason": "Insulting a peer"})  # a double click
    client.post(world.post_url(thread, reply, "report"), data={"reason": "And again in another thread"})
    assert [r.reason for r in db.session.scalars(select(PostReport))] == [
        "Insulting a peer / And again in another thread"], "one open report per reader and post"
    use(world.tom)
    assert client.get(world.post_url(thread, reply, "report")).status_code == 404  # own post
    assert client.get(world.url("reports")).status_code == 403
    use(world.other_instructor)
    assert client.get(world.url("reports")).status_code == 403
    use(world.instructor)
    queue = client.get(world.url("reports")).get_data(as_text=True)
    assert "Insulting a peer" in queue and "Rude words" in queue and queue.count("Rude words") == 1
    report = db.session.scalar(select(PostReport))
    client.post(world.url(f"reports/{report.id}/resolve"), data={"resolution": "Talked to Tom"})
    assert "Insulting a peer" not in client.get(world.url("reports")).get_data(as_text=True)
    db.session.refresh(report)
    assert report.resolved_by_id == world.instructor.id and "discussion.resolve_report" in _audit_actions()


def test_moderation_is_for_staff_of_this_course_and_admins(world, client, use):
    thread = world.thread()
    reply = world.reply(thread)
    actions = [
        ("post", world.thread_url(thread, "/pin"), {}),
        ("post", world.thread_url(thread, "/lock"), {"reason": "x"}),
        ("post", world.thread_url(thread, "/unlock"), {}),
        ("post", world.post_url(thread, reply, "hide"), {"reason": "x"}),
        ("post", world.post_url(thread, reply, "unhide"), {}),
        ("post", world.thread_url(thread, "/move"), {"lesson_id": "0"}),
        ("post", world.thread_url(thread, "/rename"), {"title": "Renamed", "reason": "x"}),
        ("get", world.url("reports"), {}),
    ]
    for user in (world.maya, world.tom, world.outsider, world.other_instructor):
        use(user)
        for method, url, data in actions:
            response = getattr(client, method)(url, data=data) if method == "post" else client.get(url)
            assert response.status_code == 403, (user.email, url)
    db.session.refresh(thread)
    assert not thread.pinned and not thread.locked
    use(world.admin)
    for method, url, data in actions:
        response = getattr(client, method)(url, data=data) if method == "post" else client.get(url)
        assert response.status_code in (200, 302), url


def test_objects_of_another_course_are_not_reachable(world, client, use, make_user):
    from lms.discussion import services
    from tests.factories import enrol

    enrol(world.maya, world.other_course)
    other = services.create_thread(world.other_course, world.maya, title="Elsewhere", body="Other course")
    db.session.commit()
    use(world.maya)
    assert client.get(world.thread_url(other)).status_code == 404
    assert client.post(world.post_url(other, db.session.get(Post, other.first_post_id), "vote")).status_code == 404
    mine = world.thread()
    # A post of another thread through this thread's URL.
    assert client.post(world.post_url(mine, db.session.get(Post, other.first_post_id), "delete")).status_code == 404
    use(world.instructor)
    assert client.post(world.thread_url(other, "/pin")).status_code == 404
    db.session.refresh(other)
    assert not other.pinned
    assert db.session.scalar(select(Thread).where(Thread.title == "Elsewhere")).first_post_id


def test_a_threads_helpful_count_is_that_of_its_visible_posts(world, client, use):
    """The board's "helpful" count, and the "Most helpful" sort, leave out votes of removed and hidden posts."""
    thread = world.thread(title="Rates for juniors")
    spam = world.reply(thread, world.tom, body="Buy my course")
    kept = world.reply(thread, world.tom, body="Charge by the project")
    gone = world.reply(thread, world.tom, body="I will take this back")
    other = world.thread(world.tom, title="Contracts")
    other_reply = world.reply(other, world.maya, body="Use a template")
    for voter in (world.maya, world.instructor):
        use(voter)
        for post in (spam, kept, gone):
            client.post(world.post_url(thread, post, "vote"))
    use(world.tom)
    client.post(world.post_url(other, other_reply, "vote"))

    def thread_votes():
        db.session.expire_all()
        return db.session.get(Thread, thread.id).vote_count

    assert thread_votes() == 6
    client.post(world.post_url(thread, gone, "delete"))
    assert thread_votes() == 4
    use(world.instructor)
    client.post(world.post_url(thread, spam, "hide"), data={"reason": "Advertising"})
    client.post(world.post_url(thread, spam, "hide"), data={"reason": "Advertising, twice"})  # hidden already
    assert thread_votes() == 2
    client.post(world.post_url(thread, spam, "vote"))  # staff still see it and take their vote back
    assert thread_votes() == 2
    use(world.maya)
    board = client.get(world.url("?sort=top")).get_data(as_text=True)
    row = board[board.index("Rates for juniors"):]
    assert "<strong>2</strong> helpful" in row[: row.index("</li>")]
    use(world.instructor)
    client.post(world.post_url(thread, spam, "unhide"))
    client.post(world.post_url(thread, spam, "unhide"))  # visible already
    assert thread_votes() == 3  # Maya's vote on it counts again; the instructor took theirs back
    client.post(world.post_url(thread, gone, "hide"), data={"reason": "Removed anyway"})
    client.post(world.post_url(thread, gone, "unhide"))
    assert thread_votes() == 3, "a removed post's votes stay out"


def test_a_reported_post_keeps_its_evidence_after_its_author_edits_or_deletes_it(world, client, use):
    thread = world.thread()
    reply = world.reply(thread, world.tom, body="You are all idiots")
    use(world.maya)
    client.post(world.post_url(thread, reply, "report"), data={"reason": "Insulting"})
    use(world.tom)
    client.post(world.post_url(thread, reply, "edit"), data={"body": "Have a nice day"})
    use(world.instructor)
    queue = client.get(world.url("reports")).get_data(as_text=True)
    assert "You are all idiots" in queue and "Edited by its author since" in queue and "Have a nice day" not in queue
    use(world.tom)
    client.post(world.post_url(thread, reply, "delete"))
    db.session.refresh(reply)
    assert reply.deleted_at is not None and reply.body_md == ""  # the post itself keeps no text
    use(world.instructor)
    queue = client.get(world.url("reports")).get_data(as_text=True)
    assert "You are all idiots" in queue and "Removed by its author since" in queue
    assert "Hide post" not in queue and f"/posts/{reply.id}/hide" not in queue
    response = client.post(world.post_url(thread, reply, "hide"), data={"reason": "Insulting"}, follow_redirects=True)
    assert response.status_code == 200 and "nothing left to hide" in response.get_data(as_text=True)
    db.session.refresh(reply)
    assert reply.hidden_at is None
    use(world.maya)
    assert "You are all idiots" not in client.get(world.thread_url(thread)).get_data(as_text=True)


def test_a_reporters_data_download_keeps_the_staff_side_of_the_report_and_removed_words_out(world, client, use):
    """Maya's own report is hers to download (what she reported, why, when it was dealt with); the words Tom
    removed since, the moderator's note and who wrote it are not: the app shows her none of them."""
    thread = world.thread()
    reply = world.reply(thread, world.tom, body="You are all idiots")
    use(world.maya)
    client.post(world.post_url(thread, reply, "report"), data={"reason": "Insulting"})
    use(world.tom)
    client.post(world.post_url(thread, reply, "delete"))
    use(world.instructor)
    report = db.session.scalar(select(PostReport))
    client.post(world.url(f"reports/{report.id}/resolve"), data={"resolution": "Tom was warned twice already"})
    use(world.maya)
    download = client.get("/progress/my-data.json")
    [mine] = download.get_json()["discussion_reports_made"]
    assert mine["post_id"] == reply.id and mine["reason"] == "Insulting" and mine["resolved_at"]
    text = download.get_data(as_text=True)
    assert "You are all idiots" not in text and "warned twice" not in text and "resolved_by_id" not in text


def test_a_replaced_title_leaves_no_ones_notifications_quoting_the_old_one(world, client, use):
    """The board and the thread show the new title; the bell and a digest still to come must not keep the old."""
    from lms.discussion import services

    services.set_board_follow(world.course, world.tom, True)
    thread = world.thread(title="Tom is a fraud")
    world.reply(thread, world.tom, body="That is not fair")
    other = world.thread(title="Tom is a fraud, part two?")  # another thread that quotes the same words
    use(world.instructor)
    client.post(world.thread_url(thread, "/rename"), data={"title": "A dispute", "reason": "Names a peer"})
    messages = [n.message for n in db.session.scalars(select(Notification).order_by(Notification.id))]
    assert "Maya Lindqvist started “A dispute” in Client communication" in messages
    assert "Tom Okafor replied in “A dispute”" in messages
    assert not [m for m in messages if "“Tom is a fraud”" in m], messages
    assert any("“Tom is a fraud, part two?”" in m for m in messages), "other threads keep their titles"
    assert other.title == "Tom is a fraud, part two?"


def test_staff_can_replace_an_abusive_thread_title(world, client, use):
    thread = world.thread(title="Tom is a fraud")
    use(world.tom)
    assert client.post(world.thread_url(thread, "/rename"), data={"title": "Mine", "reason": "x"}).status_code == 403
    use(world.instructor)
    assert "Rename" in client.get(world.thread_url(thread)).get_data(as_text=True)
    form = client.get(world.thread_url(thread, "/rename")).get_data(as_text=True)
    assert 'value="Tom is a fraud"' in form
    response = client.post(world.thread_url(thread, "/rename"), data={"title": "  ", "reason": "Insulting"})
    assert response.status_code == 400 and "Please give the thread a title." in response.get_data(as_text=True)
    client.post(world.thread_url(thread, "/rename"), data={"title": "Dealing with a client dispute",
                                                           "reason": "Names a peer"})  # fmt: skip
    use(world.tom)
    for page in (client.get(world.url()), client.get(world.thread_url(thread))):
        text = page.get_data(as_text=True)
        assert "Dealing with a client dispute" in text and "Tom is a fraud" not in text
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "discussion.rename"))
    assert "Tom is a fraud" in entry.detail and "Names a peer" in entry.detail
    note = db.session.scalar(select(Notification).where(Notification.user_id == world.maya.id,
                                                        Notification.kind == "moderation"))  # fmt: skip
    assert "Dealing with a client dispute" in note.message and "Names a peer" in note.message


def test_the_author_cannot_put_back_a_title_staff_replaced(world, client, use):
    """Staff renamed an abusive title: editing the opening post keeps the staff's title (the body still edits)."""
    thread = world.thread(title="Tom is a fraud")
    first = db.session.get(Post, thread.first_post_id)
    use(world.instructor)
    client.post(world.thread_url(thread, "/rename"), data={"title": "A client dispute", "reason": "Names a peer"})
    use(world.maya)
    form = client.get(world.post_url(thread, first, "edit")).get_data(as_text=True)
    assert 'name="title"' not in form and "A moderator renamed this thread" in form
    client.post(world.post_url(thread, first, "edit"), data={"title": "Tom is a fraud", "body": "Edited"})
    db.session.refresh(thread)
    db.session.refresh(first)
    assert thread.title == "A client dispute" and first.body_md == "Edited"


def test_the_report_queue_says_when_the_reported_author_posted_anonymously(world, client, use):
    """Staff see who wrote it, as on the thread page, and also that peers do not: a moderator answering the report
    in the thread must not name them by mistake."""
    thread = world.thread()
    anonymous = world.reply(thread, body="Rude words", anonymous=True)
    named = world.reply(thread, body="More rude words")
    use(world.maya)
    for post in (anonymous, named):
        client.post(world.post_url(thread, post, "report"), data={"reason": "Insulting a peer"})
    use(world.instructor)
    queue = client.get(world.url("reports")).get_data(as_text=True)
    assert queue.count("Tom Okafor") == 2 and queue.count("anonymous to peers") == 1


def test_moderation_reasons_and_reports_lose_direction_controls(world, client, use):
    """A reason is shown inside other text ("This thread is locked: <reason>", "A moderator hid your post in ...:
    <reason>", the report queue): a right-to-left override in it turned round the rest of the line, as in titles
    (found by exploratory testing)."""
    thread = world.thread()
    post = world.reply(thread, world.tom, body="Name and shame: client X")
    use(world.maya)
    client.post(world.post_url(thread, post, "report"), data={"reason": "\u202eNames a client"})
    use(world.instructor)
    client.post(world.post_url(thread, post, "hide"), data={"reason": "Names \u202ea client"})
    client.post(world.thread_url(thread, "/lock"), data={"reason": "\u2067Answered\u2069, see the FAQ"})
    db.session.expire_all()
    assert db.session.scalar(select(PostReport.reason)) == "Names a client"
    assert db.session.get(Post, post.id).hidden_reason == "Names a client"
    assert db.session.get(Thread, thread.id).lock_reason == "Answered, see the FAQ"
    messages = db.session.scalars(select(Notification.message).where(Notification.kind == "moderation")).all()
    assert messages and not any("\u202e" in m or "\u2067" in m for m in messages)


def test_a_hidden_or_removed_post_leaves_no_unread_notice_of_it_in_bells_or_digests(world, client, use, outbox):
    """Once a moderator hides a post (or its author removes it), the people it mentioned or who follow the thread
    must not still find "Tom mentioned you" in their bell, nor get it in the next digest: the link leads to a post
    they can no longer read. Staff, who still read a hidden post, keep theirs; the author keeps the moderation
    notice."""
    from lms.discussion import events, services

    world.maya.email_preference = "daily"
    services.set_board_follow(world.course, world.instructor, True)
    thread = world.thread()
    hidden = world.reply(thread, world.tom, body="@Maya you clearly have no idea what you are doing")
    removed = world.reply(thread, world.tom, body="@Maya and another thing")
    kept = world.reply(thread, world.tom, body="Sorry, that was rude.")

    def notices(user):
        return {n.url.rsplit("/", 1)[-1] for n in db.session.scalars(select(Notification).where(
            Notification.user_id == user.id, Notification.kind != "moderation"))}  # fmt: skip

    ids = {str(hidden.id), str(removed.id), str(kept.id)}
    assert ids <= notices(world.maya) and ids <= notices(world.instructor)
    use(world.instructor)
    client.post(world.post_url(thread, hidden, "hide"), data={"reason": "Personal attack"})
    use(world.tom)
    client.post(world.post_url(thread, removed, "delete"))
    assert notices(world.maya) & ids == {str(kept.id)}
    assert notices(world.instructor) & ids == {str(hidden.id), str(kept.id)}, "staff still read the hidden post"
    assert "A moderator hid your post" in " ".join(
        n.message for n in db.session.scalars(select(Notification).where(Notification.user_id == world.tom.id)))
    use(world.maya)
    assert "mentioned you" not in client.get("/notifications/").get_data(as_text=True)
    assert events.send_digests("daily") == 1
    (digest,) = [m for m in outbox() if m["To"] == world.maya.email]
    assert f"/posts/{kept.id}" in digest.get_content() and "mentioned you" not in digest.get_content()
