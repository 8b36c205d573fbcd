"""Demo progress: resume works for the demo learner, a finished course has a certificate, there is
weekly history, the instructor's analytics show a drop-off curve; running it twice changes nothing."""

from flask import current_app
from sqlalchemy import func, select

from lms.auth import services as accounts
from lms.demo import courses, enrolments, progress
from lms.extensions import db
from lms.models import Certificate, Course, DailyActivity, Enrolment, LessonProgress


def seed_all():
    password = current_app.config["DEMO_PASSWORD"]
    users = {}
    for email, name, role in (("learner@example.com", "Lena Learner", "learner"),
                              ("instructor@example.com", "Ivo Instructor", "instructor"),
                              ("admin@example.com", "Ada Admin", "admin")):  # fmt: skip
        users[role] = accounts.find_user_by_email(email) or accounts.create_user(email, name, password, role)
    courses.seed(users)
    enrolments.seed(users)
    created = progress.seed(users)
    db.session.commit()
    return users, created


def test_demo_progress(app, client, login):
    users, created = seed_all()
    assert created
    learner = users["learner"]
    communication = db.session.scalar(select(Course).where(Course.slug == "client-communication"))
    enrolment = db.session.scalar(
        select(Enrolment).where(Enrolment.user_id == learner.id, Enrolment.course_id == communication.id)
    )
    assert enrolment.status == "active" and enrolment.last_lesson_id is not None
    assert db.session.scalar(select(func.count(Certificate.id)).where(Certificate.user_id == learner.id)) == 1
    assert db.session.scalar(select(func.count(DailyActivity.id)).where(DailyActivity.user_id == learner.id)) > 10
    assert learner.weekly_goal_minutes == 90
    # enrolled_count matches the active enrolments
    active = db.session.scalar(
        select(func.count(Enrolment.id)).where(Enrolment.course_id == communication.id, Enrolment.status == "active")
    )
    assert communication.enrolled_count == active >= 9

    counts = (db.session.scalar(select(func.count(LessonProgress.id))),
              db.session.scalar(select(func.count(Certificate.id))))  # fmt: skip
    _, again = seed_all()
    assert again is False
    assert counts == (db.session.scalar(select(func.count(LessonProgress.id))),
                      db.session.scalar(select(func.count(Certificate.id))))  # fmt: skip

    from lms.progress.analytics import course_analytics

    shares = [row["share"] for row in course_analytics(communication)["dropoff"]]
    assert shares[0] > shares[-1] > 0

    login_page = client.post("/auth/login", data={"email": "learner@example.com", "password": "sparetime-demo"})
    assert login_page.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "Continue" in page and "Certificate" in page
