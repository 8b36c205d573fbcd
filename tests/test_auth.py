"""Account flows with their bad inputs: register, login, remember-me, logout, reset, change password."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.models import AuditEntry, User
from tests.conftest import PASSWORD


def _link(message, path):
    body = message.get_content()
    match = re.search(rf"http://localhost({re.escape(path)}\S+)", body)
    assert match, body
    return match.group(1)


def _register(client, email="new@example.com", name="Nora New", password="a long passphrase", confirm=None):
    return client.post(
        "/auth/register",
        data={"display_name": name, "email": email, "password": password, "confirm": confirm or password},
    )


def test_register_by_emailed_link_then_logged_in(client, outbox):
    response = _register(client, email="Nora@Example.com ")
    assert response.status_code == 200
    assert "Check your e-mail" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id))) == 0, "nothing is stored before the link is opened"

    [message] = outbox()
    assert message["To"] == "nora@example.com"
    link = _link(message, "/auth/register/confirm/")
    assert client.get(link).status_code == 200
    response = client.post(link)
    assert response.status_code == 302
    user = db.session.scalar(select(User))
    assert user.email == "nora@example.com" and user.display_name == "Nora New" and user.role == "learner"
    assert client.get("/auth/profile").status_code == 200

    client.post("/auth/logout")
    again = client.post(link, follow_redirects=True)
    assert "already used" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_a_new_account_takes_the_browser_time_zone(client, outbox):
    """The confirm page sends the browser's time zone (app.js fills the hidden field): a learner in Auckland
    starts with Auckland days and weeks (drip dates, weekly goal) instead of UTC. A missing or unknown zone
    leaves UTC and still creates the account."""
    _register(client, email="nora@example.com")
    link = _link(outbox()[0], "/auth/register/confirm/")
    assert 'name="timezone"' in client.get(link).text
    response = client.post(link, data={"timezone": "Pacific/Auckland"}, follow_redirects=True)
    assert "Pacific/Auckland" in response.text  # the welcome says which zone, and where to change it
    assert db.session.scalar(select(User)).timezone == "Pacific/Auckland"

    client.post("/auth/logout")
    _register(client, email="omar@example.com", name="Omar Other")
    link = _link(outbox()[-1], "/auth/register/confirm/")
    assert client.post(link, data={"timezone": "Mars/Olympus"}).status_code == 302
    assert db.session.scalar(select(User).where(User.email == "omar@example.com")).timezone == "UTC"


def test_a_sign_up_link_carries_nothing_but_a_random_token_and_expires(client, outbox):
    """The link used to carry the new account itself, password hash included (signed, not encrypted): anyone
    who saw it could try to crack the password offline. It is now a random token whose hash alone is stored,
    and it works for 7 days."""
    import base64

    from lms.models import PendingSignUp

    _register(client, email="nora@example.com")
    link = _link(outbox()[0], "/auth/register/confirm/")
    token = link.rsplit("/", 1)[1]
    assert "." not in token and len(token) >= 40
    decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert b"scrypt" not in decoded and b"nora" not in decoded
    pending = db.session.scalar(select(PendingSignUp))
    assert token not in pending.token_hash and pending.email == "nora@example.com"
    pending.created_at -= timedelta(days=8)
    db.session.commit()
    response = client.post(link, follow_redirects=True)
    assert "This sign-up link has expired. Please register again." in response.text
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_register_existing_email_in_other_case_reveals_nothing(client, make_user, outbox):
    make_user(email="taken@example.com")
    response = _register(client, email="TAKEN@example.com")
    fresh = _register(client, email="free@example.com")
    assert response.status_code == fresh.status_code == 200
    strip = lambda r, e: r.get_data(as_text=True).replace(e, "")  # noqa: E731
    assert strip(response, "taken@example.com") == strip(fresh, "free@example.com")
    messages = outbox()
    assert "already have" in messages[0]["Subject"]
    assert db.session.scalar(select(func.count(User.id))) == 1


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [("short", "short", "at least 10 characters"), ("a long passphrase", "a different one!", "do not match")],
)
def test_register_rejects_bad_passwords(client, outbox, password, confirm, message):
    response = _register(client, password=password, confirm=confirm)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert outbox() == []


def test_register_rejects_bad_email(client, outbox):
    response = _register(client, email="not-an-email")
    assert "Invalid email" in response.get_data(as_text=True) or "valid" in response.get_data(as_text=True)
    assert outbox() == []


@pytest.mark.parametrize("name", ["\u200b\u200b", " \u2060\ufeff ", "\u202e\u200b", "\u3164", "\u0301\u0301"])
def test_register_refuses_a_name_with_nothing_visible(client, outbox, name):
    response = _register(client, name=name)
    assert response.status_code == 200
    assert "This field is required" in response.text or "at least one visible" in response.text
    assert outbox() == []


def test_register_drops_direction_controls_from_the_name(client, outbox):
    """U+202E and friends would reverse the text around the name wherever it is shown (greetings, notifications)."""
    _register(client, name="\u202eWaiter\u2066 Two\u200f")
    [message] = outbox()
    assert "Hello Waiter Two," in message.get_content()
    client.post(_link(message, "/auth/register/confirm/"))
    assert db.session.scalar(select(User.display_name)) == "Waiter Two"


def test_tampered_registration_link_is_refused(client, outbox):
    _register(client)
    link = _link(outbox()[0], "/auth/register/confirm/")
    response = client.post(link[:-3] + "xyz", follow_redirects=True)
    assert "not valid" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_login_wrong_password_and_unknown_email_look_the_same(client, make_user, auth):
    make_user(email="lena@example.com")
    wrong = auth.login("lena@example.com", "wrong password!")
    unknown = auth.login("nobody@example.com", "wrong password!")
    assert wrong.status_code == unknown.status_code == 200
    assert "do not match an account" in wrong.get_data(as_text=True)
    assert wrong.get_data(as_text=True).replace("lena@", "X@") == unknown.get_data(as_text=True).replace("nobody@", "X@")


def test_login_is_case_insensitive_and_logout_needs_post(client, make_user, auth):
    make_user(email="lena@example.com")
    assert auth.login("LENA@example.com", PASSWORD).status_code == 302
    assert client.get("/auth/profile").status_code == 200
    assert client.get("/auth/logout").status_code == 405
    assert auth.logout().status_code == 302
    assert client.get("/auth/profile").status_code == 302


def test_deactivated_account_cannot_log_in_and_its_sessions_end(app, client, make_user, auth, login):
    admin = make_user(role="admin", email="admin@example.com")
    user = make_user(email="lena@example.com")
    other = app.test_client()
    login(user, other)
    assert other.get("/auth/profile").status_code == 200

    login(admin)
    assert client.post(f"/admin/users/{user.id}/deactivate").status_code == 302
    assert other.get("/auth/profile").status_code == 302, "the deactivated user's session ended"
    again = client.post(f"/admin/users/{user.id}/deactivate", follow_redirects=True)  # a second click
    assert f"{user.display_name} is already deactivated." in again.text
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_id == user.id)).all()
    assert actions == ["user.deactivate"], "one deactivation, logged once"
    auth.logout()
    response = auth.login("lena@example.com", PASSWORD)
    assert "deactivated" in response.get_data(as_text=True)
    assert client.get("/auth/profile").status_code == 302


def test_remember_me_survives_a_lost_session_cookie(client, make_user, auth):
    make_user(email="lena@example.com")
    auth.login("lena@example.com", PASSWORD, remember=True)
    assert client.get_cookie("remember_token") is not None
    client.delete_cookie("session")
    assert client.get("/auth/profile").status_code == 200


def test_without_remember_me_losing_the_session_logs_out(client, make_user, auth):
    make_user(email="lena@example.com")
    auth.login("lena@example.com", PASSWORD)
    assert client.get_cookie("remember_token") is None
    client.delete_cookie("session")
    assert client.get("/auth/profile").status_code == 302


def test_password_change_ends_every_other_session(app, client, make_user, login):
    user = make_user(email="lena@example.com")
    phone = app.test_client()
    phone.post("/auth/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    login(user)
    response = client.post(
        "/auth/password",
        data={"current_password": PASSWORD, "password": "a brand new passphrase", "confirm": "a brand new passphrase"},
    )
    assert response.status_code == 302
    assert client.get("/auth/profile").status_code == 200, "this browser stays logged in"
    phone.delete_cookie("session")
    assert phone.get("/auth/profile").status_code == 302, "remember-me on the other device is dead"


def test_pages_see_the_signed_in_user_as_a_read_only_snapshot(client, make_user, login):
    """current_user carries the row's values and the bell's unread count, never the password hash. A change goes
    through current_account(): writing to the snapshot, which the database would never see, fails loudly."""
    from flask_login import current_user

    from lms.auth import current_account
    from lms.models import Notification

    user = make_user(email="lena@example.com", name="Lena Learner", weekly_goal_minutes=90,
                     timezone="Europe/Berlin")  # fmt: skip
    db.session.add_all([Notification(user_id=user.id, kind="reply", message="A reply"),
                        Notification(user_id=user.id, kind="reply", message="Seen",
                                     read_at=user.created_at)])  # fmt: skip
    db.session.commit()
    login(user)
    with client:  # keeps the request's context for the assertions below
        assert "Lena Learner" in client.get("/").get_data(as_text=True)
        seen = (current_user.id, current_user.display_name, current_user.weekly_goal_minutes, current_user.timezone)
        assert seen == (user.id, "Lena Learner", 90, "Europe/Berlin")
        assert (current_user.unread_notifications, current_user.is_admin) == (1, False)
        assert not hasattr(current_user, "password_hash")
        with pytest.raises(AttributeError, match="current_account"):
            current_user.display_name = "Somebody Else"
        account = current_account()
        assert isinstance(account, User) and account.id == user.id
        assert account.check_password(PASSWORD)


def test_password_change_needs_the_current_password(client, make_user, login):
    user = make_user()
    login(user)
    response = client.post(
        "/auth/password", data={"current_password": "nope nope nope", "password": "x" * 12, "confirm": "x" * 12}
    )
    assert "not your current password" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


def test_password_reset_link_works_once(client, make_user, outbox, auth):
    make_user(email="lena@example.com")
    response = client.post("/auth/reset", data={"email": "Lena@example.com"})
    assert "If <strong>lena@example.com</strong> belongs to an account" in response.get_data(as_text=True)
    link = _link(outbox()[0], "/auth/reset/")
    new = "my new passphrase"
    assert client.post(link, data={"password": new, "confirm": new}).status_code == 302
    assert auth.login("lena@example.com", new).status_code == 302
    auth.logout()
    reused = client.get(link, follow_redirects=True)
    assert "already used" in reused.get_data(as_text=True)


def test_password_reset_for_unknown_email_says_the_same_and_sends_nothing(client, outbox):
    response = client.post("/auth/reset", data={"email": "ghost@example.com"})
    assert "belongs to an account" in response.get_data(as_text=True)
    assert outbox() == []


def test_expired_and_tampered_reset_links_are_refused(app, client, make_user, outbox):
    make_user(email="lena@example.com")
    client.post("/auth/reset", data={"email": "lena@example.com"})
    link = _link(outbox()[0], "/auth/reset/")
    tampered = client.get(link[:-4] + "abcd", follow_redirects=True)
    assert "not valid" in tampered.get_data(as_text=True)
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    expired = client.get(link, follow_redirects=True)
    assert "expired" in expired.get_data(as_text=True)


def test_reset_with_mismatched_passwords_keeps_the_old_one(client, make_user, outbox):
    user = make_user(email="lena@example.com")
    client.post("/auth/reset", data={"email": "lena@example.com"})
    link = _link(outbox()[0], "/auth/reset/")
    response = client.post(link, data={"password": "first passphrase", "confirm": "second passphrase"})
    assert "do not match" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)", "http:/evil.example",
     " //evil.example", "\t//evil.example"],
)  # fmt: skip
def test_next_never_leaves_the_site(client, make_user, target):
    make_user(email="lena@example.com")
    response = client.post(f"/auth/login?next={target}", data={"email": "lena@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] in ("/", "http://localhost/")


def test_next_within_the_site_is_followed(client, make_user):
    make_user(email="lena@example.com")
    response = client.post("/auth/login?next=/auth/profile", data={"email": "lena@example.com", "password": PASSWORD})
    assert response.headers["Location"] == "/auth/profile"


def test_profile_edit_and_public_profile_shows_only_peer_details(client, make_user, login):
    user = make_user(email="lena@example.com")
    viewer = make_user()
    login(user)
    response = client.post(
        "/auth/profile",
        data={"display_name": "Lena L", "headline": "Freelance designer", "bio": "I design.", "skills": "negotiation,  feedback ,",
              "timezone": "Europe/Berlin", "website": "", "weekly_goal_minutes": "90", "email_preference": "daily",
              "profile_visible": "y"},  # shown to peers (off, other learners see only the name)
    )  # fmt: skip
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.display_name, user.skills, user.timezone, user.weekly_goal_minutes) == (
        "Lena L", "negotiation, feedback", "Europe/Berlin", 90)  # fmt: skip
    client.post("/auth/logout")
    login(viewer)
    page = client.get(f"/auth/people/{user.id}").get_data(as_text=True)
    assert "Freelance designer" in page and "negotiation" in page
    assert "lena@example.com" not in page


def test_profile_rejects_bad_input_and_keeps_data(client, make_user, login):
    user = make_user(name="Keep Me")
    login(user)
    response = client.post(
        "/auth/profile", data={"display_name": "", "timezone": "Mars/Olympus", "weekly_goal_minutes": "-5",
                               "email_preference": "often", "website": "not a url"},
    )  # fmt: skip
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "This field is required" in text and "Not a valid choice" in text
    assert "Choose between 5 and 3000 minutes." in text
    for goal, message in (("0", "Choose between 5 and 3000 minutes."), ("", "Enter your weekly goal in minutes.")):
        data = {"display_name": "Keep Me", "timezone": "UTC", "weekly_goal_minutes": goal, "email_preference": "never"}
        assert message in client.post("/auth/profile", data=data).get_data(as_text=True), goal
    db.session.refresh(user)
    assert (user.display_name, user.weekly_goal_minutes, user.email_preference) == ("Keep Me", 60, "immediately")


def test_profile_refuses_invisible_names_and_drops_direction_controls(client, make_user, login):
    user = make_user(name="Keep Me")
    login(user)
    data = {"timezone": "UTC", "weekly_goal_minutes": "60", "email_preference": "never"}
    for name in ("\u200b\u200b", "\u202e", "\u2800\u00ad"):
        response = client.post("/auth/profile", data={**data, "display_name": name})
        assert response.status_code == 200, repr(name)
        assert "This field is required" in response.text or "at least one visible" in response.text, repr(name)
    db.session.refresh(user)
    assert user.display_name == "Keep Me"
    response = client.post("/auth/profile", data={**data, "display_name": "\u202eWaiter Two",
                                                  "headline": "\u2067Freelance\u202a designer\u200e",
                                                  "skills": "pricing, \u202escope"})  # fmt: skip
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.display_name, user.headline, user.skills) == ("Waiter Two", "Freelance designer", "pricing, scope")


def test_login_throttled_on_the_eleventh_failure(client, make_user, auth):
    make_user(email="lena@example.com")
    for _ in range(10):
        assert auth.login("lena@example.com", "wrong password!").status_code == 200
    response = auth.login("lena@example.com", PASSWORD)
    assert response.status_code == 429
    assert "Too many" in response.get_data(as_text=True)
    assert auth.login("other@example.com", "wrong password!").status_code == 200, "other accounts unaffected"
