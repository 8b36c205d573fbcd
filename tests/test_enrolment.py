"""Enrolment rules through the pages: open, key, approval, windows, capacity and waitlist, withdraw."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from lms.database import utcnow
from lms.enrolment import services
from lms.extensions import db
from lms.models import AuditEntry, Certificate, CourseStaff, Enrolment, LessonProgress, Notification
from tests.factories import enrol, lessons_of, make_course


@pytest.fixture
def app_config():
    return {"ENROL_KEY_FAILURE_LIMIT": "3 per hour"}


@pytest.fixture
def login(client, login):
    """Log in as `user`, logging out whoever was logged in first (login alone keeps the current user)."""

    def switch(user):
        client.post("/auth/logout")
        return login(user)

    return switch


@pytest.fixture
def owner(make_user):
    return make_user(email="owner@example.com", name="Olga Owner", role="instructor")


@pytest.fixture
def learner(make_user):
    return make_user(email="lea@example.com", name="Lea Learner")


def enrolment_of(user, course):
    return db.session.scalar(select(Enrolment).where(Enrolment.user_id == user.id, Enrolment.course_id == course.id))


def count_rows(user, course):
    return db.session.scalar(
        select(func.count(Enrolment.id)).where(Enrolment.user_id == user.id, Enrolment.course_id == course.id)
    )


def test_open_course_enrols_with_one_click(client, login, owner, learner):
    course = make_course(owner)
    login(learner)
    response = client.post(f"/courses/{course.slug}/enrol", follow_redirects=True)
    assert "You are enrolled in Negotiating rates" in response.text
    enrolment = enrolment_of(learner, course)
    assert enrolment.status == "active" and enrolment.enrolled_at is not None
    db.session.refresh(course)
    assert course.enrolled_count == 1


def test_enrolling_twice_is_harmless(client, login, owner, learner):
    course = make_course(owner)
    login(learner)
    client.post(f"/courses/{course.slug}/enrol")
    response = client.post(f"/courses/{course.slug}/enrol")
    assert response.status_code == 302
    assert count_rows(learner, course) == 1
    db.session.refresh(course)
    assert course.enrolled_count == 1


def test_course_staff_and_admins_do_not_take_a_seat(client, login, owner, make_user):
    """The course page offers its staff no enrol button, but a form sent anyway (a page open from before they
    joined the staff) enrolled them: they took a seat and counted among the learners in the catalog, roster and
    analytics."""
    course = make_course(owner)
    co_instructor, admin = make_user(role="instructor"), make_user(role="admin")
    db.session.add(CourseStaff(course_id=course.id, user_id=co_instructor.id, role="instructor"))
    db.session.commit()
    for person in (owner, co_instructor, admin):
        login(person)
        response = client.post(f"/courses/{course.slug}/enrol", follow_redirects=True)
        assert "You teach this course: its lessons are open to you without enrolling." in response.text
        assert count_rows(person, course) == 0
    db.session.refresh(course)
    assert course.enrolled_count == 0


def test_anonymous_enrol_goes_to_login_and_back(client, owner):
    course = make_course(owner)
    response = client.post(f"/courses/{course.slug}/enrol")
    assert response.status_code == 302
    assert "/auth/login?next=/courses/negotiating-rates" in response.headers["Location"]
    page = client.get(f"/courses/{course.slug}")
    assert "Log in to enrol" in page.text and "next=/courses/negotiating-rates" in page.text


def test_key_course_right_and_wrong_keys(client, login, owner, learner):
    course = make_course(owner, policy="key")
    course.enrolment_key_hash = generate_password_hash("spare-time-2026")
    db.session.commit()
    login(learner)
    page = client.get(f"/courses/{course.slug}")
    assert "Enrolment key" in page.text

    missing = client.post(f"/courses/{course.slug}/enrol", data={"key": ""})
    assert missing.status_code == 400 and "Please enter the enrolment key" in missing.text
    wrong = client.post(f"/courses/{course.slug}/enrol", data={"key": "guess"})
    assert wrong.status_code == 400 and "That key is not right for this course" in wrong.text
    assert 'aria-invalid="true"' in wrong.text
    assert enrolment_of(learner, course) is None

    client.post(f"/courses/{course.slug}/enrol", data={"key": " spare-time-2026 "})
    assert enrolment_of(learner, course).status == "active"


def test_wrong_keys_are_throttled(client, login, owner, learner):
    course = make_course(owner, policy="key")
    course.enrolment_key_hash = generate_password_hash("right-key")
    db.session.commit()
    login(learner)
    for _ in range(3):
        assert client.post(f"/courses/{course.slug}/enrol", data={"key": "nope"}).status_code == 400
    throttled = client.post(f"/courses/{course.slug}/enrol", data={"key": "right-key"})
    assert throttled.status_code == 429
    assert "Too many wrong keys" in throttled.text
    assert enrolment_of(learner, course) is None


def test_closed_window_is_refused_with_dates(client, login, owner, learner):
    course = make_course(owner)
    course.enrol_opens_at = utcnow() - timedelta(days=30)
    course.enrol_closes_at = utcnow() - timedelta(days=2)
    db.session.commit()
    login(learner)
    page = client.get(f"/courses/{course.slug}")
    closes = course.enrol_closes_at.strftime("%d %b %Y")
    assert f"Enrolment closed on {closes}" in page.text
    response = client.post(f"/courses/{course.slug}/enrol", follow_redirects=True)
    assert f"Enrolment closed on {closes}" in response.text
    assert enrolment_of(learner, course) is None


def test_window_not_yet_open(client, login, owner, learner):
    course = make_course(owner)
    course.enrol_opens_at = utcnow() + timedelta(days=5)
    db.session.commit()
    login(learner)
    response = client.post(f"/courses/{course.slug}/enrol", follow_redirects=True)
    assert f"Enrolment opens on {course.enrol_opens_at.strftime('%d %b %Y')}" in response.text
    assert enrolment_of(learner, course) is None


def test_the_enrolment_window_is_shown_in_the_readers_time_zone(client, login, owner, learner):
    course = make_course(owner)
    course.enrol_opens_at, course.enrol_closes_at = datetime(2099, 12, 1, 6, 0), datetime(2099, 12, 20, 7, 30)
    learner.timezone = "America/Los_Angeles"
    db.session.commit()
    assert "Enrolment opens on 01 Dec 2099, 06:00 (UTC)." in client.get(f"/courses/{course.slug}").text
    login(learner)
    page = client.get(f"/courses/{course.slug}").text
    assert "Enrolment opens on 30 Nov 2099, 22:00 (America/Los_Angeles)." in page
    response = client.post(f"/courses/{course.slug}/enrol", follow_redirects=True)
    assert "Enrolment opens on 30 Nov 2099, 22:00 (America/Los_Angeles)." in response.text


def test_archived_course_refuses_new_learners(client, login, owner, learner, make_user):
    course = make_course(owner, status="archived")
    login(learner)
    assert client.get(f"/courses/{course.slug}").status_code == 404
    assert client.post(f"/courses/{course.slug}/enrol").status_code == 404
    with pytest.raises(services.EnrolmentError, match="not open for enrolment"):
        services.enrol_learner(course, learner)
    # A learner who was in keeps seeing the page, without an enrol button.
    old_hand = make_user(email="old@example.com")
    enrol(old_hand, course)
    login(old_hand)
    page = client.get(f"/courses/{course.slug}")
    assert page.status_code == 200 and "You are enrolled" in page.text


def test_unpublished_course_by_url_is_not_found(client, login, owner, learner):
    course = make_course(owner, status="draft")
    assert client.get(f"/courses/{course.slug}").status_code == 404
    login(learner)
    assert client.get(f"/courses/{course.slug}").status_code == 404
    assert client.post(f"/courses/{course.slug}/enrol").status_code == 404
    assert enrolment_of(learner, course) is None
    login(owner)
    assert client.get(f"/courses/{course.slug}").status_code == 200


def test_withdraw_when_not_enrolled_explains(client, login, owner, learner):
    course = make_course(owner)
    login(learner)
    response = client.get(f"/courses/{course.slug}/withdraw", follow_redirects=True)
    assert "You are not enrolled in this course" in response.text
    response = client.post(f"/courses/{course.slug}/withdraw", follow_redirects=True)
    assert "You are not enrolled in this course" in response.text


def test_withdraw_confirms_then_keeps_progress_for_reenrolment(client, login, owner, learner):
    course = make_course(owner)
    enrolment = enrol(learner, course)
    first_enrolled_at = enrolment.enrolled_at
    lesson = lessons_of(course)[0]
    db.session.add(LessonProgress(user_id=learner.id, lesson_id=lesson.id, course_id=course.id, completed_at=utcnow()))
    db.session.commit()
    login(learner)

    confirm = client.get(f"/courses/{course.slug}/withdraw")
    assert confirm.status_code == 200 and "Your progress is kept" in confirm.text
    assert enrolment_of(learner, course).status == "active"  # a GET never writes

    client.post(f"/courses/{course.slug}/withdraw")
    assert enrolment_of(learner, course).status == "withdrawn"
    db.session.refresh(course)
    assert course.enrolled_count == 0

    client.post(f"/courses/{course.slug}/enrol")
    again = enrolment_of(learner, course)
    assert again.id == enrolment.id and again.status == "active"
    assert again.enrolled_at == first_enrolled_at  # the drip clock is not reset
    assert count_rows(learner, course) == 1
    page = client.get(f"/courses/{course.slug}")
    assert "50% done" in page.text


def test_rejoining_with_every_lesson_left_done_completes_the_course(client, login, owner, learner):
    """Withdrawn with only the last lesson left; the studio archived that lesson meanwhile (which completes only
    active learners): re-enrolling finishes the course and issues the certificate, as no "mark done" is left."""
    course = make_course(owner)
    first, last = lessons_of(course)
    enrol(learner, course)
    db.session.add(LessonProgress(user_id=learner.id, lesson_id=first.id, course_id=course.id, completed_at=utcnow()))
    db.session.commit()
    login(learner)
    client.post(f"/courses/{course.slug}/withdraw")
    last.archived_at = utcnow()
    course.lesson_count = 1
    db.session.commit()

    client.post(f"/courses/{course.slug}/enrol")
    enrolment = enrolment_of(learner, course)
    assert enrolment.status == "active" and enrolment.completed_at is not None
    assert db.session.scalar(select(Certificate).where(Certificate.user_id == learner.id)) is not None
    assert "View your certificate" in client.get(f"/learn/{course.slug}/").text
    assert "Completed" in client.get("/courses/").text


def test_approval_request_approved_and_told(client, login, owner, learner, outbox):
    course = make_course(owner, policy="approval")
    login(learner)
    response = client.post(f"/courses/{course.slug}/enrol", follow_redirects=True)
    assert "Your request to join was sent" in response.text
    enrolment = enrolment_of(learner, course)
    assert enrolment.status == "pending" and enrolment.enrolled_at is None
    assert "pending" in client.get(f"/courses/{course.slug}").text
    assert any("asked to join" in n.message for n in db.session.scalars(select(Notification)))

    login(owner)
    client.post(f"/courses/{course.slug}/roster/{enrolment.id}/approve")
    db.session.refresh(enrolment)
    assert enrolment.status == "active" and enrolment.enrolled_at is not None
    notice = db.session.scalar(select(Notification).where(Notification.user_id == learner.id))
    assert "was approved" in notice.message
    assert any(m["To"] == learner.email and "approved" in m["Subject"] for m in outbox())
    audited = db.session.scalar(select(AuditEntry.action).where(AuditEntry.target_id == enrolment.id))
    assert audited == "enrolment.approve"


def test_a_request_left_pending_when_enrolment_opens_becomes_an_ordinary_enrolment(client, login, owner, learner):
    """Staff switched the course from approval to a key, then to open: the learner is not stuck behind a request
    nobody will decide, but enrols the new way, from the same row."""
    course = make_course(owner, policy="approval")
    login(learner)
    client.post(f"/courses/{course.slug}/enrol")
    enrolment = enrolment_of(learner, course)
    assert enrolment.status == "pending"
    course.enrolment_policy = "key"
    course.enrolment_key_hash = generate_password_hash("open-sesame")
    db.session.commit()
    page = client.get(f"/courses/{course.slug}").text
    assert "Your request to join is <strong>pending</strong>" not in page and 'name="key"' in page
    assert client.post(f"/courses/{course.slug}/enrol", data={"key": "wrong"}).status_code == 400
    course.enrolment_policy = "open"
    db.session.commit()
    page = client.get(f"/courses/{course.slug}").text
    assert "pending" not in page and ">Enrol" in page
    catalog = client.get("/courses/").text
    assert course.title in catalog and "Pending approval" not in catalog
    response = client.post(f"/courses/{course.slug}/enrol", follow_redirects=True)
    assert f"You are enrolled in {course.title}" in response.text
    db.session.refresh(enrolment)
    assert enrolment.status == "active" and count_rows(learner, course) == 1


def test_opening_enrolment_tells_waiting_requesters_and_clears_the_staff_notices(client, login, owner, learner,
                                                                                 outbox):
    """The learner was promised word when the staff decide; once the staff switch the course from approval to
    open enrolment nobody will decide, so the learner is told to enrol from the course page, and the staff's unread
    "asked to join" notice, which led to a roster with nothing waiting, goes (found by exploratory testing)."""
    course = make_course(owner, policy="approval")
    login(learner)
    client.post(f"/courses/{course.slug}/enrol")
    assert db.session.scalar(select(func.count()).where(Notification.user_id == owner.id,
                                                        Notification.kind == "enrolment_request")) == 1  # fmt: skip
    login(owner)
    settings = {"title": course.title, "level": course.level, "enrolment_policy": "open", "summary": course.summary}
    assert client.post(f"/studio/courses/{course.slug}/settings", data=settings).status_code == 302
    assert db.session.scalar(select(func.count()).where(Notification.user_id == owner.id,
                                                        Notification.kind == "enrolment_request")) == 0  # fmt: skip
    notice = db.session.scalar(select(Notification).where(Notification.user_id == learner.id))
    assert notice.message == f"{course.title} no longer needs the staff's approval: enrol from the course page."
    assert notice.url == f"/courses/{course.slug}"
    assert any(m["To"] == learner.email for m in outbox())
    client.post(f"/studio/courses/{course.slug}/settings", data=settings)  # saved again: nobody is told twice
    assert db.session.scalar(select(func.count()).where(Notification.user_id == learner.id)) == 1


def test_approval_request_declined_and_told(client, login, owner, learner, outbox):
    course = make_course(owner, policy="approval")
    login(learner)
    client.post(f"/courses/{course.slug}/enrol")
    enrolment = enrolment_of(learner, course)
    login(owner)
    client.post(f"/courses/{course.slug}/roster/{enrolment.id}/decline")
    db.session.refresh(enrolment)
    assert enrolment.status == "declined"
    assert any(m["To"] == learner.email and "declined" in m["Subject"] for m in outbox())


def test_full_course_waitlists_and_promotes_in_request_order(client, login, owner, make_user, outbox):
    course = make_course(owner, capacity=2)
    first, second, third, fourth = (make_user(email=f"p{i}@example.com") for i in range(4))
    for person in (first, second, third, fourth):
        login(person)
        client.post(f"/courses/{course.slug}/enrol")
    assert [enrolment_of(p, course).status for p in (first, second, third, fourth)] == [
        "active", "active", "waitlisted", "waitlisted"]  # fmt: skip
    login(fourth)
    assert "number 2</strong> on the waitlist" in client.get(f"/courses/{course.slug}").text

    login(first)
    client.post(f"/courses/{course.slug}/withdraw")
    assert enrolment_of(third, course).status == "active"
    assert enrolment_of(fourth, course).status == "waitlisted"
    assert any(m["To"] == third.email and "seat opened" in m["Subject"] for m in outbox())
    db.session.refresh(course)
    assert course.enrolled_count == 2


def test_waitlist_page_offers_join_waitlist(client, login, owner, make_user):
    course = make_course(owner, capacity=1)
    enrol(make_user(), course)
    login(make_user())
    assert "Join waitlist" in client.get(f"/courses/{course.slug}").text


def test_approving_when_full_puts_on_waitlist(client, login, owner, make_user):
    course = make_course(owner, policy="approval", capacity=1)
    enrol(make_user(), course)
    waiting = make_user(email="wait@example.com")
    login(waiting)
    client.post(f"/courses/{course.slug}/enrol")
    login(owner)
    client.post(f"/courses/{course.slug}/roster/{enrolment_of(waiting, course).id}/approve")
    assert enrolment_of(waiting, course).status == "waitlisted"
    db.session.refresh(course)
    assert course.enrolled_count == 1


def test_removed_learner_cannot_rejoin_alone(client, login, owner, learner):
    course = make_course(owner)
    enrolment = enrol(learner, course)
    services.remove(course, enrolment, owner)
    db.session.commit()
    login(learner)
    response = client.post(f"/courses/{course.slug}/enrol", follow_redirects=True)
    assert "removed you from this course" in response.text
    assert enrolment_of(learner, course).status == "removed"


def test_raising_capacity_promotes_the_waitlist(owner, make_user, outbox):
    course = make_course(owner, capacity=1)
    enrol(make_user(), course)
    early, late = make_user(email="early@example.com"), make_user(email="late@example.com")
    services.enrol_learner(course, early)
    db.session.commit()
    services.enrol_learner(course, late)
    db.session.commit()
    course.capacity = 2
    promoted = services.refill_seats(course)
    db.session.commit()
    assert [e.user_id for e in promoted] == [early.id]
    assert enrolment_of(late, course).status == "waitlisted"
    assert course.capacity == 2 and course.enrolled_count == 2


def test_a_deactivated_account_on_the_waitlist_is_skipped(client, login, owner, make_user, outbox):
    """An admin deactivated the first in line: the freed seat goes to the next active account, and the
    positions the others are told count only accounts that can still take a seat."""
    from lms.auth.services import deactivate

    course = make_course(owner, capacity=1)
    seated = make_user(email="seated@example.com")
    enrol(seated, course)
    gone, waiting = make_user(email="w1@example.com"), make_user(email="w2@example.com")
    for person in (gone, waiting):
        services.enrol_learner(course, person)
        db.session.commit()
    deactivate(gone)
    db.session.commit()
    login(waiting)
    assert "number 1</strong> on the waitlist" in client.get(f"/courses/{course.slug}").text

    login(seated)
    client.post(f"/courses/{course.slug}/withdraw")
    assert enrolment_of(gone, course).status == "waitlisted"
    assert enrolment_of(waiting, course).status == "active"
    db.session.refresh(course)
    assert course.enrolled_count == 1
    assert any(m["To"] == waiting.email and "seat opened" in m["Subject"] for m in outbox())


def _join_request_notices(user, unread_only=True):
    query = select(Notification).where(Notification.user_id == user.id, Notification.kind == "enrolment_request")
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return db.session.scalars(query).all()


def test_a_join_request_is_told_to_every_staff_member_who_can_approve_it(client, login, owner, learner, make_user,
                                                                        outbox):  # fmt: skip
    from lms.models import CourseStaff

    course = make_course(owner, policy="approval")
    co_instructor = make_user(email="co@example.com", role="instructor")
    db.session.add(CourseStaff(course_id=course.id, user_id=co_instructor.id, role="instructor"))
    db.session.commit()
    login(learner)
    client.post(f"/courses/{course.slug}/enrol")
    for member in (owner, co_instructor):
        [notice] = _join_request_notices(member)
        assert notice.message == f"Lea Learner asked to join {course.title}."
        assert notice.url.startswith(f"/courses/{course.slug}/roster")
    assert sorted(m["To"] for m in outbox()) == ["co@example.com", "owner@example.com"]

    # The owner decides: the co-instructor's unread notice goes, as nobody needs to look at it any more.
    client.post("/auth/logout")
    login(owner)
    client.post(f"/courses/{course.slug}/roster/{enrolment_of(learner, course).id}/approve")
    assert enrolment_of(learner, course).status == "active"
    assert _join_request_notices(co_instructor) == [] and _join_request_notices(owner) == []


def test_asking_and_cancelling_again_and_again_does_not_flood_the_staff(client, login, owner, learner, outbox):
    course = make_course(owner, policy="approval")
    login(learner)
    for _ in range(10):
        client.post(f"/courses/{course.slug}/enrol")
        client.post(f"/courses/{course.slug}/withdraw")
    assert enrolment_of(learner, course).status == "withdrawn"
    assert _join_request_notices(owner) == [], "a cancelled request leaves no unread notice behind"
    assert [m["To"] for m in outbox()] == ["owner@example.com"], "one e-mail for the first request only"

    client.post(f"/courses/{course.slug}/enrol")
    [notice] = _join_request_notices(owner)
    assert "Lea Learner asked to join" in notice.message, "the request that stands is in the bell"
    assert len(outbox()) == 1
    notice.read_at = utcnow()
    db.session.commit()
    client.post(f"/courses/{course.slug}/withdraw")
    assert _join_request_notices(owner, unread_only=False) == [notice], "a notice already read stays, as history"


def test_a_key_of_only_spaces_is_asked_for_again_and_not_counted(client, login, owner, learner):
    course = make_course(owner, policy="key")
    course.enrolment_key_hash = generate_password_hash("right-key")
    db.session.commit()
    login(learner)
    for _ in range(4):  # more than ENROL_KEY_FAILURE_LIMIT (3 here)
        blank = client.post(f"/courses/{course.slug}/enrol", data={"key": "   "})
        assert blank.status_code == 400 and "Please enter the enrolment key" in blank.text
        assert "not right" not in blank.text
    client.post(f"/courses/{course.slug}/enrol", data={"key": "right-key\u200b "})  # as the studio trims it
    assert enrolment_of(learner, course).status == "active"


def test_leaving_an_approval_course_says_coming_back_needs_a_new_approval(client, login, owner, learner):
    course = make_course(owner, policy="approval")
    enrol(learner, course)
    login(learner)
    page = client.get(f"/courses/{course.slug}/withdraw").text
    assert "if you enrol again later" not in page
    assert "to come back you ask to join again and wait for the course staff to approve" in page
    course.enrolment_policy = "open"
    db.session.commit()
    assert "if you enrol again later, you continue where you stopped" in client.get(
        f"/courses/{course.slug}/withdraw").text  # fmt: skip
