"""Fuzz every form with hypothesis: huge strings, control characters, NUL bytes, odd Unicode, wrong types
(text in number fields, repeated fields), missing fields. Never a 500 (nor a 503, which would blame the
database for bad input); a refused submission re-renders with a message (200/400) or redirects with a flash,
and a refusal writes nothing (row counts unchanged).

One world per route (tests/security_world.py); each example is one POST with the route's minimal valid body
(tests/security_routes.py) after one mutation. Bounded: 25 examples per route.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security_routes import BODIES, app_routes, body_for, build_path, url_values
from tests.security_world import login_as, reset_world, table_counts

ANONYMOUS = {"auth.login", "auth.register", "auth.reset_request", "auth.reset_password", "auth.confirm_registration"}
STAFF_PREFIXES = ("studio.", "enrolment.approve", "enrolment.decline", "enrolment.remove", "enrolment.readmit",
                  "discussion.lock",
                  "discussion.hide", "discussion.move", "discussion.pin", "discussion.unlock", "discussion.unhide",
                  "discussion.rename",
                  "discussion.resolve_report", "peers.edit_assignment", "peers.hide_review", "peers.staff_submission",
                  "peers.reply_course_review", "peers.moderate_course_review", "peers.update_wish",
                  "progress.")  # fmt: skip
# Forms with typed fields that matter (the other POST routes are one-button forms: fuzzed with stray fields).
EXTRA_FORMS = {
    "enrolment.enrol": lambda w, c: {"key": "guess"},
    "lessons.submit_quiz": None,  # from BODIES
}
REFUSED = {200, 400, 403, 404, 409, 413, 422, 429}
# A form whose success deletes the visitor who sent it: each example starts from a fresh world.
DELETES_THE_VISITOR = {"auth.delete_account"}

ODD = [
    "\x00", "a\x00b", "\x01\x02\x1b[31m", "\u202e\u202d", "\u200b\u200d\ufeff", "e\u0301\u0301\u0301", "😀" * 3,
    "\ud7ff\ue000\uffff", "𝕏", "\U0010ffff", "<script>alert(1)</script>", "' OR 1=1 --", "%00", "../../etc/passwd",
    "-1", "0", "99999999999999999999", "1e309", "NaN", "1.5", " ", "\r\n", "\t", "null", "[]", "{}", "true",
]  # fmt: skip
values = st.one_of(
    st.sampled_from(ODD),
    st.text(max_size=40),
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=20),
    st.builds(lambda ch, n: ch * n, st.sampled_from(["x", "é", "😀", "\x00", " "]),
              st.sampled_from([300, 5000, 120_000])),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)


def _visitor(endpoint):
    if endpoint in ANONYMOUS:
        return "anonymous"
    if endpoint.startswith("admin."):
        return "admin"
    if endpoint.startswith(STAFF_PREFIXES):
        return "owner"
    return "learner"


def _form_routes(app):
    keys = []
    for key in sorted(app_routes(app)):
        method, endpoint = key.split(" ", 1)
        if method == "POST":
            keys.append(key)
    return keys


@st.composite
def mutations(draw, fields):
    """(kind, field, value): replace a field, drop it, repeat it (a list), or add an unknown one."""
    kind = draw(st.sampled_from(["replace", "replace", "replace", "drop", "repeat", "extra"]))
    field = draw(st.sampled_from(fields)) if fields else "unexpected"
    return kind, field, draw(values)


def _apply(body, mutation):
    kind, field, value = mutation
    body = {k: v for k, v in body.items() if not isinstance(v, tuple)}  # files are fuzzed in the upload tests
    if kind == "replace" or (kind in ("drop", "repeat") and field not in body):
        body[field] = value
    elif kind == "drop":
        body.pop(field)
    elif kind == "repeat":
        body[field] = [body[field], value]
    else:
        body["unexpected_" + field] = value
    return body


def _routes_for_fuzzing():
    from lms import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "TESTING": True,
                      "INSTANCE_PATH": "/tmp/fuzz-route-listing"})  # fmt: skip
    return _form_routes(app)


ROUTES = _routes_for_fuzzing()


def test_every_form_route_is_fuzzed(app):
    posts = {key for key in app_routes(app) if key.startswith("POST ")}
    assert set(ROUTES) == posts
    with_bodies = {key.split(" ", 1)[1] for key in ROUTES} & (set(BODIES) | set(EXTRA_FORMS))
    assert len(with_bodies) >= 40, "the typed forms are fuzzed with their real fields"


@pytest.mark.parametrize("key", ROUTES)
def test_fuzzed_form_never_fails(app, key):
    from lms.extensions import db, throttles

    endpoint = key.split(" ", 1)[1]
    world = reset_world()
    rule = app_routes(app)[key]
    objects = world.courses["A"]
    maker = EXTRA_FORMS.get(endpoint)
    base = maker(world, objects) if maker else body_for(endpoint, world, objects)
    fields = sorted(k for k, v in base.items() if not isinstance(v, tuple)) or ["unexpected"]

    @settings(max_examples=25, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large])  # fmt: skip
    @given(mutation=mutations(fields))
    def fuzz(mutation):
        throttles.reset(app)
        db.session.rollback()
        fresh = reset_world() if endpoint in DELETES_THE_VISITOR else world
        path = build_path(app, endpoint, "POST", url_values(endpoint, rule, fresh))
        client = login_as(app.test_client(), fresh.visitors[_visitor(endpoint)])
        before = table_counts()
        body = _apply(base, mutation)
        response = client.post(path, data=body)
        assert response.status_code not in (500, 503), (key, mutation, response.status_code)
        if response.status_code in REFUSED and response.status_code != 200:
            assert table_counts() == before, (key, mutation, "a refused request wrote rows")
        if response.status_code == 200 and "error" in response.get_data(as_text=True):
            assert table_counts() == before, (key, mutation, "a re-rendered form wrote rows")

    fuzz()


def test_nul_bytes_are_dropped_in_one_place_and_the_form_still_saves(client, make_user, login):
    from lms.extensions import db

    user = make_user()
    login(user)
    response = client.post("/auth/profile", data={"display_name": "An\x00a", "headline": "Dev\x00", "bio": "x\x00y",
                                                  "timezone": "UTC", "weekly_goal_minutes": "60",
                                                  "email_preference": "never"})  # fmt: skip
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.display_name, user.headline, user.bio) == ("Ana", "Dev", "xy")
    assert client.get("/courses/?q=rates\x00").status_code == 200
    assert client.get("/courses/%00").status_code == 404


def test_ids_no_database_column_can_hold_are_simply_not_found(client, make_user, login):
    login(make_user())
    for path in ("/learn/x/lessons/99999999999999999999", "/notifications/2147483648/open",
                 "/auth/people/99999999999"):  # fmt: skip
        response = client.get(path) if "open" not in path else client.post(path)
        assert response.status_code == 404, path


def test_numbers_in_query_strings_no_database_column_can_hold_are_ignored(app, make_user, login):
    """Page numbers and ids in query strings reach the database: one it cannot hold is treated as absent."""
    from tests.discussion_helpers import World

    world = World(make_user)
    thread = world.thread(world.maya)
    course, lesson = world.course.slug, world.lesson.id
    pages = {
        world.maya: [f"/courses/{course}/discussion/?page={{n}}", f"/courses/{course}/discussion/?lesson={{n}}",
                     f"/courses/{course}/discussion/threads/{thread.id}?page={{n}}",
                     f"/courses/{course}/discussion/threads/{thread.id}/reply?quote={{n}}",
                     f"/courses/{course}/discussion/new?lesson={{n}}",
                     f"/courses/{course}/discussion/search?q=reply&page={{n}}",
                     f"/learn/{course}/lessons/{lesson}?attempt={{n}}", f"/courses/{course}/reviews?page={{n}}",
                     f"/courses/{course}/people?page={{n}}", "/wishes/?page={n}", "/notifications/?page={n}",
                     "/?minutes={n}"],
        world.instructor: [f"/studio/courses/{course}/analytics?page={{n}}"],
        make_user(role="admin"): ["/admin/users?page={n}", "/admin/audit?page={n}"],
    }  # fmt: skip
    for user, urls in pages.items():
        client = app.test_client()
        login(user, client)
        for url in urls:
            for n in ("99999999999999999999", "2147483648", "-5", "0"):
                response = client.get(url.format(n=n))
                assert response.status_code == 200, (url.format(n=n), response.status_code)
