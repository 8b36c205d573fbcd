"""Two app processes (gunicorn, different ports) sharing one database and one Redis: sessions, throttles
and writes made through one are seen at once through the other."""

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import requests

from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_available():
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _redis_available(), reason="Redis must run on 127.0.0.1:6379 (see README)")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class GunicornProcess:
    def __init__(self, env):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        gunicorn = shutil.which("gunicorn", path=str(ROOT / ".venv" / "bin")) or shutil.which("gunicorn")
        self.process = subprocess.Popen(
            [gunicorn, "-w", "1", "-k", "gthread", "--threads", "2", "--no-control-socket", "-b",
             f"127.0.0.1:{self.port}", "run:app"],
            cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=2)
                return
            except Exception:
                if self.process.poll() is not None:
                    raise RuntimeError(self.process.stderr.read().decode()[-2000:]) from None
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def stop(self):
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=10)


@pytest.fixture
def two_processes(app, tmp_path):
    """Two gunicorn processes on the test database (emptied after the test by the app fixture)."""
    prefix = f"lms-test-{uuid.uuid4().hex[:8]}"
    env = {
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "LMS_SECRET_KEY": "shared-secret-for-both-processes",
        "LMS_RATELIMIT_STORAGE_URI": REDIS_URL,
        "LMS_RATELIMIT_KEY_PREFIX": prefix,
        "LMS_INSTANCE_PATH": str(tmp_path / "shared-instance"),
        # As behind the README's reverse proxy: the tests play visitors at different addresses with the header.
        "LMS_PROXY_FIX_X_FOR": "1",
    }
    first, second = GunicornProcess(env), GunicornProcess(env)
    try:
        yield first, second
    finally:
        first.stop()
        second.stop()


def _csrf(session, url):
    page = session.get(url).text
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def _login(session, base, email, password, client_address=None):
    if client_address:
        session.headers["X-Forwarded-For"] = client_address
    token = _csrf(session, base + "/auth/login")
    return session.post(base + "/auth/login", data={"csrf_token": token, "email": email, "password": password},
                        allow_redirects=False)  # fmt: skip


def test_session_made_on_one_process_is_valid_on_the_other(two_processes, make_user):
    first, second = two_processes
    make_user(email="lena@example.com", name="Lena")
    browser = requests.Session()
    assert _login(browser, first.url, "lena@example.com", PASSWORD).status_code == 302
    # Same cookie jar, other process: the cookie's host is 127.0.0.1 for both ports.
    profile = browser.get(second.url + "/auth/profile", allow_redirects=False)
    assert profile.status_code == 200 and "Lena" in profile.text

    token = _csrf(browser, second.url + "/auth/profile")
    saved = browser.post(second.url + "/auth/profile", allow_redirects=False, data={
        "csrf_token": token, "display_name": "Lena Everywhere", "timezone": "UTC", "weekly_goal_minutes": "75",
        "email_preference": "never"})  # fmt: skip
    assert saved.status_code == 302
    assert "Lena Everywhere" in browser.get(first.url + "/auth/profile").text, "a write through one is seen by the other"


def test_login_throttle_is_shared_through_redis(two_processes, make_user):
    first, second = two_processes
    make_user(email="lena@example.com")
    for attempt in range(10):
        target = first if attempt % 2 == 0 else second
        response = _login(requests.Session(), target.url, "lena@example.com", "wrong password!")
        assert response.status_code == 200
    blocked = _login(requests.Session(), second.url, "lena@example.com", PASSWORD)
    assert blocked.status_code == 429, "the 11th failure counts across both processes"
    blocked_too = _login(requests.Session(), first.url, "lena@example.com", PASSWORD)
    assert blocked_too.status_code == 429


STRANGER, OWNER = "203.0.113.9", "198.51.100.7"


def _attempt(process, email, password, client_address):
    """One login by a fresh browser at client_address (named in X-Forwarded-For, as the proxy would)."""
    return _login(requests.Session(), process.url, email, password, client_address).status_code


def test_a_strangers_failures_through_both_processes_leave_the_owner_in(two_processes, make_user):
    make_user(email="lena@example.com")
    for attempt in range(10):
        assert _attempt(two_processes[attempt % 2], "lena@example.com", "wrong password!", STRANGER) == 200
    assert [_attempt(p, "lena@example.com", PASSWORD, STRANGER) for p in two_processes] == [429, 429]
    assert _attempt(two_processes[1], "lena@example.com", PASSWORD, OWNER) == 302


def test_one_address_spraying_accounts_is_stopped_by_both_processes(two_processes, make_user):
    make_user(email="lena@example.com")
    for n in range(30):  # LOGIN_IP_FAILURE_LIMIT: 30 accounts, one guess each, alternating processes
        assert _attempt(two_processes[n % 2], f"a{n}@example.com", "wrong password!", STRANGER) == 200
    assert [_attempt(p, "lena@example.com", PASSWORD, STRANGER) for p in two_processes] == [429, 429]
    assert _attempt(two_processes[0], "lena@example.com", PASSWORD, OWNER) == 302


def test_progress_written_through_one_is_seen_through_the_other(two_processes, make_user):
    from tests.factories import enrol, lessons_of, make_course

    first, second = two_processes
    owner = make_user(role="instructor")
    learner = make_user(email="lena@example.com")
    course = make_course(owner, title="Scope talks", modules=((5, 5),))
    enrol(learner, course)
    lesson = lessons_of(course)[0]
    browser = requests.Session()
    assert _login(browser, first.url, "lena@example.com", PASSWORD).status_code == 302

    lesson_url = f"/learn/{course.slug}/lessons/{lesson.id}"
    token = _csrf(browser, first.url + lesson_url)
    done = browser.post(first.url + lesson_url + "/done", data={"csrf_token": token}, allow_redirects=False)
    assert done.status_code == 302

    home = browser.get(second.url + f"/learn/{course.slug}/").text
    assert "50%" in home, "the other process sees the completion at once"
