"""How to call every route of the app for the security tests: URL parameters and a minimal valid body,
filled from the world of tests/security_world.py, plus outcome classification and the request loop.

Shared by test_authorization.py and test_csrf_routes.py (and free for other security tests to use).
"""

import io
from urllib.parse import urlsplit

import pytest
from flask import g, has_app_context

from lms.auth import services as accounts
from lms.extensions import db, throttles
from tests.conftest import empty_database, make_app
from tests.security_world import PASSWORD, login_as

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
LOGIN = "login"  # a redirect to the login page that comes back afterwards (?next=...)
DENIALS = {LOGIN, 403, 404, 405}


def security_app_fixture(**config):
    """A module-scoped app (import the fixture into a test module): hundreds of route checks share its
    compiled templates instead of building an app per check. Each check starts from reset_world()."""

    @pytest.fixture(scope="module")
    def security_app(_schema, tmp_path_factory):
        app = make_app(_schema, tmp_path_factory.mktemp("security-instance"), **config)
        with app.app_context():
            yield app
            db.session.remove()
            empty_database()
            db.engine.dispose()

    return security_app


def app_routes(app):
    """{"METHOD endpoint": rule} for every rule and method of the app (HEAD/OPTIONS and static left out)."""
    routes = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes[f"{method} {rule.endpoint}"] = rule
    return routes


# --- URL parameters -----------------------------------------------------------------------------------
# c: the CourseObjects the ids come from; w: the world. Looked up by (endpoint, argument), then by argument.

PARAMS = {
    "slug": lambda w, c: c.course.slug,
    "lesson_id": lambda w, c: c.lesson.id,
    "module_id": lambda w, c: c.module.id,
    "question_id": lambda w, c: c.question.id,
    "thread_id": lambda w, c: c.thread.id,
    "post_id": lambda w, c: c.peer_post.id,  # peer1's answer: the learner may vote, report and accept it
    "report_id": lambda w, c: c.report.id,
    "enrolment_id": lambda w, c: c.pending.id,
    "upload_id": lambda w, c: c.upload.id,
    "stored_name": lambda w, c: c.upload.stored_name,
    "slot_id": lambda w, c: c.slot.id,
    "submission_id": lambda w, c: c.submission.id,
    "review_id": lambda w, c: c.peer_review.id,
    "wish_id": lambda w, c: w.wish.id,
    "notification_id": lambda w, c: w.notification.id,
    "connection_id": lambda w, c: w.connection.id,
    "code": lambda w, c: c.certificate.code,
    "answer": lambda w, c: "accept",
    "action": lambda w, c: "hide",
    "user_id": lambda w, c: w.users["peer1"].id,  # another member of the course (peer directory)
}
ENDPOINT_PARAMS = {
    ("lessons.submit_quiz", "lesson_id"): lambda w, c: c.quiz_lesson.id,
    ("studio.new_question", "lesson_id"): lambda w, c: c.quiz_lesson.id,
    ("studio.edit_question", "lesson_id"): lambda w, c: c.quiz_lesson.id,
    ("studio.delete_question", "lesson_id"): lambda w, c: c.quiz_lesson.id,
    ("studio.set_pass_mark", "lesson_id"): lambda w, c: c.quiz_lesson.id,
    ("peers.practice", "lesson_id"): lambda w, c: c.practice_lesson.id,
    ("peers.next_review", "lesson_id"): lambda w, c: c.practice_lesson.id,
    ("peers.edit_assignment", "lesson_id"): lambda w, c: c.practice_lesson.id,
    ("discussion.edit_post", "post_id"): lambda w, c: c.own_post.id,  # the author's own reply
    ("discussion.delete_post", "post_id"): lambda w, c: c.own_post.id,
    ("enrolment.remove", "enrolment_id"): lambda w, c: c.enrolment.id,  # the learner's active enrolment
    ("peers.reply_course_review", "review_id"): lambda w, c: c.course_review.id,
    ("peers.moderate_course_review", "review_id"): lambda w, c: c.course_review.id,
    ("admin.set_role", "user_id"): lambda w, c: w.users["target"].id,
    ("admin.deactivate", "user_id"): lambda w, c: w.users["target"].id,
    ("admin.reactivate", "user_id"): lambda w, c: w.users["target"].id,
    ("auth.public_profile", "user_id"): lambda w, c: w.users["learner"].id,
    ("studio.remove_staff", "user_id"): lambda w, c: c.co.id,
    ("auth.confirm_registration", "token"): lambda w, c: accounts.make_registration_token(
        "Newcomer", "newcomer@example.com", "a long new passphrase"),
    ("auth.reset_password", "token"): lambda w, c: accounts.make_reset_token(w.users["target"]),
}
# In IDOR cases a user id must belong to the object course only: its co-instructor (a member of that
# course's people and staff, of no other course).
IDOR_PARAMS = {"user_id": lambda w, c: c.co.id}


def url_values(endpoint, rule, world, slug_course="A", object_course=None, idor=False):
    slug_objects = world.courses[slug_course]
    objects = world.courses[object_course or slug_course]
    values = {}
    for name in rule.arguments:
        if name == "slug":
            values[name] = slug_objects.course.slug
        elif idor and name in IDOR_PARAMS and "slug" in rule.arguments:
            values[name] = IDOR_PARAMS[name](world, objects)
        else:
            values[name] = (ENDPOINT_PARAMS.get((endpoint, name)) or PARAMS[name])(world, objects)
    return values


def build_path(app, endpoint, method, values):
    return app.url_map.bind("localhost").build(endpoint, values, method=method)


# --- Minimal valid request bodies (so a missing access check shows as a success, not a 400) --------------

NEW_PASSWORD = "another long passphrase"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")  # fmt: skip
QUESTION = {"prompt": "Which reply first?", "kind": "single", "choices-0-text": "Ask", "choices-0-is_correct": "y",
            "choices-1-text": "Discount"}  # fmt: skip
REVIEW = "Clear ask and a warm tone. Try naming the budget."

BODIES = {
    "admin.set_role": lambda w, c: {"role": "instructor"},
    "auth.change_password": lambda w, c: {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    "auth.delete_account": lambda w, c: {"current_password": PASSWORD},
    "auth.login": lambda w, c: {"email": "learner@example.com", "password": PASSWORD},
    "auth.profile": lambda w, c: {"display_name": "Renamed", "timezone": "UTC", "weekly_goal_minutes": "60",
                                  "email_preference": "immediately"},  # fmt: skip
    "auth.register": lambda w, c: {"display_name": "Newcomer", "email": "newcomer@example.com",
                                   "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},  # fmt: skip
    "auth.reset_password": lambda w, c: {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    "auth.reset_request": lambda w, c: {"email": "target@example.com"},
    "discussion.edit_post": lambda w, c: {"body": "Edited: thanks, that helps a lot."},
    "discussion.hide": lambda w, c: {"reason": "Off topic."},
    "discussion.lock": lambda w, c: {"reason": "Answered."},
    "discussion.move": lambda w, c: {"lesson_id": str(c.quiz_lesson.id)},
    "discussion.rename": lambda w, c: {"title": "Renamed by staff", "reason": "Names a peer."},
    "discussion.new_thread": lambda w, c: {"title": "Rates in 2027", "body": "What do you charge?", "kind": "discussion",
                                           "lesson_id": "0"},  # fmt: skip
    "discussion.reply": lambda w, c: {"body": "Same here."},
    "discussion.report": lambda w, c: {"reason": "Rude."},
    "discussion.resolve_report": lambda w, c: {"resolution": "Talked to them."},
    "lessons.submit_quiz": lambda w, c: {f"question-{c.question.id}": str(c.question.choices[0].id)},
    "peers.edit_assignment": lambda w, c: {"prompt": "Write the e-mail.", "reviews_required": "1",
                                           "criteria-0-title": "Clear ask", "criteria-0-level_1": "Unclear",
                                           "criteria-0-level_2": "Vague", "criteria-0-level_3": "Clear",
                                           "criteria-0-level_4": "Crisp"},  # fmt: skip
    "peers.edit_course_review": lambda w, c: {"rating": "5", "text": "Practical."},
    "peers.hide_review": lambda w, c: {"reason": "Rude."},
    "peers.moderate_course_review": lambda w, c: {"reason": "Spam."},
    "peers.practice": lambda w, c: {"body": "My new answer.", "action": "save"},
    "peers.reply_course_review": lambda w, c: {"reply": "Thank you!"},
    "peers.reply_review": lambda w, c: {"reply": "Thanks for the feedback."},
    "peers.staff_submission": lambda w, c: {"comment": REVIEW, f"criterion_{c.assignment.criteria[0].id}": "3"},
    "peers.update_wish": lambda w, c: {"status": "planned", "course_id": "0"},
    "peers.wishes": lambda w, c: {"title": "Invoicing abroad", "why": "VAT is confusing."},
    "peers.write_review": lambda w, c: {"comment": REVIEW, f"criterion_{c.assignment.criteria[0].id}": "3"},
    "progress.heartbeat": lambda w, c: {"lesson_id": str(c.lesson.id), "seconds": "30"},
    "progress.set_goal": lambda w, c: {"weekly_goal_minutes": "90"},
    "studio.edit_course": lambda w, c: {"title": "Renamed course", "slug": c.course.slug, "level": "intro",
                                        "enrolment_policy": "open"},  # fmt: skip
    "studio.edit_lesson": lambda w, c: {"title": "Renamed lesson", "module_id": str(c.module.id)},
    "studio.edit_module": lambda w, c: {"title": "Renamed module"},
    "studio.edit_question": lambda w, c: dict(QUESTION),
    "studio.move_lesson": lambda w, c: {"direction": "down"},
    "studio.move_module": lambda w, c: {"direction": "down"},
    "studio.new_course": lambda w, c: {"title": "Brand new course", "level": "intro", "enrolment_policy": "open"},
    "studio.new_lesson": lambda w, c: {"title": "New lesson", "module_id": str(c.module.id)},
    "studio.new_module": lambda w, c: {"title": "New module"},
    "studio.new_question": lambda w, c: dict(QUESTION),
    "studio.reorder": lambda w, c: {"order": "[]"},
    "studio.set_pass_mark": lambda w, c: {"pass_mark": "80"},
    "studio.set_status": lambda w, c: {"status": "archived"},
    "studio.staff": lambda w, c: {"email": "owner_b@example.com"},
    "studio.upload_attachment": lambda w, c: {"file": (io.BytesIO(PNG), "diagram.png")},
    "studio.import_course": lambda w, c: {"archive": (io.BytesIO(b"not a zip"), "course.zip")},
}


def body_for(endpoint, world, objects):
    make = BODIES.get(endpoint)
    return make(world, objects) if make else {}


# --- Requests and outcomes ------------------------------------------------------------------------------


def outcome(response):
    """200/400/403/404/... or LOGIN for "log in first" (login page with ?next=); other redirects are 302."""
    if response.status_code in (301, 302, 303, 307, 308):
        location = urlsplit(response.headers["Location"])
        return LOGIN if location.path == "/auth/login" and "next=" in location.query else 302
    return response.status_code


def forget_request_globals():
    """The tests keep one app context open, so `g` outlives a request: Flask-WTF caches the session's
    CSRF token there, which would leak one client's token into the next client's pages."""
    if has_app_context():
        g.pop("csrf_token", None)


def send(app, world, visitor, key, *, slug_course="A", object_course=None, idor=False, data=None, client=None):
    """Request route `key` ("METHOD endpoint") as `visitor` (a visitor kind or a user name of `world`);
    returns (response, path). Pass `client` to keep its session (it must be logged in already)."""
    method, endpoint = key.split(" ", 1)
    rule = app_routes(app)[key]
    objects = world.courses[object_course or slug_course]
    path = build_path(app, endpoint, method, url_values(endpoint, rule, world, slug_course, object_course, idor))
    throttles.reset(app)  # throttles count per e-mail and IP: one visitor's request must not throttle the next
    forget_request_globals()
    if client is None:
        client = app.test_client()
        login_as(client, world.visitors[visitor] if visitor in world.visitors else world.users[visitor])
    if method == "GET":
        return client.get(path), path
    body = body_for(endpoint, world, objects) if data is None else data
    return client.open(path, method=method, data=body), path
