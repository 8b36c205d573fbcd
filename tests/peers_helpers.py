"""Test data for the peers feature, built on the services (no HTTP)."""

from lms.database import utcnow
from lms.extensions import db
from lms.peers import services
from tests.factories import enrol, lessons_of, make_course

CRITERIA = [
    {"title": "Clear ask", "levels": ["Unclear", "Vague", "Clear", "Crisp and specific"]},
    {"title": "Tone", "levels": ["Cold", "Stiff", "Friendly", "Warm and confident"]},
]


def course_with_assignment(owner, required=2, title="Client talks"):
    course = make_course(owner, title)
    lesson = lessons_of(course)[0]
    assignment = services.save_assignment(lesson, "Write the e-mail to a client asking for a **30%** discount.",
                                          required, CRITERIA)  # fmt: skip
    db.session.commit()
    return course, lesson, assignment


def learners(make_user, course, n, prefix="learner"):
    people = [make_user(email=f"{prefix}{i}@example.com", name=f"{prefix.title()} {i}") for i in range(n)]
    for person in people:
        enrol(person, course)
    return people


def submit(user, assignment, text=None, at=None):
    submission = services.save_submission(user, assignment, text or f"My answer, by {user.display_name}.", submit=True)
    if at is not None:
        submission.submitted_at = at
    db.session.commit()
    return submission


def scores_for(assignment, value=3):
    return {c.id: value for c in assignment.criteria}


def review_once(user, assignment, comment="Clear ask and a warm tone. Try naming the budget."):
    slot = services.allocate_review(user, assignment)
    db.session.commit()
    if slot is None:
        return None
    review = services.submit_review(slot, user, scores_for(assignment), comment)
    db.session.commit()
    return review


def now():
    return utcnow()
