"""Many learners press "Enrol" at the same moment: the course never goes over capacity.

Runs on whichever database the suite uses: on PostgreSQL the course row lock (SELECT ... FOR UPDATE) does
the work, on SQLite the database write lock taken by the enrolment service's first UPDATE.
"""

import threading

from sqlalchemy import func, select

from lms.enrolment import services
from lms.extensions import db
from lms.models import Course, Enrolment, User
from tests.factories import make_course

LEARNERS = 50
SEATS = 10


def test_fifty_parallel_enrolments_fill_exactly_ten_seats(app, make_user):
    owner = make_user(role="instructor")
    course_id = make_course(owner, "Popular", capacity=SEATS).id
    # Plain rows (no password hashing): the test is about the enrolment race, not accounts.
    users = [User(email=f"racer{i}@example.com", display_name=f"Racer {i}", password_hash="-") for i in range(LEARNERS)]
    db.session.add_all(users)
    db.session.commit()
    user_ids = [user.id for user in users]

    start = threading.Barrier(LEARNERS)
    errors, statuses = [], []

    def enrol_one(user_id):
        # Each thread is a request of its own: its own app context, session and connection.
        with app.app_context():
            try:
                start.wait(timeout=30)
                course = db.session.get(Course, course_id)
                enrolment = services.enrol_learner(course, db.session.get(User, user_id))
                db.session.commit()
                statuses.append(enrolment.status)
            except Exception as error:  # collected and asserted on below: any error fails the test
                db.session.rollback()
                errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=enrol_one, args=(user_id,)) for user_id in user_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert sorted(statuses) == ["active"] * SEATS + ["waitlisted"] * (LEARNERS - SEATS)
    db.session.expire_all()
    counts = dict(
        db.session.execute(
            select(Enrolment.status, func.count(Enrolment.id))
            .where(Enrolment.course_id == course_id)
            .group_by(Enrolment.status)
        ).all()
    )
    assert counts == {"active": SEATS, "waitlisted": LEARNERS - SEATS}
    assert db.session.get(Course, course_id).enrolled_count == SEATS
