"""Every write route refuses a request without a CSRF token, and no GET route writes.

With CSRF protection on (as in production), each route that accepts POST/PUT/PATCH/DELETE is called by a
visitor who may use it (read from the authorization table) with a valid body but no token: it must answer
400 and leave every row of every table as it was. The same request WITH the session's token then gets the
outcome the authorization table promises, so the 400 really was the missing token.

Then every GET route, for every kind of visitor, must leave the database as it was, apart from the
read-tracking that opening a page is documented to do (READ_TRACKING below).
"""

import re

import pytest

from tests.security_routes import (
    DENIALS, WRITE_METHODS, app_routes, body_for, forget_request_globals, outcome, security_app_fixture, send,
)
from tests.security_world import login_as, reset_world, snapshot
from tests.test_authorization import TABLE, VISITOR_ORDER

security_app = security_app_fixture(WTF_CSRF_ENABLED=True)

WRITE_ROUTES = sorted(key for key in TABLE if key.split(" ", 1)[0] in WRITE_METHODS)
GET_ROUTES = sorted(key for key in TABLE if key.startswith("GET "))
# Who calls each write route: the first visitor (in this order) the authorization table lets use it.
CALLER_PREFERENCE = ["admin", "owner", "co_instructor", "learner", "outsider", "other_instructor", "anonymous"]


def caller_for(key):
    return next(visitor for visitor in CALLER_PREFERENCE if TABLE[key][visitor] not in DENIALS)


def csrf_token(client):
    """The session's CSRF token, as the pages put it into every form."""
    forget_request_globals()
    page = client.get("/auth/profile") if _logged_in(client) else client.get("/auth/login")
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)) or re.search(
        r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


def _logged_in(client):
    with client.session_transaction() as session:
        return "_user_id" in session


def test_every_write_route_is_covered(security_app):
    routes = app_routes(security_app)
    writes = {key for key, rule in routes.items() if key.split(" ", 1)[0] in WRITE_METHODS}
    assert set(WRITE_ROUTES) == writes
    assert len(WRITE_ROUTES) > 80
    # Every route that accepts POST was checked with POST: no write route hides behind a GET-only entry.
    assert all(f"POST {rule.endpoint}" in WRITE_ROUTES for rule in routes.values() if "POST" in rule.methods)


@pytest.mark.parametrize("key", WRITE_ROUTES)
def test_write_route_refuses_a_request_without_csrf_token(security_app, key):
    world = reset_world()
    visitor = caller_for(key)
    before = snapshot()
    response, path = send(security_app, world, visitor, key)
    assert response.status_code == 400, f"{visitor} {path} without a token: {response.status_code}"
    assert snapshot() == before, f"{visitor} {path} without a token changed the database"

    # The same request with the session's token is let through: the 400 above was the missing token.
    method, endpoint = key.split(" ", 1)
    client = security_app.test_client()
    login_as(client, world.visitors[visitor])
    data = {**body_for(endpoint, world, world.courses["A"]), "csrf_token": csrf_token(client)}
    accepted, path = send(security_app, world, visitor, key, data=data, client=client)
    assert outcome(accepted) == TABLE[key][visitor], f"{visitor} {path} with the token"


# --- GET never writes --------------------------------------------------------------------------------------

# What opening a page may record, and why (each is an idempotent upsert, done so that the feature works
# without JavaScript):
READ_TRACKING = {
    # Opening a lesson starts it: first/last opened times ("in progress" on the outline, the dashboard).
    "lesson_progress": {"first_opened_at", "last_opened_at"},
    # "Continue where you left off": the enrolment's resume pointer and last activity.
    "enrolments": {"last_lesson_id", "last_activity_at"},
    # Reading a thread moves the reader's read mark (unread badges on the board and the lesson page).
    "discussion_thread_reads": "*",
}


def _only_opened(row):
    return row["completed_at"] is None and row["seconds_spent"] == 0 and row["quiz_attempts"] == 0


@pytest.mark.parametrize("key", GET_ROUTES)
def test_get_route_does_not_write(security_app, key):
    world = reset_world()
    problems = []
    for visitor in VISITOR_ORDER:
        before = snapshot()
        response, path = send(security_app, world, visitor, key)
        after = snapshot()
        if after != before:
            changed = sorted(name for name in before if before[name] != after[name])
            if not set(changed) <= set(READ_TRACKING) or _writes_beyond_read_tracking(before, after):
                problems.append(f"{visitor} {path} ({response.status_code}) changed: {', '.join(changed)}")
            if outcome(response) in DENIALS:
                problems.append(f"{visitor} {path} was refused ({response.status_code}) but still wrote {changed}")
    assert not problems, f"{key}\n" + "\n".join(problems)


def _writes_beyond_read_tracking(before, after):
    """True when a read-tracking table changed in more than its read-tracking columns."""
    from lms.extensions import db

    for table in db.metadata.sorted_tables:
        ignored = READ_TRACKING.get(table.name)
        if ignored is None or ignored == "*" or before[table.name] == after[table.name]:
            continue
        names = [column.name for column in table.columns]
        keep = [i for i, name in enumerate(names) if name not in ignored]
        old = {row[names.index("id")]: tuple(row[i] for i in keep) for row in before[table.name]}
        new = {row[names.index("id")]: row for row in after[table.name]}
        if set(old) - set(new):
            return True  # rows deleted
        for row_id, row in new.items():
            if row_id in old:
                if old[row_id] != tuple(row[i] for i in keep):
                    return True  # a column other than the read-tracking ones changed
            elif table.name != "lesson_progress" or not _only_opened(dict(zip(names, row, strict=True))):
                return True  # a new row where a page view may not add one
    return False
