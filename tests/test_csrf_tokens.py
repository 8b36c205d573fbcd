"""CSRF tokens signed once per session and process (lms/csrf_tokens.py): each reader keeps getting a token of
their own that is accepted, and every form of a page carries the same one."""

import re
from contextlib import contextmanager

import flask_wtf.csrf
import pytest
from flask import render_template_string
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from lms.auth.forms import ButtonForm
from tests.conftest import PASSWORD
from tests.discussion_helpers import world  # noqa: F401 (fixture)

CSRF_ON = pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])


class _SignedEarlier(TimestampSigner):
    def get_timestamp(self):
        return 1_700_000_000


class _EarlierSerializer(URLSafeTimedSerializer):
    default_signer = _SignedEarlier


@contextmanager
def signing_earlier(monkeypatch):
    """CSRF tokens signed in this block carry an old time, so a fresh signature afterwards differs from them.
    (Only Flask-WTF's serializer: a session cookie signed that long ago would have expired.)"""
    with monkeypatch.context() as patch:
        patch.setattr(flask_wtf.csrf, "URLSafeTimedSerializer", _EarlierSerializer)
        yield


def tokens_in(html):
    return set(re.findall(r'name="csrf_token"[^>]*value="([^"]*)"|name="csrf-token" content="([^"]*)"', html))


def page_tokens(client, url):
    return {value for pair in tokens_in(client.get(url).get_data(as_text=True)) for value in pair if value}


def logged_in_client(app, user):
    client = app.test_client()
    token = page_tokens(client, "/auth/login").pop()
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return client


@CSRF_ON
def test_each_reader_keeps_their_own_accepted_token(app, world, monkeypatch):
    board = world.url()  # its forms are one-button forms, which take the token from the cache
    readers = {"maya": logged_in_client(app, world.maya), "tom": logged_in_client(app, world.tom)}
    for client in readers.values():
        page_tokens(client, board)  # the session gets its raw token again after logging in
    with signing_earlier(monkeypatch):
        first = {name: page_tokens(client, board) for name, client in readers.items()}
    again = {name: page_tokens(client, board) for name, client in readers.items()}
    for name in first:
        assert len(first[name]) == 1 and again[name] == first[name], name  # signed once, then reused
    tom = readers["tom"]
    assert first["maya"].isdisjoint(first["tom"])

    follow = world.url("follow")
    assert tom.post(follow, data={"csrf_token": next(iter(first["maya"]))}).status_code == 400  # not his
    assert tom.post(follow, data={"csrf_token": next(iter(again["tom"]))}).status_code == 302


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True, "WTF_CSRF_TIME_LIMIT": 3600}])
def test_with_a_time_limit_every_request_signs_afresh(app, world, monkeypatch):
    maya, board = logged_in_client(app, world.maya), world.url()
    page_tokens(maya, board)  # the session gets its raw token again after logging in
    with signing_earlier(monkeypatch):
        before = page_tokens(maya, board)
    assert page_tokens(maya, board).isdisjoint(before)  # a token signed earlier is never handed out again


@CSRF_ON
def test_forms_built_after_the_page_asked_for_its_token_carry_the_same_token(app, monkeypatch):
    """Cached fragments swap the page's token for a placeholder: a form signed differently would be stored with
    this visitor's token in it (lms/fragments.py)."""

    @app.get("/token-probe")
    def token_probe():
        page = render_template_string("{{ csrf_token() }}")
        return {"page": page, "form": ButtonForm().csrf_token.current_token}

    client = app.test_client()
    client.get("/token-probe")  # the session gets its raw token
    with signing_earlier(monkeypatch):
        signed_before = client.get("/token-probe").get_json()
    assert signed_before["page"] == signed_before["form"]
    now = client.get("/token-probe").get_json()
    assert now["page"] == signed_before["page"]  # from the cache
    assert now["form"] == now["page"]
