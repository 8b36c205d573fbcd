"""Every route, every kind of visitor: what each one gets is written down in TABLE, and checked.

A route missing from TABLE fails test_every_route_is_in_the_table. Each route gets a fresh world (two full
courses, see tests/security_world.py); a visitor who is refused must leave the database exactly as it was
(the refusal comes before any write), and after an allowed write the world is rebuilt for the next visitor.
GET routes are checked with GET; routes that take POST are checked with POST and a minimal valid body.
"""

import pytest

from lms.extensions import db
from tests.security_routes import DENIALS, LOGIN, app_routes, outcome, security_app_fixture, send
from tests.security_world import VISITORS, login_as, reset_world, snapshot

security_app = security_app_fixture()
VISITOR_ORDER = list(VISITORS)  # anonymous, outsider, learner, other_instructor, co_instructor, owner, admin


def row(anonymous, outsider, learner, other_instructor, co_instructor, owner, admin):
    return dict(zip(VISITOR_ORDER, (anonymous, outsider, learner, other_instructor, co_instructor, owner, admin),
                    strict=True))  # fmt: skip


L = LOGIN  # 302 to the login page
R = 302  # a redirect elsewhere (done, or "go to the course page")

# fmt: off
TABLE = {
    # route:                         anonymous outsider learner other_instructor co_instructor owner admin
    "GET admin.audit_log": row(L, 403, 403, 403, 403, 403, 200),
    "GET admin.users": row(L, 403, 403, 403, 403, 403, 200),
    "GET auth.change_password": row(L, 200, 200, 200, 200, 200, 200),
    "GET auth.confirm_registration": row(200, 200, 200, 200, 200, 200, 200),
    "GET auth.delete_account": row(L, 200, 200, 200, 200, 200, 200),  # owners read why they cannot yet
    "GET auth.login": row(200, R, R, R, R, R, R),  # logged-in visitors are sent on
    "GET auth.profile": row(L, 200, 200, 200, 200, 200, 200),
    "GET auth.public_profile": row(L, 200, 200, 200, 200, 200, 200),  # linked from bylines and people lists
    "GET auth.register": row(200, R, R, R, R, R, R),
    "GET auth.reset_password": row(200, 200, 200, 200, 200, 200, 200),
    "GET auth.reset_request": row(200, 200, 200, 200, 200, 200, 200),
    "GET discussion.board": row(L, 403, 200, 403, 200, 200, 200),
    "GET discussion.edit_post": row(L, 403, 200, 403, 403, 403, 403),  # only the author edits (staff hide instead)
    "GET discussion.goto_post": row(L, 403, R, 403, R, R, R),
    "GET discussion.hide": row(L, 403, 403, 403, 200, 200, 200),
    "GET discussion.lock": row(L, 403, 403, 403, 200, 200, 200),
    "GET discussion.move": row(L, 403, 403, 403, 200, 200, 200),
    "GET discussion.rename": row(L, 403, 403, 403, 200, 200, 200),
    "GET discussion.new_thread": row(L, 403, 200, 403, 200, 200, 200),
    "GET discussion.reply": row(L, 403, 200, 403, 200, 200, 200),
    "GET discussion.report": row(L, 403, 200, 403, 200, 200, 200),
    "GET discussion.reports": row(L, 403, 403, 403, 200, 200, 200),
    "GET discussion.search": row(L, 403, 200, 403, 200, 200, 200),
    "GET discussion.thread": row(L, 403, 200, 403, 200, 200, 200),
    "GET enrolment.catalog": row(200, 200, 200, 200, 200, 200, 200),
    "GET enrolment.course_page": row(200, 200, 200, 200, 200, 200, 200),
    "GET enrolment.remove": row(L, 403, 403, 403, 200, 200, 200),
    "GET enrolment.roster": row(L, 403, 403, 403, 200, 200, 200),
    "GET enrolment.roster_csv": row(L, 403, 403, 403, 200, 200, 200),
    "GET enrolment.withdraw": row(L, R, 200, R, R, R, R),  # not enrolled: back to the course page with a message
    "GET lessons.course_home": row(R, R, 200, R, 200, 200, 200),  # to the course page (log in / enrol)
    "GET lessons.lesson": row(R, R, 200, R, 200, 200, 200),  # to the course page (previews: see below)
    "GET main.healthz": row(200, 200, 200, 200, 200, 200, 200),
    "GET main.index": row(200, 200, 200, 200, 200, 200, 200),
    "GET notifications.index": row(L, 200, 200, 200, 200, 200, 200),
    "GET peers.connections": row(L, 200, 200, 200, 200, 200, 200),
    "GET peers.course_reviews": row(200, 200, 200, 200, 200, 200, 200),
    "GET peers.edit_assignment": row(L, 403, 403, 403, 200, 200, 200),
    "GET peers.edit_course_review": row(L, 403, 200, 403, 403, 403, 403),  # learners at 50%+ rate; staff do not
    "GET peers.next_review": row(L, 403, R, 403, 403, 403, 403),  # the learner has an open slot: redirected to it
    "GET peers.block": row(L, 403, 200, 403, 200, 200, 403),  # the "Block X?" confirmation: members only
    "GET peers.people": row(L, 403, 200, 403, 200, 200, 200),  # members and own staff; admins read only
    "GET peers.practice": row(L, 403, 200, 403, 200, 200, 200),
    "GET peers.review_queue": row(L, 403, 403, 403, 200, 200, 200),
    "GET peers.staff_submission": row(L, 403, 403, 403, 200, 200, 200),
    "GET peers.wishes": row(L, 200, 200, 200, 200, 200, 200),
    "GET peers.write_review": row(L, 404, 200, 404, 404, 404, 404),  # only the reviewer it was handed to
    "GET progress.analytics": row(L, 403, 403, 403, 200, 200, 200),
    "GET progress.analytics_csv": row(L, 403, 403, 403, 200, 200, 200),
    "GET progress.certificates": row(L, 200, 200, 200, 200, 200, 200),
    "GET progress.export_my_data": row(L, 200, 200, 200, 200, 200, 200),
    "GET progress.verify_certificate": row(200, 200, 200, 200, 200, 200, 200),
    "GET studio.course": row(L, 403, 403, 403, 200, 200, 200),
    "GET studio.delete_course": row(L, 403, 403, 403, 403, 200, 200),  # owner only
    "GET studio.delete_lesson": row(L, 403, 403, 403, 200, 200, 200),
    "GET studio.delete_module": row(L, 403, 403, 403, 200, 200, 200),
    "GET studio.edit_course": row(L, 403, 403, 403, 200, 200, 200),
    "GET studio.edit_lesson": row(L, 403, 403, 403, 200, 200, 200),
    "GET studio.edit_module": row(L, 403, 403, 403, 200, 200, 200),
    "GET studio.edit_question": row(L, 403, 403, 403, 200, 200, 200),
    "GET studio.export_course": row(L, 403, 403, 403, 200, 200, 200),
    "GET studio.index": row(L, 403, 403, 200, 200, 200, 200),  # instructors (their own courses) and admins
    "GET studio.new_course": row(L, 403, 403, 200, 200, 200, 200),
    "GET studio.new_lesson": row(L, 403, 403, 403, 200, 200, 200),
    "GET studio.new_module": row(L, 403, 403, 403, 200, 200, 200),
    "GET studio.new_question": row(L, 403, 403, 403, 200, 200, 200),
    "GET studio.preview": row(L, 403, 403, 403, 200, 200, 200),
    "GET studio.preview_lesson": row(L, 403, 403, 403, 200, 200, 200),
    "GET studio.serve_upload": row(404, 403, 200, 403, 200, 200, 200),  # files follow their lesson
    "GET studio.staff": row(L, 403, 403, 403, 200, 200, 200),
    "POST admin.deactivate": row(L, 403, 403, 403, 403, 403, R),
    "POST admin.reactivate": row(L, 403, 403, 403, 403, 403, R),
    "POST admin.set_role": row(L, 403, 403, 403, 403, 403, R),
    "POST auth.change_password": row(L, R, R, R, R, R, R),
    "POST auth.confirm_registration": row(R, R, R, R, R, R, R),
    # Deleted (sent home), but for course owners and the only admin, who are told why not (200).
    "POST auth.delete_account": row(L, R, R, 200, R, 200, 200),
    "POST auth.login": row(R, R, R, R, R, R, R),
    "POST auth.logout": row(R, R, R, R, R, R, R),
    "POST auth.profile": row(L, R, R, R, R, R, R),
    "POST auth.register": row(200, R, R, R, R, R, R),  # logged-in visitors are sent on
    "POST auth.reset_password": row(R, R, R, R, R, R, R),  # the link is the credential
    "POST auth.reset_request": row(200, 200, 200, 200, 200, 200, 200),
    "POST discussion.accept": row(L, 403, R, 403, R, R, R),
    "POST discussion.delete_post": row(L, 403, R, 403, 403, 403, 403),
    "POST discussion.edit_post": row(L, 403, R, 403, 403, 403, 403),
    "POST discussion.follow_board": row(L, 403, R, 403, R, R, R),
    "POST discussion.follow_thread": row(L, 403, R, 403, R, R, R),
    "POST discussion.hide": row(L, 403, 403, 403, R, R, R),
    "POST discussion.lock": row(L, 403, 403, 403, R, R, R),
    "POST discussion.move": row(L, 403, 403, 403, R, R, R),
    "POST discussion.rename": row(L, 403, 403, 403, R, R, R),
    "POST discussion.new_thread": row(L, 403, R, 403, R, R, R),
    "POST discussion.pin": row(L, 403, 403, 403, R, R, R),
    "POST discussion.reply": row(L, 403, R, 403, R, R, R),
    "POST discussion.report": row(L, 403, R, 403, R, R, R),
    "POST discussion.resolve_report": row(L, 403, 403, 403, R, R, R),
    "POST discussion.unhide": row(L, 403, 403, 403, R, R, R),
    "POST discussion.unlock": row(L, 403, 403, 403, R, R, R),
    "POST discussion.vote": row(L, 403, R, 403, R, R, R),
    "POST enrolment.approve": row(L, 403, 403, 403, R, R, R),
    "POST enrolment.decline": row(L, 403, 403, 403, R, R, R),
    "POST enrolment.enrol": row(L, R, R, R, R, R, R),  # open course: anyone logged in
    "POST enrolment.readmit": row(L, 403, 403, 403, R, R, R),  # lets a removed learner back in
    "POST enrolment.remove": row(L, 403, 403, 403, R, R, R),
    "POST enrolment.withdraw": row(L, R, R, R, R, R, R),
    "POST lessons.mark_done": row(403, 403, R, 403, R, R, R),  # POST-only: a plain 403 for anonymous visitors
    "POST lessons.submit_quiz": row(403, 403, R, 403, R, R, R),
    "POST notifications.mark_all_read": row(L, R, R, R, R, R, R),
    "POST notifications.open_notification": row(L, 404, R, 404, 404, 404, 404),  # others' notifications: not found
    "POST peers.answer_connection": row(L, 404, R, 404, 404, 404, 404),  # only the two people of a connection
    "POST peers.block": row(L, 403, R, 403, R, R, 403),  # admins who are not members: no peer actions
    "POST peers.cancel_partner": row(L, 403, R, 403, R, R, 403),
    "POST peers.connect": row(L, 403, R, 403, R, R, 403),
    "POST peers.edit_assignment": row(L, 403, 403, 403, 200, 200, 200),
    "POST peers.end_partner": row(L, 403, R, 403, R, R, 403),
    "POST peers.edit_course_review": row(L, 403, R, 403, 403, 403, 403),
    "POST peers.hide_review": row(L, 403, 403, 403, R, R, R),
    "POST peers.mark_helpful": row(L, 403, R, 403, 403, 403, 403),
    "POST peers.match_partner": row(L, 403, R, 403, R, R, 403),
    "POST peers.moderate_course_review": row(L, 403, 403, 403, R, R, R),
    "POST peers.next_review": row(L, 403, R, 403, 403, 403, 403),
    "POST peers.practice": row(L, 403, R, 403, 403, 403, 403),
    "POST peers.reply_course_review": row(L, 403, 403, 403, R, R, R),
    "POST peers.reply_review": row(L, 403, R, 403, 403, 403, 403),
    "POST peers.report": row(L, 403, R, 403, R, R, 403),
    "POST peers.staff_submission": row(L, 403, 403, 403, R, R, R),
    "POST peers.unblock": row(L, R, R, R, R, R, R),  # lifts only the visitor's own block (none here)
    "POST peers.update_wish": row(L, 403, 403, R, R, R, R),  # wishes are platform-wide: any instructor
    "POST peers.vote_wish": row(L, R, R, R, R, R, R),
    "POST peers.wishes": row(L, R, R, R, R, R, R),
    "POST peers.write_review": row(L, 404, R, 404, 404, 404, 404),
    "POST progress.heartbeat": row(L, 200, 200, 200, 200, 200, 200),  # not a learner there: nothing credited
    "POST progress.set_goal": row(L, R, R, R, R, R, R),
    "POST studio.delete_attachment": row(L, 403, 403, 403, R, R, R),
    "POST studio.delete_course": row(L, 403, 403, 403, 403, R, R),  # owner only; a published course is refused
    "POST studio.delete_lesson": row(L, 403, 403, 403, R, R, R),
    "POST studio.delete_module": row(L, 403, 403, 403, R, R, R),
    "POST studio.delete_question": row(L, 403, 403, 403, R, R, R),
    "POST studio.edit_course": row(L, 403, 403, 403, R, R, R),
    "POST studio.edit_lesson": row(L, 403, 403, 403, R, R, R),
    "POST studio.edit_module": row(L, 403, 403, 403, R, R, R),
    "POST studio.edit_question": row(L, 403, 403, 403, R, R, R),
    "POST studio.import_course": row(L, 403, 403, R, R, R, R),
    "POST studio.move_lesson": row(L, 403, 403, 403, R, R, R),
    "POST studio.move_module": row(L, 403, 403, 403, R, R, R),
    "POST studio.new_course": row(L, 403, 403, R, R, R, R),
    "POST studio.new_lesson": row(L, 403, 403, 403, R, R, R),
    "POST studio.new_module": row(L, 403, 403, 403, R, R, R),
    "POST studio.new_question": row(L, 403, 403, 403, R, R, R),
    "POST studio.preview_check": row(L, 403, 403, 403, 200, 200, 200),
    "POST studio.remove_staff": row(L, 403, 403, 403, 403, R, R),  # owner only
    "POST studio.reorder": row(L, 403, 403, 403, R, R, R),
    "POST studio.restore_lesson": row(L, 403, 403, 403, R, R, R),
    "POST studio.restore_module": row(L, 403, 403, 403, R, R, R),
    "POST studio.set_pass_mark": row(L, 403, 403, 403, R, R, R),
    "POST studio.set_status": row(L, 403, 403, 403, R, R, R),
    "POST studio.staff": row(L, 403, 403, 403, 403, R, R),  # adding co-instructors: owner only
    "POST studio.upload_attachment": row(L, 403, 403, 403, R, R, R),
}
# fmt: on


def test_every_route_is_in_the_table(security_app):
    routes = set(app_routes(security_app))
    assert sorted(routes - set(TABLE)) == [], "routes without an authorization entry"
    assert sorted(set(TABLE) - routes) == [], "entries for routes that no longer exist"


def check_route(app, key):
    """{visitor: (outcome, note, path)} for one route, each visitor on an unchanged world."""
    world = reset_world()
    before = None
    results = {}
    for visitor in VISITOR_ORDER:
        if before is None:
            before = snapshot()
        try:
            response, path = send(app, world, visitor, key)
            got = outcome(response)
        except Exception as error:  # a 500 is an outcome to report with the others, not the end of the loop
            got, path = f"500 {type(error).__name__}: {error}", ""
        note = ""
        if got in DENIALS:
            if snapshot() != before:
                note = "refused, but the database changed"
        elif key.startswith("GET "):
            before = None  # reading may move read marks (see test_csrf_routes.py); nothing to rebuild
        else:
            world, before = reset_world(), None
        results[visitor] = (got, note, path)
    return results


@pytest.mark.parametrize("key", sorted(TABLE))
def test_route_access(security_app, key):
    results = check_route(security_app, key)
    expected = TABLE[key]
    problems = [
        f"{visitor}: expected {expected[visitor]!r}, got {got!r} {note} ({path})"
        for visitor, (got, note, path) in results.items()
        if got != expected[visitor] or note
    ]
    assert not problems, f"{key}\n" + "\n".join(problems)


# --- IDOR: objects of one course are never reachable through another course's URL ------------------------


def _routes_with_course_objects():
    """Routes with a course slug and at least one more object in the URL, from a throwaway app."""
    import tempfile

    from lms import create_app

    with tempfile.TemporaryDirectory(prefix="authz-routes-") as instance:
        app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "TESTING": True,
                          "INSTANCE_PATH": instance})  # fmt: skip
        routes = app_routes(app)
    return sorted(key for key, rule in routes.items()
                  if "slug" in rule.arguments and rule.arguments - {"slug", "answer", "action"})  # fmt: skip


IDOR_ROUTES = _routes_with_course_objects()
# (course in the URL, course the ids come from, who asks): staff of the URL's course and admins pass every
# course check, so only the "does this id belong to this course" check stands between them and the object;
# the learner is enrolled in both courses and owns objects in both.
IDOR_CASES = [("B", "A", "owner_b"), ("A", "B", "owner_a"), ("A", "B", "admin"), ("B", "A", "admin"),
              ("A", "B", "learner"), ("B", "A", "learner")]  # fmt: skip


def test_idor_routes_were_found():
    assert len(IDOR_ROUTES) > 40 and "GET lessons.lesson" in IDOR_ROUTES and "POST discussion.vote" in IDOR_ROUTES


@pytest.mark.parametrize("key", IDOR_ROUTES)
def test_no_object_of_another_course_through_this_course_url(security_app, key):
    app = security_app
    world = reset_world()
    before = snapshot()
    problems = []
    for slug_course, object_course, who in IDOR_CASES:
        response, path = send(app, world, who, key, slug_course=slug_course, object_course=object_course, idor=True)
        got = outcome(response)
        after = snapshot()
        if got not in (403, 404) or after != before:
            problems.append(f"{who} {path}: got {got}" + (" and the database changed" if after != before else ""))
            world, before = reset_world(), None
            before = snapshot()
    assert not problems, f"{key}\n" + "\n".join(problems)


# --- States that take access away ------------------------------------------------------------------------

COURSE_ROUTES = sorted(key for key in TABLE if key in IDOR_ROUTES or key.split(" ", 1)[1] in {
    "enrolment.course_page", "enrolment.enrol", "enrolment.withdraw", "enrolment.roster", "enrolment.roster_csv",
    "lessons.course_home", "discussion.board", "discussion.search", "discussion.new_thread", "discussion.follow_board",
    "discussion.reports", "peers.people", "peers.match_partner", "peers.cancel_partner", "peers.course_reviews",
    "peers.edit_course_review", "peers.review_queue", "progress.analytics", "progress.analytics_csv",
    "studio.course", "studio.edit_course", "studio.set_status", "studio.staff", "studio.export_course",
    "studio.new_module", "studio.preview", "studio.reorder",
})  # fmt: skip
# What a learner removed from course A may still do there: see their own past, leave, and nothing else.
REMOVED_LEARNER_EXCEPTIONS = {
    "GET enrolment.course_page": 200,  # the public course page (it says they were removed)
    "GET peers.course_reviews": 200,  # public
    "GET enrolment.withdraw": R,  # nothing to withdraw from: back to the course page
    "POST enrolment.withdraw": R,
    "POST enrolment.enrol": R,  # refused with a message: removed learners cannot re-enrol themselves
    "GET peers.edit_course_review": 200,  # they completed the course before, so their review stays theirs
    "POST peers.edit_course_review": R,
}


def test_course_routes_found():
    assert len(COURSE_ROUTES) > len(IDOR_ROUTES) + 20


@pytest.mark.parametrize("status", ["removed", "withdrawn"])
def test_a_learner_who_left_is_an_outsider(security_app, status):
    """Everything course-scoped the enrolled learner could do, a removed or withdrawn learner cannot."""
    problems = []
    world = reset_world()
    for key in COURSE_ROUTES:
        world.courses["A"].enrolment.status = status
        db.session.commit()
        before = snapshot()
        response, path = send(security_app, world, "learner", key)
        got = outcome(response)
        allowed = REMOVED_LEARNER_EXCEPTIONS.get(key, TABLE[key]["outsider"])
        if got != allowed and got not in (403, 404):
            problems.append(f"{key} {path}: got {got}, an outsider gets {TABLE[key]['outsider']}")
        if got in DENIALS and snapshot() != before:
            problems.append(f"{key} {path}: refused, but the database changed")
        if got not in DENIALS:
            world = reset_world()
    assert not problems, "\n".join(problems)


def test_a_draft_course_is_invisible_to_everyone_but_its_staff(security_app):
    """Nobody but staff gets anything of a draft course (even a learner whose enrolment row exists)."""
    problems = []
    world = reset_world()
    for key in COURSE_ROUTES:
        for visitor in ("anonymous", "outsider", "learner", "other_instructor"):
            world.courses["A"].course.status = "draft"
            db.session.commit()
            before = snapshot()
            response, path = send(security_app, world, visitor, key)
            got = outcome(response)
            if visitor == "learner" and key.endswith(" enrolment.withdraw"):
                world = reset_world()  # leaving is always possible
                continue
            if got not in (403, 404, LOGIN):
                problems.append(f"{visitor} {key} {path}: got {got}")
            if snapshot() != before:
                problems.append(f"{visitor} {key} {path}: the database changed")
                world = reset_world()
    assert not problems, "\n".join(problems)


def test_free_preview_lesson_and_its_files_are_open_to_all(security_app):
    world = reset_world()
    course = world.courses["A"]
    course.upload.lesson_id = course.preview_lesson.id
    db.session.commit()
    for visitor in VISITOR_ORDER:
        client = security_app.test_client()
        login_as(client, world.visitors[visitor])
        page = client.get(f"/learn/{course.course.slug}/lessons/{course.preview_lesson.id}")
        assert page.status_code == 200, visitor
        assert course.preview_lesson.title in page.get_data(as_text=True)
        assert client.get(f"/studio/files/{course.upload.stored_name}").status_code == 200, visitor
