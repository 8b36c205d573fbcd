"""Following, @mentions, notifications and e-mail digests: each event reaches each person exactly once."""

import re

from sqlalchemy import select

from lms.discussion.people import find_mentioned_members, link_mentions
from lms.extensions import db
from lms.models import Notification
from lms.models.discussion import Post
from tests.discussion_helpers import use, world  # noqa: F401 (fixtures)


def _notes(user):
    query = select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    return db.session.scalars(query).all()


def test_reply_notifies_followers_once_and_never_the_author(world):
    thread = world.thread()
    world.reply(thread, world.tom, body="First")
    assert [n.kind for n in _notes(world.maya)] == ["reply"]
    assert _notes(world.tom) == []  # his own reply
    world.reply(thread, world.maya, body="Thanks")
    assert [n.kind for n in _notes(world.tom)] == ["reply"]  # he follows since he replied
    assert len(_notes(world.maya)) == 1


def test_follower_who_is_also_mentioned_gets_one_notification(world):
    from lms.discussion import services

    thread = world.thread()
    services.set_board_follow(world.course, world.maya, True)
    world.reply(thread, world.tom, body="@MayaLindqvist what did the client say?")
    notes = _notes(world.maya)
    assert [n.kind for n in notes] == ["mention"]
    assert "mentioned you" in notes[0].message and notes[0].url.startswith("/courses/client-communication/")


def test_mentions_link_members_only_and_leave_others_plain(world):
    source = ('Ask @tomokafor or @"Maya Lindqvist". Not @OlgaOutsider, not @nobody, '
              'not `@TomOkafor` in code, not mail@TomOkafor.com.')  # fmt: skip
    members = find_mentioned_members(world.course, source)
    assert {u.id for u in members.values()} == {world.tom.id, world.maya.id}
    linked = link_mentions(source, members)
    assert f"[@Tom Okafor](/auth/people/{world.tom.id})" in linked
    assert f"[@Maya Lindqvist](/auth/people/{world.maya.id})" in linked
    assert "@OlgaOutsider" in linked and "`@TomOkafor`" in linked and "mail@TomOkafor.com" in linked


def test_mentions_of_names_with_accented_capitals_work_on_every_database(world, make_user):
    """The handle is the name without spaces in lower case; SQLite's own lower() folded ASCII letters only."""
    from tests.factories import enrol

    olga, emile = make_user("olga@example.com", "Ölga Ünal"), make_user("emile@example.com", "Émile Zoë")
    for person in (olga, emile):
        enrol(person, world.course)
    members = find_mentioned_members(world.course, 'Thanks @ÖlgaÜnal and @"Émile Zoë"!')
    assert {user.id for user in members.values()} == {olga.id, emile.id}
    thread = world.thread()
    world.reply(thread, world.tom, body="@ölgaünal what do you think?")
    assert [n.kind for n in _notes(olga)] == ["mention"]


def test_mention_in_a_post_is_linked_in_stored_html_and_notifies(world):
    thread = world.thread()
    post = world.reply(thread, world.tom, body='Hi @"Ivo Instructor", and @nobody.')
    assert f'href="/auth/people/{world.instructor.id}"' in post.body_html and "@nobody" in post.body_html
    assert [n.kind for n in _notes(world.instructor)] == ["mention"]


def test_quoting_a_mention_notifies_nobody_again(world):
    """The quoted author mentioned them, and they were told then; the quoter's own mentions still count."""
    thread = world.thread()
    original = world.reply(thread, world.tom, body='Ask @"Maya Lindqvist" and @IvoInstructor.')
    assert len(_notes(world.maya)) == 1 and [n.kind for n in _notes(world.instructor)] == ["mention"]
    quote = '> **Tom Okafor** wrote:\n>\n> Ask @"Maya Lindqvist" and @IvoInstructor.\n\nAgreed, Tom.'
    reply = world.reply(thread, world.admin, body=quote, quoted_post=original)
    assert f'href="/auth/people/{world.maya.id}"' in reply.body_html, "the quote still links the names"
    assert [n.kind for n in _notes(world.instructor)] == ["mention"], "nobody is mentioned twice"
    world.reply(thread, world.admin, body=quote + " @IvoInstructor, what do you say?")
    assert [n.kind for n in _notes(world.instructor)] == ["mention", "mention"]


def test_a_long_e_mail_subject_is_cut_between_words_with_an_ellipsis(world, outbox):
    thread = world.thread(title="How do you price a retainer for agencies that keep adding small requests?")
    world.reply(thread, world.tom, body="@IvoInstructor what do you think?")
    subject = [m["Subject"] for m in outbox() if m["To"] == world.instructor.email][-1]
    assert subject.endswith("…") and subject.startswith("Sparetime · ")
    assert subject[:-1].split(" ")[-1] in thread.title.split(" "), "cut between words"


def test_editing_notifies_only_newly_mentioned(world, client, use):
    thread = world.thread()
    post = world.reply(thread, world.tom, body="cc @IvoInstructor")
    use(world.tom)
    client.post(world.post_url(thread, post, "edit"), data={"body": "cc @IvoInstructor and @MayaLindqvist"})
    assert [n.kind for n in _notes(world.instructor)] == ["mention"]
    assert [n.kind for n in _notes(world.maya)] == ["reply", "mention"]


def test_taking_a_mention_out_and_back_in_does_not_call_them_again(world, client, use, outbox):
    """Edit after edit, alternating a post between no mention and a mention, notified (and e-mailed) Ivo every
    second time: a post calls each person once."""
    thread = world.thread()
    post = world.reply(thread, world.tom, body="Hello")
    use(world.tom)
    mails_before = len(outbox())
    for round_ in range(4):
        client.post(world.post_url(thread, post, "edit"), data={"body": f"ping @IvoInstructor ({round_})"})
        client.post(world.post_url(thread, post, "edit"), data={"body": f"hello ({round_})"})
    assert [n.kind for n in _notes(world.instructor)] == ["mention"]
    assert len([m for m in outbox()[mails_before:] if m["To"] == world.instructor.email]) <= 1


def test_anonymous_author_stays_anonymous_in_notifications_to_peers(world, outbox):
    thread = world.thread(world.tom, title="Need a hand")
    world.reply(thread, world.maya, body="A client once did this to me", anonymous=True)
    note = _notes(world.tom)[0]
    assert "Anonymous peer" in note.message and "Maya" not in note.message
    mails = [m for m in outbox() if m["To"] == world.tom.email]
    assert mails and "Maya" not in mails[-1].get_content() and "Maya" not in mails[-1]["Subject"]


def test_accepted_answer_notifies_the_answer_author(world, client, use):
    thread = world.thread(kind="question")
    post = world.reply(thread, world.tom)
    use(world.maya)
    client.post(world.post_url(thread, post, "accept"))
    assert [n.kind for n in _notes(world.tom)] == ["accepted"]


def test_a_report_tells_the_courses_moderators_once(world, client, use):
    """Staff of the course and admins hear of a report, as for reports in the people directory; the reporter,
    the reported author and other courses' staff do not, and a second report by the same reader adds nothing."""
    thread = world.thread(world.tom, title="Rates for juniors")
    post = world.reply(thread, world.tom, body="Rude words")
    use(world.maya)
    client.post(world.post_url(thread, post, "report"), data={"reason": "Insulting a peer"})
    client.post(world.post_url(thread, post, "report"), data={"reason": "And again"})
    for moderator in (world.instructor, world.admin):
        notes = [n for n in _notes(moderator) if n.kind == "post_report"]
        assert len(notes) == 1, moderator.email
        assert "Rates for juniors" in notes[0].message and notes[0].url == world.url("reports")
    for other in (world.maya, world.tom, world.other_instructor):
        assert not [n for n in _notes(other) if n.kind == "post_report"], other.email


def test_unfollowing_stops_reply_notifications(world, client, use):
    thread = world.thread()
    use(world.maya)
    client.post(world.thread_url(thread, "/follow"))  # toggles off: she followed as the author
    world.reply(thread, world.tom)
    assert _notes(world.maya) == []
    client.post(world.url("follow"))  # the whole board
    world.reply(thread, world.tom, body="Another")
    assert [n.kind for n in _notes(world.maya)] == ["reply"]


def test_immediate_preference_mails_at_once(world, outbox):
    thread = world.thread()
    world.reply(thread, world.tom)
    mails = [m for m in outbox() if m["To"] == world.maya.email]
    assert len(mails) == 1 and thread.title in mails[0]["Subject"]


def test_digests_send_each_item_once_and_respect_never(app, world, runner, outbox):
    app.config["PUBLIC_URL"] = "https://learn.example.com/"  # digests run from cron: no request to take it from
    world.maya.email_preference = "daily"
    world.tom.email_preference = "never"
    world.instructor.email_preference = "weekly"
    db.session.commit()
    thread = world.thread()
    world.reply(thread, world.tom, body="One")
    world.reply(thread, world.tom, body="Two @IvoInstructor")
    world.reply(thread, world.maya, body="Three")  # Tom follows; his preference is never
    assert outbox() == []
    result = runner.invoke(args=["send-digests", "daily"])
    assert "Sent 1 daily digest" in result.output
    mails = outbox()
    assert len(mails) == 1 and mails[0]["To"] == world.maya.email
    body = mails[0].get_content()
    assert body.count("replied in") == 2 and "open your profile: https://learn.example.com/auth/profile" in body
    # Each line names its course, as an immediate e-mail's subject does.
    assert body.count(f"” ({world.course.title})\n") == 2, body
    links = re.findall(r"https?://\S+", body)
    assert len(links) == 3 and all(link.startswith("https://learn.example.com/courses/") for link in links[:2]), links
    assert all(n.emailed_at for n in _notes(world.maya))
    runner.invoke(args=["send-digests", "daily"])
    assert len(outbox()) == 1  # nothing new: nothing sent twice
    runner.invoke(args=["send-digests", "weekly"])
    weekly = [m for m in outbox() if m["To"] == world.instructor.email]
    assert len(weekly) == 1 and weekly[0].get_content().count("mentioned you") == 1
    assert not [m for m in outbox() if m["To"] == world.tom.email]
    # In-app only: no mail went to Tom (above), and his notifications are settled, so a digest he switches to
    # later does not mail them either.
    assert _notes(world.tom) and all(n.emailed_at is not None for n in _notes(world.tom))


def test_withdrawn_learners_are_not_notified(world):
    from lms.models import Enrolment

    thread = world.thread()
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == world.maya.id))
    enrolment.status = "withdrawn"
    db.session.commit()
    world.reply(thread, world.tom)
    assert _notes(world.maya) == []


def test_notification_link_leads_to_the_post(world, client, use):
    thread = world.thread()
    post = world.reply(thread, world.tom)
    use(world.maya)
    note = _notes(world.maya)[0]
    response = client.get(note.url)
    assert response.status_code == 302 and response.location.endswith(f"#post-{post.id}")
    assert db.session.get(Post, post.id) is not None


def test_a_notifications_page_past_the_last_says_so_instead_of_nothing_new(world, client, use):
    """Maya has a notification: page 3 of her list must not tell her "Nothing new" and hide "Mark all as read"."""
    world.reply(world.thread(), world.tom)
    use(world.maya)
    page = client.get("/notifications/?page=3").get_data(as_text=True)
    assert "Nothing new" not in page
    assert "There is no page 3: 1 notification fits on 1 page." in page
    assert 'href="/notifications/?page=1">Go to the last page</a>' in page
    assert "Mark all as read" in page
    assert "Nothing new" not in client.get("/notifications/").get_data(as_text=True)


def test_a_first_digest_leaves_out_what_was_read_or_came_while_mail_was_off(app, world, runner, outbox):
    """Tom had e-mail off, then read his notifications in the app and switched to a daily digest: the digest
    brings only what is new and unread since then."""
    app.config["PUBLIC_URL"] = "https://learn.example.com/"
    world.tom.email_preference = "never"
    db.session.commit()
    thread = world.thread(author=world.tom)
    world.reply(thread, world.maya, body="Came while Tom's mail was off")
    world.tom.email_preference = "daily"
    db.session.commit()
    world.reply(thread, world.maya, body="Came after, and read in the app")
    read = max(_notes(world.tom), key=lambda n: n.id)
    read.read_at = read.created_at
    db.session.commit()
    world.reply(thread, world.maya, body="New and unread")
    runner.invoke(args=["send-digests", "daily"])
    mails = [m for m in outbox() if m["To"] == world.tom.email]
    assert len(mails) == 1 and mails[0].get_content().count("replied in") == 1
    assert "1 update" in mails[0]["Subject"]


def _maya_with_a_reply_waiting_for_her_daily_digest(world, client, use):
    """Maya, logged in, on a daily digest with one reply in her thread waiting for it: (thread, choose_mail)."""
    world.maya.email_preference = "daily"
    db.session.commit()
    thread = world.thread(author=world.maya)
    world.reply(thread, world.tom, body="Came while Maya was on a daily digest")
    use(world.maya)
    profile = {"display_name": world.maya.display_name, "timezone": "UTC", "weekly_goal_minutes": "60"}

    def choose_mail(preference):
        assert client.post("/auth/profile", data={**profile, "email_preference": preference}).status_code == 302

    return thread, choose_mail


def test_turning_mail_off_settles_what_waited_for_a_digest(app, world, runner, outbox, client, use):
    """Maya was on a daily digest and turned e-mail off before it went out; weeks later she chose a weekly digest:
    it brings only what came after, not what waited when she said "never" (as notifications made while her mail
    is off are never mailed either)."""
    thread, choose_mail = _maya_with_a_reply_waiting_for_her_daily_digest(world, client, use)
    choose_mail("never")
    choose_mail("weekly")
    world.reply(thread, world.tom, body="New, after she chose the weekly digest")
    runner.invoke(args=["send-digests", "weekly"])
    mails = [m for m in outbox() if m["To"] == world.maya.email]
    assert len(mails) == 1 and "1 update" in mails[0]["Subject"]


def test_leaving_the_digest_for_immediate_mail_settles_what_waited(app, world, runner, outbox, client, use):
    """Maya switched from the daily digest to immediate e-mails: what waited for the digest was never sent, and
    came back in a digest months later when she chose one again. It is settled at the switch (it stays in the
    app); from daily to weekly, what waits goes into the weekly digest."""
    thread, choose_mail = _maya_with_a_reply_waiting_for_her_daily_digest(world, client, use)
    choose_mail("weekly")
    runner.invoke(args=["send-digests", "weekly"])
    assert [m["Subject"] for m in outbox() if m["To"] == world.maya.email] == ["Sparetime weekly digest: 1 update"]
    world.reply(thread, world.tom, body="Waited for the next weekly digest")
    choose_mail("immediately")
    choose_mail("daily")
    world.reply(thread, world.tom, body="New, after she chose the daily digest again")
    runner.invoke(args=["send-digests", "daily"])
    mails = [m for m in outbox() if m["To"] == world.maya.email]
    assert [m["Subject"] for m in mails] == ["Sparetime weekly digest: 1 update", "Sparetime daily digest: 1 update"]


def test_an_answer_accepted_again_does_not_tell_its_author_twice(world, client, use, outbox):
    """Accept, unmark, accept another, accept the first again: each answer's author hears of it once."""
    thread = world.thread(kind="question")
    tom_answer = world.reply(thread, world.tom)
    ivo_answer = world.reply(thread, world.instructor, body="Or ask for a deposit.")
    use(world.maya)
    for post in (tom_answer, tom_answer, ivo_answer, tom_answer, ivo_answer):
        client.post(world.post_url(thread, post, "accept"))
    for author in (world.tom, world.instructor):
        assert [n.kind for n in _notes(author)].count("accepted") == 1, author.email
    assert len([m for m in outbox() if m["To"] == world.tom.email and "accepted answer" in m.get_content()]) == 1


def test_a_block_keeps_the_blocked_persons_posts_out_of_the_blockers_notifications(world, make_user):
    """Blocking hides two people from each other: followers of a thread or of the board hear nothing of the posts
    of someone they blocked, or who blocked them, as a mention of them already told them nothing. Course staff
    still hear of every post they follow: a block does not hide a learner from the moderators."""
    from lms.discussion import services
    from lms.peers import directory
    from tests.factories import enrol

    priya = make_user("priya@example.com", "Priya Raman")
    enrol(priya, world.course)
    thread = world.thread(world.maya, title="Rates for juniors")
    for follower in (priya, world.instructor):
        services.set_board_follow(world.course, follower, True)
    directory.block(world.maya, world.tom, world.course)
    directory.block(world.tom, priya, world.course)
    directory.block(world.tom, world.instructor, world.course)
    db.session.commit()
    world.reply(thread, world.tom, body="My rate is low.")
    world.thread(world.tom, title="Another thread of Tom's")
    assert _notes(world.maya) == [] and _notes(priya) == []
    assert [n.kind for n in _notes(world.instructor)] == ["reply", "new_thread"]
    world.reply(thread, world.admin, body="Thanks both.")
    assert [n.kind for n in _notes(world.maya)] == ["reply"] and [n.kind for n in _notes(priya)] == ["reply"]


def test_a_block_takes_the_unread_notices_already_waiting_out_of_bells_and_digests(world, make_user, runner, outbox):
    """Blocking stops new notices between the two; the unread ones already waiting ("Tom replied in ...") stayed in
    the bell and went out in the next digest. They go now, either way round; read ones stay, and the staff keep
    theirs from the learners of their course."""
    from lms.discussion import services
    from lms.peers import directory

    world.maya.email_preference = "daily"
    thread = world.thread(world.maya, title="Rates for juniors")
    for follower in (world.maya, world.instructor):
        services.set_board_follow(world.course, follower, True)
    world.reply(thread, world.tom, body="My rate is low.")
    world.reply(thread, world.tom, body="@Maya what is yours?")
    world.reply(thread, world.admin, body="Thanks both.")
    db.session.commit()
    read = [n for n in _notes(world.maya) if "Tom" in n.message][0]
    read.read_at = read.created_at
    db.session.commit()
    directory.block(world.maya, world.tom, world.course)
    directory.block(world.tom, world.instructor, world.course)
    db.session.commit()
    db.session.expire_all()
    maya = _notes(world.maya)
    assert [n.id for n in maya if "Tom" in n.message] == [read.id]  # only the one she had read
    assert any("Tom" not in n.message for n in maya)  # others' notices stay
    assert len([n for n in _notes(world.instructor) if "Tom" in n.message]) == 2  # the staff keep theirs
    assert runner.invoke(args=["send-digests", "daily"]).exit_code == 0
    digests = [m.get_content() for m in outbox() if m["To"] == world.maya.email]
    assert digests and not any("Tom" in body for body in digests)


def test_unfollowing_a_thread_while_following_the_board_says_replies_still_come(world, client, use):
    thread = world.thread(world.tom)
    use(world.maya)
    client.post(world.url("follow"))
    client.post(world.thread_url(thread, "/follow"))  # follows
    page = client.post(world.thread_url(thread, "/follow"), follow_redirects=True).get_data(as_text=True)
    assert "You no longer follow this thread" in page and "you still follow the whole board" in page
    client.post(world.url("follow"))  # unfollows the board
    client.post(world.thread_url(thread, "/follow"))
    page = client.post(world.thread_url(thread, "/follow"), follow_redirects=True).get_data(as_text=True)
    assert "You no longer follow this thread." in page and "whole board" not in page


def test_a_learner_who_left_gets_no_digest_lines_about_its_discussion(app, world, runner, outbox):
    """Maya (daily digest) had replies waiting when she withdrew, Tom when the staff removed him: neither digest
    mails the course's discussion, and their bells keep no unread links into a board they can no longer open (what
    they had read stays, as history). The removal notice itself still reaches Tom."""
    from lms.enrolment import services as enrolment_services
    from lms.models import Enrolment

    world.maya.email_preference = world.tom.email_preference = "daily"
    db.session.commit()
    thread = world.thread(author=world.maya)
    world.reply(thread, world.tom, body="Read in the app before she left")
    read = _notes(world.maya)[0]
    read.read_at = read.created_at
    world.reply(thread, world.tom, body="Waiting for her digest")
    world.reply(thread, world.maya, body="Waiting for his digest")
    enrolment_services.withdraw(world.course, world.maya)
    toms = db.session.scalar(select(Enrolment).where(Enrolment.user_id == world.tom.id))
    enrolment_services.remove(world.course, toms, world.instructor)
    db.session.commit()
    runner.invoke(args=["send-digests", "daily"])
    mails = {m["To"]: m.get_content() for m in outbox()}
    assert world.maya.email not in mails
    assert "removed you" in mails[world.tom.email] and "replied in" not in mails[world.tom.email]
    assert [(n.kind, n.read_at is not None) for n in _notes(world.maya)] == [("reply", True)]
    assert [n.kind for n in _notes(world.tom)] == ["enrolment_removed"]


def test_staff_who_leave_as_learners_keep_the_discussions_notifications(app, world):
    """An admin moderates every course: withdrawing from one as a learner does not take its discussion away."""
    from lms.enrolment import services as enrolment_services
    from tests.factories import enrol

    enrol(world.admin, world.course)
    thread = world.thread(author=world.admin)
    world.reply(thread, world.tom)
    enrolment_services.withdraw(world.course, world.admin)
    db.session.commit()
    assert [n.kind for n in _notes(world.admin)] == ["reply"]
