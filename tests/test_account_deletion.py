"""Deleting one's own account: the password asked again, owners and the last admin refused, and nothing left
counting a person who is gone (seats, helpful votes, wish votes, review places)."""

from sqlalchemy import func, select

from lms.discussion import services as discussion
from lms.extensions import db
from lms.models import (
    AuditEntry,
    Certificate,
    Course,
    CourseWish,
    Enrolment,
    LessonProgress,
    Post,
    ReviewAssignment,
    SignIn,
    Submission,
    Thread,
    User,
)
from lms.peers import feedback
from lms.peers import services as peers
from lms.progress.services import mark_lesson_done
from tests.conftest import PASSWORD
from tests.factories import enrol, lessons_of, make_course
from tests.peers_helpers import course_with_assignment, submit

DELETE = "/auth/delete-account"


def test_a_learner_deletes_their_account_and_nothing_keeps_counting_them(client, login, make_user):
    owner = make_user(role="instructor", email="owner@example.com")
    full = make_course(owner, "Pricing", capacity=1, modules=((5,),))
    lena = make_user(email="lena@example.com", name="Lena Leaving")
    waiting = make_user(email="wes@example.com", name="Wes Waiting")
    enrol(lena, full)
    enrol(waiting, full, status="waitlisted")
    mark_lesson_done(lena, lessons_of(full)[0])  # a certificate too
    # A helpful vote on a peer's reply, a wish vote, and a review place on a peer's practice response.
    course, lesson, assignment = course_with_assignment(owner, required=1)
    author = make_user(email="ann@example.com", name="Ann Author")
    for learner in (lena, author):
        enrol(learner, course)
    thread = discussion.create_thread(course, author, title="Deposits?", body="Do you ask for one?")
    reply = discussion.add_reply(course, thread, author, body="I ask for 30%.")
    lenas_post = discussion.add_reply(course, thread, lena, body="Me too, always.")
    discussion.toggle_vote(reply, lena)
    wish = feedback.propose_wish(author, "Handling scope creep", "Agencies keep adding pages.")
    feedback.toggle_vote(wish, lena)
    submission = submit(author, assignment)
    peers.allocate_review(lena, assignment)
    db.session.commit()
    assert (reply.vote_count, wish.vote_count) == (1, 2)
    lena_id, slot_id = lena.id, db.session.scalar(select(ReviewAssignment.id))

    login(lena)
    page = client.get(DELETE).get_data(as_text=True)
    assert "This cannot be undone" in page and "Download your data" in page
    refused = client.post(DELETE, data={"current_password": "not my password"})
    assert refused.status_code == 200 and "That is not your current password." in refused.get_data(as_text=True)
    assert db.session.get(User, lena_id) is not None

    response = client.post(DELETE, data={"current_password": PASSWORD})
    assert response.status_code == 302
    assert "Your account is deleted" in client.get(response.location).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, lena_id) is None
    for model in (Enrolment, LessonProgress, Certificate, SignIn):
        assert db.session.scalar(select(func.count()).select_from(model).where(model.user_id == lena_id)) == 0
    assert client.get("/").status_code == 200 and "Hi, Lena" not in client.get("/").get_data(as_text=True)
    # The seat went to the first on the waitlist; the counts no longer hold Lena's votes or her review place.
    seat = db.session.scalar(select(Enrolment).where(Enrolment.user_id == waiting.id))
    assert seat.status == "active" and db.session.get(Course, full.id).enrolled_count == 1
    assert db.session.get(Post, reply.id).vote_count == 0 and db.session.get(Thread, thread.id).vote_count == 0
    assert db.session.get(CourseWish, wish.id).vote_count == 1
    assert db.session.get(ReviewAssignment, slot_id) is None
    assert db.session.get(Submission, submission.id).reviews_claimed == 0
    # Her post stays, without her name.
    assert db.session.get(Post, lenas_post.id).author_id is None
    login(author)
    thread_page = client.get(f"/courses/{course.slug}/discussion/threads/{thread.id}").get_data(as_text=True)
    assert "Me too, always." in thread_page and "Former member" in thread_page and "Lena Leaving" not in thread_page
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "account.delete"))
    assert entry.target_id == lena_id and "lena@example.com" not in entry.detail


def test_owners_and_the_only_admin_cannot_delete_their_account(client, login, make_user):
    owner = make_user(role="instructor", email="owner@example.com")
    make_course(owner, "Pricing")
    admin = make_user(role="admin", email="admin@example.com")
    for user, reason in ((owner, "You own “Pricing”. A course needs its owner"), (admin, "You are the only admin.")):
        client.post("/auth/logout")
        login(user)
        assert reason in client.get(DELETE).get_data(as_text=True)
        response = client.post(DELETE, data={"current_password": PASSWORD})
        assert response.status_code == 200 and reason in response.get_data(as_text=True)
        assert db.session.get(User, user.id) is not None
    second = make_user(role="admin", email="second@example.com")
    assert client.post(DELETE, data={"current_password": PASSWORD}).status_code == 302
    assert db.session.scalar(select(User).where(User.email == "admin@example.com")) is None
    login(second)
    audit_log = client.get("/admin/audit")
    assert audit_log.status_code == 200 and "account.delete" in audit_log.get_data(as_text=True)


def test_the_profile_links_to_account_deletion(client, login, make_user):
    login(make_user())
    assert f'href="{DELETE}"' in client.get("/auth/profile").get_data(as_text=True)


def test_mentions_of_a_deleted_account_no_longer_link_to_its_profile(client, login, make_user):
    owner = make_user(role="instructor", email="owner@example.com", name="Olga Owner")
    course = make_course(owner, "Pricing")
    lena = make_user(email="lena@example.com", name="Lena Leaving")
    enrol(lena, course)
    thread = discussion.create_thread(course, owner, title="Deposits?", body="@LenaLeaving, do you ask for one?")
    db.session.commit()
    profile = f'href="/auth/people/{lena.id}"'
    assert profile in db.session.get(Post, thread.first_post_id).body_html

    login(lena)
    assert client.post(DELETE, data={"current_password": PASSWORD}).status_code == 302
    login(owner)
    page = client.get(f"/courses/{course.slug}/discussion/threads/{thread.id}").get_data(as_text=True)
    # The instructor's words stay as written; the link to a profile that is gone (a 404) does not.
    assert "do you ask for one?" in page and profile not in page


def test_the_audit_log_keeps_no_e_mail_of_a_deleted_account(client, login, make_user):
    owner = make_user(role="instructor", email="owner@example.com")
    course = make_course(owner, "Pricing")
    lena = make_user(email="lena@example.com", name="Lena Leaving")
    enrolment = enrol(lena, course)
    login(owner)
    client.post(f"/courses/{course.slug}/roster/{enrolment.id}/remove")
    client.post(f"/courses/{course.slug}/roster/{enrolment.id}/readmit")
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.detail == "lena@example.com")) == 2
    lena_id = lena.id

    client.post("/auth/logout")
    login(lena)
    assert client.post(DELETE, data={"current_password": PASSWORD}).status_code == 302
    # The staff actions stay on the record, about the deleted user by id.
    details = db.session.scalars(select(AuditEntry.detail).where(AuditEntry.action.like("enrolment.%"))).all()
    assert details == [f"deleted user {lena_id}", f"deleted user {lena_id}"]
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.detail.contains("lena@"))) == 0


def test_notifications_a_deleted_account_caused_name_a_former_member(client, login, make_user):
    """Lena replied, asked to connect and posted anonymously, renamed herself, then left: the bells of the people
    she notified say "Former member", as her posts do, not her name (the one she had then or her last one)."""
    from lms.models import Notification
    from lms.peers import directory

    owner = make_user(role="instructor", email="owner@example.com", name="Olga Owner")
    course = make_course(owner, "Pricing")
    lena = make_user(email="lena@example.com", name="Lena Leaving")
    tom = make_user(email="tom@example.com", name="Tom Staying", profile_visible=True)
    for learner in (lena, tom):
        enrol(learner, course)
    thread = discussion.create_thread(course, owner, title="Deposits?", body="Do you ask for one?")
    discussion.add_reply(course, thread, tom, body="I do.")
    discussion.add_reply(course, thread, lena, body="Always 30%.")
    directory.request_connection(lena, tom, course)
    lena.display_name = "Lena L."
    discussion.add_reply(course, thread, lena, body="Anonymous, with a client's name.", anonymous=True)
    db.session.commit()
    peers_view = db.session.scalars(select(Notification).where(Notification.user_id == tom.id,
                                                               Notification.kind == "reply")).all()
    assert "Anonymous peer replied" in peers_view[-1].message and peers_view[-1].actor_id is None

    login(lena)
    assert client.post(DELETE, data={"current_password": PASSWORD}).status_code == 302
    for person in (owner, tom):
        messages = db.session.scalars(select(Notification.message).where(Notification.user_id == person.id)).all()
        assert messages and not [m for m in messages if "Lena" in m], messages
    login(owner)
    bell = client.get("/notifications/").get_data(as_text=True)
    assert bell.count("Former member replied in “Deposits?”") == 2 and "Lena" not in bell
    client.post("/auth/logout")
    login(tom)
    bell = client.get("/notifications/").get_data(as_text=True)
    assert "Former member would like to connect (from Pricing)." in bell
    assert "Former member replied" in bell and "Anonymous peer replied" in bell


def test_the_audit_log_names_a_deleted_actor_a_former_member_not_the_system(client, login, make_user):
    """An admin deactivated someone, then deleted their own account: the log does not say the system did either;
    a real system action (a CLI restore) still says "system"."""
    from lms.notify import audit

    make_user(role="admin", email="admin@example.com", name="Ada Admin")
    leaving = make_user(role="admin", email="leaving@example.com", name="Lee Leaving")
    learner = make_user(email="lena@example.com")
    audit(None, "backup.restore", detail="restored by the CLI")
    db.session.commit()
    login(leaving)
    client.post(f"/admin/users/{learner.id}/deactivate")
    assert client.post(DELETE, data={"current_password": PASSWORD}).status_code == 302

    login(db.session.scalar(select(User).where(User.email == "admin@example.com")))
    rows = client.get("/admin/audit").get_data(as_text=True).split("<tr>")[2:]
    who = {action: row.split("<td>")[2].split("</td>")[0] for row in rows for action in ["user.deactivate",
           "account.delete", "backup.restore"] if f"<code>{action}</code>" in row}  # fmt: skip
    assert who == {"user.deactivate": "Former member", "account.delete": "Former member", "backup.restore": "system"}
