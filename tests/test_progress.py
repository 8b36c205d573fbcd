"""Progress tracking: course completion and certificates (issued once, public verification), measured
time (heartbeat caps, local days), weekly totals across week boundaries, the JSON data export."""

import json
from datetime import date, datetime, timedelta

import pytest

from lms.database import utcnow
from lms.extensions import db
from lms.models import Certificate, DailyActivity, Enrolment, LessonProgress, Notification
from lms.progress import services
from lms.progress.dashboard import weekly_summary
from tests.factories import add_quiz, enrol, lessons_of, make_course


@pytest.fixture
def instructor(make_user):
    return make_user(email="ivo@example.com", name="Ivo Instructor", role="instructor")


@pytest.fixture
def learner(make_user):
    return make_user(email="lena@example.com", name="Lena Learner")


def finish(client, course):
    for lesson in lessons_of(course):
        client.post(f"/learn/{course.slug}/lessons/{lesson.id}/done")


def test_last_lesson_completes_course_and_issues_one_certificate(client, login, instructor, learner):
    course = make_course(instructor, modules=((5,), (5,)))
    enrol(learner, course)
    login(learner)
    first, last = lessons_of(course)
    client.post(f"/learn/{course.slug}/lessons/{first.id}/done")
    assert db.session.query(Certificate).count() == 0
    response = client.post(f"/learn/{course.slug}/lessons/{last.id}/done", headers={"Accept": "application/json"})
    data = response.get_json()
    assert data["course_completed"] is True and data["certificate_url"].startswith("/certificates/")
    certificate = db.session.scalar(db.select(Certificate))
    assert len(certificate.code) >= 20
    enrolment = db.session.scalar(db.select(Enrolment))
    assert enrolment.completed_at is not None
    # doing it again changes nothing
    client.post(f"/learn/{course.slug}/lessons/{last.id}/done")
    services.issue_certificate(learner.id, course.id)
    db.session.commit()
    assert db.session.query(Certificate).count() == 1
    assert db.session.scalar(db.select(Certificate)).code == certificate.code
    home = client.get(f"/learn/{course.slug}/").get_data(as_text=True)
    assert "You finished this course" in home and certificate.code in home


def test_mark_done_is_idempotent_and_keeps_first_completion(app, instructor, learner):
    course = make_course(instructor)
    enrol(learner, course)
    lesson = lessons_of(course)[0]
    first = services.mark_lesson_done(learner, lesson, now=datetime(2026, 1, 1, 10))
    again = services.mark_lesson_done(learner, lesson, now=datetime(2026, 1, 2, 10))
    db.session.commit()
    assert first.newly_done and not again.newly_done
    row = db.session.scalar(db.select(LessonProgress))
    assert row.completed_at == datetime(2026, 1, 1, 10)
    assert db.session.query(LessonProgress).count() == 1


def test_verification_page_for_a_good_code(client, login, instructor, learner, app):
    course = make_course(instructor, title="Client communication", modules=((5,),))
    enrol(learner, course)
    login(learner)
    finish(client, course)
    code = db.session.scalar(db.select(Certificate)).code
    client.post("/auth/logout")
    response = client.get(f"/certificates/{code}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Verified certificate" in page
    assert "Lena Learner" in page and "Client communication" in page and "Ivo Instructor" in page
    assert utcnow().strftime("%B %Y") in page


def test_unknown_code_is_a_friendly_404(client):
    response = client.get("/certificates/not-a-real-code")
    assert response.status_code == 404
    assert "could not find this certificate" in response.get_data(as_text=True)
    assert client.get("/certificates/" + "x" * 500).status_code == 404


def test_revoked_certificate_says_so(client, login, instructor, learner):
    course = make_course(instructor)
    enrol(learner, course)
    cert = services.issue_certificate(learner.id, course.id)
    cert.revoked_at = utcnow()
    cert.revoked_reason = "Issued by mistake."
    db.session.commit()
    page = client.get(f"/certificates/{cert.code}").get_data(as_text=True)
    assert "revoked" in page and "Issued by mistake." in page
    assert "Verified certificate" not in page
    login(learner)  # their list no longer offers it for sharing
    mine = client.get("/progress/certificates").get_data(as_text=True)
    assert "Revoked" in mine and "It is no longer valid: Issued by mistake." in mine and "Share link" not in mine


def test_a_certificate_shows_one_date_its_holders_for_every_reader(client, login, make_user, instructor, learner):
    """Issued at 04:07 UTC on 29 October is still 28 October in Los Angeles, where the learner finished: the
    certificate says 28 October to the learner, to a visitor checking it and to a reader in Auckland alike, and
    the learner's list of certificates agrees. (Dated in each reader's zone, a public certificate changed its
    date with whoever looked.)"""
    course = make_course(instructor)
    enrol(learner, course)
    cert = services.issue_certificate(learner.id, course.id)
    cert.issued_at = datetime(2026, 10, 29, 4, 7)
    learner.timezone = "America/Los_Angeles"
    kiwi = make_user(email="kiwi@example.com", timezone="Pacific/Auckland")
    db.session.commit()
    visitor_page = client.get(f"/certificates/{cert.code}").get_data(as_text=True)
    assert "28 October 2026" in visitor_page and '<time datetime="2026-10-28">' in visitor_page
    login(kiwi)
    assert "28 October 2026" in client.get(f"/certificates/{cert.code}").get_data(as_text=True)
    client.post("/auth/logout")
    login(learner)
    page = client.get(f"/certificates/{cert.code}").get_data(as_text=True)
    assert "28 October 2026" in page and '<time datetime="2026-10-28">' in page
    assert "28 Oct 2026" in client.get("/progress/certificates").get_data(as_text=True)


def test_certificates_list_with_share_links(client, login, instructor, learner, make_user):
    course = make_course(instructor, title="Feedback")
    enrol(learner, course)
    mine = services.issue_certificate(learner.id, course.id)
    other = make_user()
    theirs = services.issue_certificate(other.id, course.id)
    db.session.commit()
    assert client.get("/progress/certificates").status_code == 302  # login required
    login(learner)
    page = client.get("/progress/certificates").get_data(as_text=True)
    assert f"/certificates/{mine.code}" in page and "Copy link" in page
    assert theirs.code not in page


def test_completion_needs_every_available_lesson(app, instructor, learner):
    course = make_course(instructor, modules=((5, 5, 5),))
    enrol(learner, course)
    a, b, c = lessons_of(course)
    c.archived_at = utcnow()  # archived lessons do not block completion
    db.session.commit()
    services.mark_lesson_done(learner, a)
    result = services.mark_lesson_done(learner, b)
    db.session.commit()
    assert result.course_completed and result.certificate is not None


def test_staff_without_enrolment_get_no_certificate(client, login, instructor):
    course = make_course(instructor, modules=((5,),))
    login(instructor)
    response = client.post(f"/learn/{course.slug}/lessons/{lessons_of(course)[0].id}/done")
    assert response.status_code == 302
    assert db.session.query(LessonProgress).count() == 0
    assert db.session.query(Certificate).count() == 0


# --- measured time ---------------------------------------------------------------------------


def test_credited_seconds_caps_and_idle():
    now = datetime(2026, 3, 1, 12)
    assert services.credited_seconds(30, now - timedelta(seconds=40), now) == 30
    assert services.credited_seconds(3600, now - timedelta(seconds=200), now) == 60  # capped per beat
    assert services.credited_seconds(30, now - timedelta(seconds=10), now) == 10  # never more than elapsed
    assert services.credited_seconds(30, now - timedelta(minutes=6), now) == 0  # idle: nothing
    assert services.credited_seconds("junk", now, now) == 0
    assert services.credited_seconds(-5, None, now) == 0


def test_heartbeat_adds_time_to_lesson_and_day(client, login, instructor, learner):
    course = make_course(instructor)
    enrol(learner, course)
    lesson = lessons_of(course)[0]
    login(learner)
    client.get(f"/learn/{course.slug}/lessons/{lesson.id}")
    enrolment = db.session.scalar(db.select(Enrolment))
    enrolment.last_activity_at = utcnow() - timedelta(seconds=45)
    db.session.commit()
    response = client.post("/progress/heartbeat", data={"lesson_id": lesson.id, "seconds": 30})
    assert response.get_json() == {"ok": True, "credited": 30}
    row = db.session.scalar(db.select(LessonProgress))
    db.session.refresh(row)
    assert row.seconds_spent == 30
    assert db.session.scalar(db.select(DailyActivity.seconds)) == 30
    # a second beat right away credits only what really elapsed (two tabs do not count twice)
    response = client.post("/progress/heartbeat", data={"lesson_id": lesson.id, "seconds": 30})
    assert response.get_json()["credited"] <= 1


def test_two_tabs_in_two_courses_do_not_count_the_same_minutes_twice(instructor, make_user):
    """Lessons of two courses open side by side, each tab beating every 30 s: the learner's day gets the time
    that really passed, not twice it (each course measured from its own last activity before)."""
    user = make_user()
    first, second = make_course(instructor, title="First"), make_course(instructor, title="Second")
    in_first, in_second = enrol(user, first), enrol(user, second)
    start = datetime(2026, 3, 2, 9, 0)
    services.record_lesson_open(user, lessons_of(first)[0], in_first, now=start)
    services.record_lesson_open(user, lessons_of(second)[0], in_second, now=start)
    beat = start + timedelta(seconds=31)
    credited = (services.record_heartbeat(user, lessons_of(first)[0], in_first, 30, now=beat)
                + services.record_heartbeat(user, lessons_of(second)[0], in_second, 30, now=beat))  # fmt: skip
    db.session.commit()
    assert credited <= 31
    assert db.session.scalar(db.select(DailyActivity.seconds)) <= 31


def test_repeated_writes_add_up_in_the_learners_rows(app, instructor, make_user):
    """The upserts' conflict paths: beats add to the lesson's and the day's time, reopening a lesson moves its
    last-opened time but keeps the first, and a later completion keeps the first one."""
    user = make_user()
    course = make_course(instructor)
    enrolment = enrol(user, course)
    lesson = lessons_of(course)[0]
    start = datetime(2026, 3, 2, 9, 0)
    services.record_lesson_open(user, lesson, enrolment, now=start)
    for minute in (1, 2, 3):
        enrolment.last_activity_at = start + timedelta(minutes=minute) - timedelta(seconds=40)
        services.record_heartbeat(user, lesson, enrolment, 30, now=start + timedelta(minutes=minute))
    services.record_lesson_open(user, lesson, enrolment, now=start + timedelta(hours=2))
    first_done = services.mark_lesson_done(user, lesson, now=start + timedelta(hours=3))
    again = services.mark_lesson_done(user, lesson, now=start + timedelta(hours=4))
    db.session.commit()
    row = db.session.scalar(db.select(LessonProgress))
    db.session.refresh(row)
    assert row.seconds_spent == 90 and row.first_opened_at == start
    assert row.last_opened_at == start + timedelta(hours=2) and row.completed_at == start + timedelta(hours=3)
    assert first_done.newly_done and not again.newly_done and again.completed_at == start + timedelta(hours=3)
    assert db.session.scalars(db.select(DailyActivity.seconds)).all() == [90]


def test_heartbeat_refuses_bad_input_and_strangers(client, login, instructor, learner):
    course = make_course(instructor)
    lesson = lessons_of(course)[0]
    assert client.post("/progress/heartbeat", data={"lesson_id": lesson.id, "seconds": 30}).status_code == 302
    login(learner)
    assert client.post("/progress/heartbeat", data={"lesson_id": "x", "seconds": 30}).status_code == 400
    assert client.post("/progress/heartbeat", data={"lesson_id": str(2**63), "seconds": 30}).status_code == 400
    assert client.post("/progress/heartbeat", data={"lesson_id": lesson.id, "seconds": 30}).get_json()["credited"] == 0
    assert db.session.query(LessonProgress).count() == 0


def test_daily_activity_uses_the_learners_local_day(app, instructor, make_user):
    kiwi = make_user(timezone="Pacific/Auckland")
    course = make_course(instructor)
    enrolment = enrol(kiwi, course)
    lesson = lessons_of(course)[0]
    at = datetime(2026, 3, 1, 12, 0)  # 12:00 UTC on Sunday 1 March = 01:00 Monday 2 March in Auckland
    enrolment.last_activity_at = at - timedelta(seconds=30)
    services.record_heartbeat(kiwi, lesson, enrolment, 30, now=at)
    db.session.commit()
    assert db.session.scalar(db.select(DailyActivity.day)) == date(2026, 3, 2)


def test_weekly_totals_across_week_boundaries_in_local_time(app, make_user):
    kiwi = make_user(timezone="Pacific/Auckland", weekly_goal_minutes=90)
    utc = make_user(timezone="UTC", weekly_goal_minutes=90)
    at = datetime(2026, 3, 1, 12, 0)  # Sunday in UTC, already Monday 2 March in Auckland
    for user in (kiwi, utc):
        services.add_daily_seconds(user, 20 * 60, now=datetime(2026, 2, 28, 9, 0))  # earlier that weekend
        services.add_daily_seconds(user, 10 * 60, now=at)
    db.session.commit()
    kiwi_week = weekly_summary(kiwi, now=at)
    utc_week = weekly_summary(utc, now=at)
    # Auckland: a new week started on Monday 2 March, so only the 10 minutes count this week.
    assert kiwi_week.weeks[-1][0] == date(2026, 3, 2) and kiwi_week.this_week == 10
    assert kiwi_week.weeks[-2][1] == 20
    # UTC: still the week of Monday 23 February, so both sessions count.
    assert utc_week.weeks[-1][0] == date(2026, 2, 23) and utc_week.this_week == 30
    assert len(utc_week.weeks) == 8 and utc_week.percent == 33 and utc_week.left == 60


def test_set_goal(client, login, learner):
    login(learner)
    response = client.post("/progress/goal", data={"weekly_goal_minutes": 120})
    assert response.status_code == 302
    db.session.refresh(learner)
    assert learner.weekly_goal_minutes == 120
    response = client.post("/progress/goal", data={"weekly_goal_minutes": "lots"}, follow_redirects=True)
    assert response.status_code == 200
    db.session.refresh(learner)
    assert learner.weekly_goal_minutes == 120
    response = client.post("/progress/goal", data={"weekly_goal_minutes": 1}, follow_redirects=True)
    assert "between 5 and 3000" in response.get_data(as_text=True)


# --- data export -------------------------------------------------------------------------------


def test_export_my_data_contains_everything_about_me_only(client, login, instructor, learner, make_user):
    course = make_course(instructor, title="Negotiation", modules=((5,),))
    add_quiz(lessons_of(course)[0], pass_mark=0)
    enrol(learner, course)
    other = make_user()
    enrol(other, course)
    db.session.add(Notification(user_id=learner.id, kind="reply", message="Someone replied"))
    db.session.add(Notification(user_id=other.id, kind="reply", message="Not yours"))
    services.add_daily_seconds(learner, 300)
    db.session.commit()
    login(learner)
    lesson = lessons_of(course)[0]
    q = lesson.questions[0]
    client.post(f"/learn/{course.slug}/lessons/{lesson.id}/quiz", data={f"question-{q.id}": q.choices[0].id})
    response = client.get("/progress/my-data.json")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = json.loads(response.get_data(as_text=True))
    assert data["profile"]["email"] == "lena@example.com"
    assert "password_hash" not in data["profile"] and "session_token" not in data["profile"]
    assert [e["course_title"] for e in data["enrolments"]] == ["Negotiation"]
    assert data["lesson_progress"][0]["lesson_title"] == "Lesson 1.1"
    assert data["lesson_progress"][0]["completed_at"]
    assert len(data["quiz_attempts"]) == 1
    assert len(data["certificates"]) == 1
    assert data["daily_activity"][0]["seconds"] == 300
    assert [n["message"] for n in data["notifications"]] == ["Someone replied"]
    from lms.models import discussion

    assert ("discussion_posts" in data) == hasattr(getattr(discussion, "Post", None), "author_id")


def test_export_needs_login(client):
    assert client.get("/progress/my-data.json").status_code == 302


def test_export_includes_my_discussion_posts_when_the_models_exist(client, login, instructor, learner, make_user):
    from lms.models import discussion

    course = make_course(instructor)
    enrol(learner, course)
    if not hasattr(getattr(discussion, "Post", None), "author_id"):
        login(learner)
        assert "discussion_posts" not in client.get("/progress/my-data.json").get_json()
        return
    other = make_user()
    thread = discussion.Thread(course_id=course.id, author_id=learner.id, title="How do you quote?")
    db.session.add(thread)
    db.session.flush()
    db.session.add_all([
        discussion.Post(thread_id=thread.id, author_id=learner.id, body_md="Mine", body_html="<p>Mine</p>"),
        discussion.Post(thread_id=thread.id, author_id=other.id, body_md="Theirs", body_html="<p>Theirs</p>"),
    ])  # fmt: skip
    db.session.commit()
    login(learner)
    data = client.get("/progress/my-data.json").get_json()
    assert [p["body_md"] for p in data["discussion_posts"]] == ["Mine"]
    assert [t["title"] for t in data["discussion_threads"]] == ["How do you quote?"]
