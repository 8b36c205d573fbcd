"""Demo data for `flask --app run seed-demo`: accounts, courses, progress and discussions.

Each step checks what is already there, so running it twice changes nothing.
"""

from flask import current_app

from lms.auth import services as accounts

DEMO_USERS = [
    ("learner@example.com", "Lena Learner", "learner"),
    ("instructor@example.com", "Ivo Instructor", "instructor"),
    ("admin@example.com", "Ada Admin", "admin"),
]


def seed_demo():
    """Returns True when anything was created."""
    created = False
    password = current_app.config["DEMO_PASSWORD"]
    users = {}
    for email, name, role in DEMO_USERS:
        user = accounts.find_user_by_email(email)
        if user is None:
            user = accounts.create_user(email, name, password, role=role)
            created = True
        users[role] = user
    users["learner"].headline = users["learner"].headline or "Freelance full-stack developer"
    users["instructor"].headline = users["instructor"].headline or "Coach for independent IT professionals"
    for step in _seed_steps():
        created = bool(step(users)) or created
    return created


def _seed_steps():
    """Each step is idempotent: step(users) -> True if it created something. Order matters."""
    from lms.demo import courses, discussions, enrolments, peers, progress

    return [courses.seed, enrolments.seed, progress.seed, discussions.seed, peers.seed]
