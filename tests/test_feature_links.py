"""Rules that cross features: studio settings that change enrolment, completion and peers."""

from sqlalchemy import select

from lms.enrolment.services import enrol_learner
from lms.extensions import db
from lms.models import Enrolment
from lms.studio.services import update_course
from tests.factories import make_course


def _settings(course, capacity):
    return dict(title=course.title, summary=course.summary, description_md=course.description_md, level=course.level,
                skills="negotiation", enrolment_policy="open", capacity=capacity)  # fmt: skip


def test_raising_capacity_in_the_studio_enrols_the_waitlist_in_order(make_user):
    owner = make_user(role="instructor")
    course = make_course(owner, capacity=1)
    first, second, third = make_user(), make_user(), make_user()
    for learner in (first, second, third):
        enrol_learner(course, learner)
        db.session.commit()
    statuses = lambda: dict(db.session.execute(select(Enrolment.user_id, Enrolment.status)).all())  # noqa: E731
    assert statuses() == {first.id: "active", second.id: "waitlisted", third.id: "waitlisted"}

    update_course(course, **_settings(course, 2))
    db.session.commit()
    assert statuses() == {first.id: "active", second.id: "active", third.id: "waitlisted"}
    assert course.enrolled_count == 2

    update_course(course, **_settings(course, None))
    db.session.commit()
    assert set(statuses().values()) == {"active"}
    assert course.enrolled_count == 3
