"""Demo data: the demo learner in two courses, and a second learner's request waiting for approval."""

from flask import current_app
from sqlalchemy import select

from lms.auth import services as accounts
from lms.enrolment import services
from lms.extensions import db
from lms.models import Course

ACTIVE_FOR_LEARNER = ("client-communication", "giving-and-receiving-feedback")
PENDING_COURSE = "leading-without-a-title"
SECOND_LEARNER = ("sam@example.com", "Sam Sidebar")


def _course(slug):
    return db.session.scalar(select(Course).where(Course.slug == slug))


def _enrol_once(course, user):
    """Enrol through the service (counters, approval rules) unless this learner already has a row."""
    if course is None or services.find_enrolment(course, user) is not None:
        return False
    services.enrol_learner(course, user)
    return True


def seed(users):
    """Create the demo enrolments if missing; return True when anything was created.

    Courses missing from the demo catalog are skipped, so this stays safe to run in any state.
    """
    created = False
    # The request notifies the instructor with a link; a request context lets that link be built from the CLI.
    # Its address is the site's (PUBLIC_URL), as for digests: e-mailed links must not point at http://localhost/.
    with current_app.test_request_context(base_url=current_app.config.get("PUBLIC_URL") or None):
        learner = users["learner"]
        for slug in ACTIVE_FOR_LEARNER:
            created = _enrol_once(_course(slug), learner) or created

        email, name = SECOND_LEARNER
        sam = accounts.find_user_by_email(email)
        if sam is None:
            sam = accounts.create_user(email, name, current_app.config["DEMO_PASSWORD"])
            sam.headline = "Freelance data engineer"
            created = True
        created = _enrol_once(_course(PENDING_COURSE), sam) or created
        db.session.flush()
    return created
