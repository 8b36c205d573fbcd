"""Accounts under attack: no user enumeration by timing or wording, throttles with readable answers on login,
reset, registration, enrolment keys and posting, session rotation on login, and sessions that end."""

import statistics
import time

import pytest
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from lms.extensions import db
from lms.models import Enrolment, SignIn, Thread
from tests.conftest import PASSWORD
from tests.factories import enrol, make_course


def _timed_login(client, email):
    start = time.perf_counter()
    response = client.post("/auth/login", data={"email": email, "password": "not the password!"})
    elapsed = time.perf_counter() - start
    assert response.status_code == 200
    return elapsed


def _timed_hash(stored):
    start = time.perf_counter()
    check_password_hash(stored, "else")
    return time.perf_counter() - start


def test_passwords_are_hashed_with_the_production_scrypt_cost(app, make_user, production_password_hashing):
    """The rest of the suite hashes cheaply (tests/speedups.py): here the app's own setting is checked."""
    from lms.auth.services import authenticate

    user = make_user(email="cost@example.com")
    assert user.password_hash.startswith("scrypt:32768:8:1$"), user.password_hash[:20]
    assert authenticate("cost@example.com", PASSWORD) == user


def test_login_takes_as_long_for_an_unknown_email_as_for_a_known_one(app, client, make_user,
                                                                    production_password_hashing):  # fmt: skip
    make_user(email="known@example.com")
    stored = generate_password_hash("something", method="scrypt")
    known, unknown, hashes = [], [], []
    for i in range(5):  # interleaved, so a burst of load on the machine hits every side alike
        hashes.append(_timed_hash(stored))
        known.append(_timed_login(client, "known@example.com"))
        unknown.append(_timed_login(client, f"nobody{i}@example.com"))
    hash_cost = statistics.median(hashes)
    known_time, unknown_time = statistics.median(known), statistics.median(unknown)
    # Both pay for a full password hash (the unknown address checks a dummy hash) ...
    assert known_time > 0.5 * hash_cost and unknown_time > 0.5 * hash_cost, (hashes, known, unknown)
    # ... so the difference is noise, not a signal (a missing hash would make one side ~50x faster).
    assert max(known_time, unknown_time) / min(known_time, unknown_time) < 3, (known, unknown)


def test_register_and_reset_answer_the_same_for_members_and_strangers(client, make_user, outbox):
    make_user(email="member@example.com")
    pages = {}
    for email in ("member@example.com", "stranger@example.com"):
        data = {"display_name": "Someone", "email": email, "password": "a long passphrase",
                "confirm": "a long passphrase"}  # fmt: skip
        register = client.post("/auth/register", data=data)
        reset = client.post("/auth/reset", data={"email": email})
        pages[email] = [r.status_code for r in (register, reset)], [
            r.get_data(as_text=True).replace(email, "EMAIL") for r in (register, reset)
        ]
    assert pages["member@example.com"] == pages["stranger@example.com"]


def test_reset_requests_are_throttled_with_a_readable_page(client, make_user, outbox):
    make_user(email="member@example.com")
    codes = [client.post("/auth/reset", data={"email": "member@example.com"}).status_code for _ in range(6)]
    assert codes[:5] == [200] * 5 and codes[5] == 429
    page = client.post("/auth/reset", data={"email": "member@example.com"}).get_data(as_text=True)
    assert "Too many attempts" in page and "wait" in page
    assert len(outbox()) == 5, "no mail once throttled"


def test_registration_is_throttled_per_address(client, outbox):
    data = {"display_name": "Spammer", "email": "victim@example.com", "password": "a long passphrase",
            "confirm": "a long passphrase"}  # fmt: skip
    codes = [client.post("/auth/register", data=data).status_code for _ in range(6)]
    assert codes[-1] == 429 and len(outbox()) == 5, "nobody can flood an inbox through the sign-up form"


def test_registration_is_throttled_per_client_address_whatever_the_emails(client, outbox):
    def register(n, address):
        data = {"display_name": "Spammer", "email": f"victim{n}@example.com", "password": "a long passphrase",
                "confirm": "a long passphrase"}  # fmt: skip
        return client.post("/auth/register", data=data, environ_base={"REMOTE_ADDR": address})

    codes = [register(n, STRANGER).status_code for n in range(12)]
    assert codes[:10] == [200] * 10 and codes[10:] == [429, 429], "REGISTER_IP_LIMIT: 10 per hour"
    assert len(outbox()) == 10, "no mail once throttled"
    page = register(99, STRANGER).text
    assert "Too many sign-ups from your network. Please wait 60 minutes and try again." in page
    assert register(12, OWNER).status_code == 200, "other addresses unaffected"
    assert len(outbox()) == 11


def test_login_throttle_answers_readably(client, make_user):
    make_user(email="lena@example.com")
    for _ in range(10):
        client.post("/auth/login", data={"email": "lena@example.com", "password": "wrong password!"})
    response = client.post("/auth/login", data={"email": "LENA@example.com ", "password": PASSWORD})
    assert response.status_code == 429, "the throttle ignores case and spaces in the address"
    assert "Too many failed attempts" in response.get_data(as_text=True)
    assert "wait 15 minutes" in response.get_data(as_text=True)


def test_guessing_the_current_password_on_the_change_form_is_throttled_like_logins(client, make_user, login):
    """A borrowed session must not buy unlimited guesses at the password: wrong current passwords count as
    failed logins of the account, on the same counters and with the same answer."""
    user = make_user(email="lena@example.com")
    login(user)
    data = {"password": "a brand new passphrase", "confirm": "a brand new passphrase"}
    for _ in range(10):
        response = client.post("/auth/password", data={**data, "current_password": "a wrong guess"})
        assert response.status_code == 200 and "not your current password" in response.text
    response = client.post("/auth/password", data={**data, "current_password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed attempts for this account. Please wait 15 minutes" in response.text
    db.session.refresh(user)
    assert user.check_password(PASSWORD), "the right guess after the limit changes nothing"
    client.post("/auth/logout")
    assert client.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 429


STRANGER, OWNER = "203.0.113.9", "198.51.100.7"  # documentation addresses (RFC 5737)


def _login_from(client, address, email, password="wrong password!"):
    return client.post("/auth/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})  # fmt: skip


def test_a_strangers_failures_do_not_lock_the_owner_out(client, make_user):
    make_user(email="lena@example.com")
    for _ in range(10):
        assert _login_from(client, STRANGER, "lena@example.com").status_code == 200
    assert _login_from(client, STRANGER, "lena@example.com", PASSWORD).status_code == 429, "the guesser is stopped"
    assert _login_from(client, OWNER, "lena@example.com", PASSWORD).status_code == 302, "the owner still gets in"


def test_one_address_trying_many_accounts_is_stopped(client, make_user):
    make_user(email="member@example.com")
    for n in range(30):  # LOGIN_IP_FAILURE_LIMIT: two guesses each at 15 accounts, far below their own limit
        assert _login_from(client, STRANGER, f"account{n // 2}@example.com").status_code == 200
    pages = {}
    for email in ("member@example.com", "stranger@example.com"):
        response = _login_from(client, STRANGER, email, PASSWORD)
        pages[email] = response.status_code, response.get_data(as_text=True).replace(email, "EMAIL")
    assert pages["member@example.com"][0] == 429, "even the right password of an untouched account"
    assert pages["member@example.com"] == pages["stranger@example.com"], "no hint about who has an account"
    assert "Too many failed attempts from your network" in pages["member@example.com"][1]
    assert _login_from(client, OWNER, "member@example.com", PASSWORD).status_code == 302, "other addresses unaffected"


def test_an_account_has_a_ceiling_against_guessing_from_many_addresses(client, make_user, outbox):
    make_user(email="lena@example.com")
    for n in range(10):  # 10 addresses x 10 guesses: each within its own limits, 100 for the account
        for _ in range(10):
            assert _login_from(client, f"192.0.2.{n}", "lena@example.com").status_code == 200
    pages = {}
    for email in ("lena@example.com", "nobody@example.com"):
        for n in range(10):
            for _ in range(10 if email == "nobody@example.com" else 0):  # the same history for an unknown e-mail
                _login_from(client, f"198.18.0.{n}", email)
        response = _login_from(client, OWNER, email, PASSWORD)
        pages[email] = response.status_code, response.get_data(as_text=True).replace(email, "EMAIL")
    assert pages["lena@example.com"][0] == 429, "LOGIN_ACCOUNT_FAILURE_LIMIT: 100 per hour"
    assert pages["lena@example.com"] == pages["nobody@example.com"]
    assert "wait 60 minutes or reset your password" in pages["lena@example.com"][1]
    # The way out the page offers works: a reset proves the mailbox and lifts the account's ceiling.
    client.post("/auth/reset", data={"email": "lena@example.com"}, environ_base={"REMOTE_ADDR": OWNER})
    link = next(line for line in outbox()[-1].get_content().splitlines() if "/auth/reset/" in line)
    client.post(link[link.index("/auth/reset/"):].strip(), environ_base={"REMOTE_ADDR": OWNER},
                data={"password": "a brand new passphrase", "confirm": "a brand new passphrase"})  # fmt: skip
    assert _login_from(client, OWNER, "lena@example.com", "a brand new passphrase").status_code == 302


def test_a_successful_login_clears_the_count_for_that_address_only(client, make_user):
    make_user(email="lena@example.com")
    for _ in range(9):
        _login_from(client, OWNER, "lena@example.com")
        _login_from(client, STRANGER, "lena@example.com")
    assert _login_from(client, OWNER, "lena@example.com", PASSWORD).status_code == 302
    client.post("/auth/logout")
    for _ in range(10):
        assert _login_from(client, OWNER, "lena@example.com").status_code == 200, "a fresh count of 10"
    assert _login_from(client, OWNER, "lena@example.com", PASSWORD).status_code == 429
    assert _login_from(client, STRANGER, "lena@example.com").status_code == 200, "the 10th for the stranger ..."
    assert _login_from(client, STRANGER, "lena@example.com", PASSWORD).status_code == 429, "... was not cleared"


def _login_through_proxy(client, forwarded_for, password="wrong password!"):
    # The test client's own address (127.0.0.1) plays the proxy; the proxy appends the client to the header.
    return client.post("/auth/login", data={"email": "lena@example.com", "password": password},
                       headers={"X-Forwarded-For": forwarded_for})  # fmt: skip


@pytest.mark.parametrize("app_config", [{"PROXY_FIX_X_FOR": 1}])
def test_behind_a_proxy_the_client_address_comes_from_x_forwarded_for(client, make_user):
    make_user(email="lena@example.com")
    for n in range(10):  # a forged first entry changes nothing: only the one our proxy appended counts
        assert _login_through_proxy(client, f"10.9.9.{n}, {STRANGER}").status_code == 200
    assert _login_through_proxy(client, STRANGER, PASSWORD).status_code == 429
    assert _login_through_proxy(client, OWNER, PASSWORD).status_code == 302


def test_without_the_proxy_setting_x_forwarded_for_is_ignored(client, make_user):
    make_user(email="lena@example.com")
    for n in range(10):  # anybody can send the header: by default it must not pick the throttle's address
        assert _login_through_proxy(client, f"192.0.2.{n}").status_code == 200
    assert _login_through_proxy(client, OWNER, PASSWORD).status_code == 429


def test_enrolment_keys_are_throttled(client, make_user, login):
    from lms.studio.services import set_enrolment_key

    owner = make_user(role="instructor")
    course = make_course(owner, "Keyed", slug="keyed", policy="key")
    set_enrolment_key(course, "open sesame")
    db.session.commit()
    learner = make_user()
    login(learner)
    for _ in range(10):
        page = client.post("/courses/keyed/enrol", data={"key": "guess"}, follow_redirects=True)
        assert "That key is not right" in page.get_data(as_text=True)
    page = client.post("/courses/keyed/enrol", data={"key": "open sesame"}, follow_redirects=True)
    assert "Too many wrong keys" in page.get_data(as_text=True)
    active = db.select(Enrolment).where(Enrolment.user_id == learner.id, Enrolment.status == "active")
    assert db.session.scalar(active) is None


@pytest.mark.parametrize("app_config", [{"POSTING_LIMIT": "3 per 10 minutes"}])
def test_posting_is_throttled_with_a_message_and_the_text_kept(client, make_user, login):
    owner = make_user(role="instructor")
    course = make_course(owner, "Busy", slug="busy")
    learner = make_user()
    enrol(learner, course)
    login(learner)
    for n in range(3):
        data = {"title": f"Thread {n}", "kind": "discussion", "lesson_id": "0", "body": "Hello"}
        assert client.post("/courses/busy/discussion/new", data=data).status_code == 302
    data = {"title": "One too many", "kind": "discussion", "lesson_id": "0", "body": "Still here?"}
    response = client.post("/courses/busy/discussion/new", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code in (200, 429) and "faster than we allow" in html and "Still here?" in html
    assert db.session.scalar(db.select(db.func.count(Thread.id))) == 3
    for n in range(3):
        client.post("/wishes/", data={"title": f"Wish number {n}", "why": "Because it would help."})
    response = client.post("/wishes/", data={"title": "Wish number 4", "why": "Because it would help."})
    assert response.status_code == 429 and "Too many attempts" in response.get_data(as_text=True)


def test_login_rotates_the_session(client, make_user):
    user = make_user(email="lena@example.com")
    client.get("/auth/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"  # e.g. a session cookie fixed on the victim's browser
        before = dict(session)
    cookie_before = client.get_cookie("session").value
    response = client.post("/auth/login", data={"email": "lena@example.com", "password": PASSWORD})
    assert response.status_code == 302
    cookie_after = client.get_cookie("session").value
    assert cookie_after != cookie_before
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("csrf_token") in (None,) or session.get("csrf_token") != before.get("csrf_token")
        signed_in = db.session.scalar(select(SignIn.user_id).where(SignIn.token == session["_user_id"]))
        assert signed_in == user.id
    # Replaying the pre-login cookie gives an anonymous visitor, not the account.
    other = client.application.test_client()
    other.set_cookie("session", cookie_before, domain="localhost")
    assert other.get("/auth/profile").status_code == 302


def test_logout_ends_the_session_for_a_copied_cookie_too(app, client, make_user, login):
    user = make_user()
    login(user)
    copied = client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", copied, domain="localhost")
    assert thief.get("/auth/profile").status_code == 200, "a copied cookie works while the sign-in lasts"
    client.post("/auth/logout")
    assert client.get("/auth/profile").status_code == 302
    assert thief.get("/auth/profile").status_code == 302, "logging out ended the sign-in the copy carried"


def test_logout_with_remember_me_deletes_the_cookie_and_ends_it_for_copies(app, client, make_user, auth):
    """Logging out in a browser that ticked "Keep me logged in" really logs out, there and for any copy of its
    remember-me cookie, and leaves the user's other browsers signed in."""
    make_user(email="lena@example.com")
    laptop = app.test_client()
    laptop.post("/auth/login", data={"email": "lena@example.com", "password": PASSWORD, "remember": "y"})
    auth.login("lena@example.com", PASSWORD, remember=True)
    remembered = client.get_cookie("remember_token").value
    copy = app.test_client()
    copy.set_cookie("remember_token", remembered, domain="localhost")
    assert copy.get("/auth/profile").status_code == 200, "the remember-me cookie alone signs in"

    response = auth.logout()
    assert any(header.startswith("remember_token=;") for header in response.headers.getlist("Set-Cookie"))
    assert client.get_cookie("remember_token") is None
    assert client.get("/auth/profile").status_code == 302
    fresh_copy = app.test_client()
    fresh_copy.set_cookie("remember_token", remembered, domain="localhost")
    assert fresh_copy.get("/auth/profile").status_code == 302, "a copy of the remember-me cookie is dead too"
    laptop.delete_cookie("session")
    assert laptop.get("/auth/profile").status_code == 200, "the other browser's sign-in (remembered) stays"


def test_a_sign_in_lasts_at_most_its_lifetime_and_old_ones_are_cleared(app, client, make_user, login):
    from datetime import timedelta

    from lms.auth.services import sign_in_lifetime
    from lms.database import utcnow

    user = make_user()
    login(user)
    assert client.get("/auth/profile").status_code == 200
    with app.test_request_context():
        lifetime = sign_in_lifetime()
    db.session.execute(SignIn.__table__.update().values(created_at=utcnow() - lifetime - timedelta(minutes=1)))
    db.session.commit()
    assert client.get("/auth/profile").status_code == 302, "an expired sign-in no longer counts"
    other = make_user(email="other@example.com")
    login(other, app.test_client())
    assert db.session.scalars(select(SignIn.user_id)).all() == [other.id], "expired sign-ins are cleared"


def test_password_reset_ends_every_other_session(app, client, make_user, outbox):
    user = make_user(email="lena@example.com")
    elsewhere = app.test_client()
    elsewhere.post("/auth/login", data={"email": "lena@example.com", "password": PASSWORD})
    assert elsewhere.get("/auth/profile").status_code == 200
    client.post("/auth/reset", data={"email": "lena@example.com"})
    link = next(line for line in outbox()[-1].get_content().splitlines() if "/auth/reset/" in line)
    path = link[link.index("/auth/reset/"):].strip()
    response = client.post(path, data={"password": "a brand new passphrase", "confirm": "a brand new passphrase"})
    assert response.status_code == 302
    assert elsewhere.get("/auth/profile").status_code == 302, "the other browser is logged out"
    db.session.refresh(user)
    assert user.check_password("a brand new passphrase")
