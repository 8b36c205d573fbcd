"""Session cookies verified once per app process (lms/sessions.py): a remembered cookie still logs its reader in,
anything else is checked as Flask checks it, and an expired cookie is refused even when remembered."""

import time
from datetime import timedelta

import pytest

from lms.sessions import RememberingSessionInterface
from tests.conftest import make_app

DASHBOARD_GREETING = "Hi, Maya"


def session_cookie(client):
    return client.get_cookie("session").value


def reads_as(app, cookie):
    """The home page as a browser sending only this session cookie sees it."""
    client = app.test_client()
    client.set_cookie("session", cookie)
    return client.get("/").get_data(as_text=True)


class _NoVerifying:
    def loads(self, *args, **kwargs):
        raise AssertionError("the cookie was verified again")


@pytest.fixture
def maya_cookie(app, make_user, login, client):
    login(make_user("maya@example.com", "Maya"))
    client.get("/")  # the first page after logging in gives the session its CSRF token: a new cookie
    cookie = session_cookie(client)
    assert DASHBOARD_GREETING in client.get("/").get_data(as_text=True)  # verified now, and remembered
    assert session_cookie(client) == cookie
    return cookie


def test_a_remembered_cookie_is_not_verified_again(app, maya_cookie, monkeypatch):
    monkeypatch.setattr(RememberingSessionInterface, "get_signing_serializer", lambda self, app: _NoVerifying())
    assert DASHBOARD_GREETING in reads_as(app, maya_cookie)


def test_a_changed_cookie_is_refused_though_the_original_is_remembered(app, maya_cookie):
    payload, timestamp, signature = maya_cookie.rsplit(".", 2)
    forged_signature = ("A" if signature[0] != "A" else "B") + signature[1:]
    for forged in (f"{payload}.{timestamp}.{forged_signature}", f"{payload}x.{timestamp}.{signature}"):
        page = reads_as(app, forged)
        assert DASHBOARD_GREETING not in page and "Log in" in page
    assert DASHBOARD_GREETING in reads_as(app, maya_cookie)


@pytest.mark.parametrize("app_config", [{"PERMANENT_SESSION_LIFETIME": timedelta(minutes=10)}])
def test_an_expired_cookie_is_refused_even_when_remembered(app, maya_cookie, monkeypatch):
    assert DASHBOARD_GREETING in reads_as(app, maya_cookie)
    later = time.time() + 11 * 60
    monkeypatch.setattr("lms.sessions.time.time", lambda: later)
    assert DASHBOARD_GREETING not in reads_as(app, maya_cookie)


def test_another_app_does_not_take_a_cookie_this_one_remembered(app, _schema, tmp_path, maya_cookie):
    """The memo belongs to the app whose secret key signed the cookie."""
    other = make_app(_schema, tmp_path / "other-instance", SECRET_KEY="another-secret-key")
    with other.app_context():
        assert DASHBOARD_GREETING not in reads_as(other, maya_cookie)


def test_a_session_with_flashed_messages_is_not_remembered(app, maya_cookie, client):
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Saved.")]
    cookie = session_cookie(client)
    assert "Saved." in client.get("/").get_data(as_text=True)
    assert app.session_interface.verified.get(cookie) is None  # its list is changed in place by flash()
    assert app.session_interface.verified.get(maya_cookie) is not None


@pytest.mark.parametrize("app_config", [{"VERIFIED_SESSIONS_SIZE": 0}])
def test_with_no_room_every_request_verifies_the_cookie(app, maya_cookie, monkeypatch):
    checked = []
    verify = RememberingSessionInterface.get_signing_serializer

    def counting(self, app):
        checked.append(1)
        return verify(self, app)

    monkeypatch.setattr(RememberingSessionInterface, "get_signing_serializer", counting)
    assert DASHBOARD_GREETING in reads_as(app, maya_cookie)
    assert DASHBOARD_GREETING in reads_as(app, maya_cookie)
    assert len(checked) == 2
