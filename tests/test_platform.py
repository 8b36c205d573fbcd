"""App-wide behaviour: health check, error pages, CSRF, roles, security headers, CLI, config."""

import os
import re
import stat

import pytest
from sqlalchemy import func, select

from lms import create_app
from lms.extensions import db
from lms.models import AuditEntry, Enrolment, User
from tests.conftest import PASSWORD, make_app
from tests.factories import enrol, make_course


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_unavailable_when_database_does_not_answer(tmp_path):
    broken = make_app("postgresql+psycopg://postgres@127.0.0.1:1/nowhere", tmp_path / "inst")
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable"}


def test_database_outage_page_is_friendly(tmp_path):
    broken = make_app("postgresql+psycopg://postgres@127.0.0.1:1/nowhere", tmp_path / "inst")
    response = broken.test_client().post("/auth/login", data={"email": "a@example.com", "password": "x" * 12})
    assert response.status_code == 503
    assert "Temporarily unavailable" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_not_found_page_in_layout(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
    assert "skip-link" in response.get_data(as_text=True)


def test_wrong_method_page_in_layout_names_the_allowed_methods(client, make_user, login):
    login(make_user())
    response = client.get("/auth/logout")  # an action behind a button, typed into the address bar
    assert response.status_code == 405
    assert "Not allowed here" in response.get_data(as_text=True)
    assert set(response.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}


def test_internal_error_page_hides_traceback(app, client):
    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError("secret detail")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom-for-test")
    assert response.status_code == 500
    assert "secret detail" not in response.get_data(as_text=True)
    assert "Something went wrong" in response.get_data(as_text=True)


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_csrf_rejects_forms_without_token(client, make_user, app_config):
    make_user(email="lena@example.com")
    response = client.post("/auth/login", data={"email": "lena@example.com", "password": PASSWORD})
    assert response.status_code == 400
    assert "form expired" in response.get_data(as_text=True)
    page = client.get("/auth/login").get_data(as_text=True)
    assert 'name="csrf_token"' in page


def _form_token(client, url):
    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]*)"', html).group(1)


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_form_sent_after_logging_out_elsewhere_says_so_and_keeps_the_text(client, make_user, app_config):
    learner = make_user(email="lena@example.com")
    course = make_course(make_user(role="instructor"), "Client communication", slug="client-communication")
    enrol(learner, course)
    client.post("/auth/login", data={"email": learner.email, "password": PASSWORD,
                                     "csrf_token": _form_token(client, "/auth/login")})  # fmt: skip
    page = "/courses/client-communication/discussion/new"
    token = _form_token(client, page)
    client.post("/auth/logout", data={"csrf_token": token})  # in another tab
    typed = "Three paragraphs <b>typed</b> with care\nand a second line 🙂"
    response = client.post(page, data={"csrf_token": token, "title": "My question", "body": typed,
                                       "kind": "discussion", "lesson_id": ""},
                           headers={"Referer": f"http://localhost{page}"})  # fmt: skip
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "you were logged out before this form was sent" in html
    assert f'href="/auth/login?next={page}"' in html.replace("%2F", "/")
    assert html.count("Three paragraphs &lt;b&gt;typed&lt;/b&gt; with care\nand a second line 🙂") == 1
    assert "My question" in html
    assert token not in html
    for elsewhere in ({"Origin": "https://elsewhere.example"}, {"Sec-Fetch-Site": "cross-site"}):
        html = client.post(page, data={"csrf_token": token, "body": "Words from elsewhere"},
                           headers=elsewhere).get_data(as_text=True)  # fmt: skip
        assert "Words from elsewhere" not in html and "What you wrote" not in html
    # The way back is a page of this site only: a referrer path of "//elsewhere" would be a link off the site.
    html = client.post(page, data={"csrf_token": token, "body": "x"},
                       headers={"Referer": "http://localhost//elsewhere.example/x"}).get_data(as_text=True)
    assert "elsewhere.example" not in html and f'href="/auth/login?next={page}"' in html.replace("%2F", "/")


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_form_from_before_the_last_login_keeps_the_text(client, make_user, app_config):
    learner = make_user(email="lena@example.com", name="Lena")
    course = make_course(make_user(role="instructor"), "Client communication", slug="client-communication")
    enrol(learner, course)
    credentials = {"email": learner.email, "password": PASSWORD}
    client.post("/auth/login", data={**credentials, "csrf_token": _form_token(client, "/auth/login")})
    page = "/courses/client-communication/discussion/new"
    token = _form_token(client, page)
    client.post("/auth/logout", data={"csrf_token": token})  # in another tab, then back in
    client.post("/auth/login", data={**credentials, "csrf_token": _form_token(client, "/auth/login")})
    response = client.post(page, data={"csrf_token": token, "title": "My question", "body": "Long text"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "opened before you last logged in or out" in html
    assert "Long text" in html and "Lena" in html  # still logged in


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_a_refused_form_never_shows_a_password_or_key_back(app, client, app_config):
    """A passphrase has spaces, so it looked like typed text: the refused sign-up page showed the password
    confirmation ("Confirm") in clear (found by exploratory testing). No password field comes back."""
    token = _form_token(client, "/auth/register")
    client = app.test_client()  # the session ended before the form was sent
    passphrase = "correct horse battery staple"
    html = client.post("/auth/register", data={"csrf_token": token, "display_name": "Pat Passphrase",
                                               "email": "pat@example.com", "password": passphrase,
                                               "confirm": passphrase},
                       headers={"Referer": "http://localhost/auth/register"}).get_data(as_text=True)  # fmt: skip
    assert "What you wrote" in html and "Pat Passphrase" in html and passphrase not in html
    for page, secret in (("/courses/c/enrol", "key"), ("/studio/courses/c/edit", "enrolment_key")):
        html = client.post(page, data={"csrf_token": token, secret: "the class of autumn 2026"},
                           headers={"Referer": "http://localhost/"}).get_data(as_text=True)  # fmt: skip
        assert "autumn 2026" not in html


def test_admin_pages_need_admin(client, make_user, login):
    learner = make_user()
    instructor = make_user(role="instructor")
    assert client.get("/admin/users").status_code == 302
    login(learner)
    assert client.get("/admin/users").status_code == 403
    client.post("/auth/logout")
    login(instructor)
    assert client.get("/admin/users").status_code == 403
    assert client.post(f"/admin/users/{learner.id}/role", data={"role": "admin"}).status_code == 403
    db.session.refresh(learner)
    assert learner.role == "learner"


def test_admin_grants_instructor_role_and_it_is_audited(client, make_user, login):
    admin = make_user(role="admin")
    user = make_user(name="Future Teacher")
    login(admin)
    assert "Future Teacher" in client.get("/admin/users?q=future").get_data(as_text=True)
    assert client.post(f"/admin/users/{user.id}/role", data={"role": "instructor"}).status_code == 302
    db.session.refresh(user)
    assert user.role == "instructor"
    entry = db.session.scalar(select(AuditEntry))
    assert entry.action == "role.change" and entry.actor_id == admin.id and "learner -> instructor" in entry.detail
    audit_page = client.get("/admin/audit?action=role.change").get_data(as_text=True)
    assert "learner -&gt; instructor" in audit_page


def test_admin_user_list_searches_literally_keeps_its_place_and_logs_only_changes(client, make_user, login):
    """`_` and `%` are letters in a search, not wildcards; after an action the admin is back on the same search,
    page and row; saving a role that did not change logs nothing; a page past the end says so."""
    admin = make_user(role="admin", email="admin@example.com")
    snake = make_user(name="Snake Case", email="snake_case@example.com")
    make_user(name="Plain Person", email="plain@example.com")
    login(admin)
    found = client.get("/admin/users?q=_").text
    assert "Snake Case" in found and "Plain Person" not in found
    assert "Plain Person" not in client.get("/admin/users?q=%25").text
    response = client.post(f"/admin/users/{snake.id}/role", data={"role": "instructor", "q": "snake", "page": "1"})
    assert response.headers["Location"].endswith(f"/admin/users?q=snake&page=1#user-{snake.id}")
    response = client.post(f"/admin/users/{snake.id}/role", data={"role": "instructor", "q": "snake"},
                           follow_redirects=True)  # fmt: skip
    assert "Snake Case is already instructor." in response.text
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 1, "an unchanged role is not logged"
    assert "No staff actions match these filters" in client.get("/admin/audit?actor=_").text
    assert "role.change" in client.get("/admin/audit?actor=admin").text
    past = client.get("/admin/users?page=99").text
    assert "There is no page 99" in past and "Go to the last page" in past
    assert "There is no page 99: 1 entry fits on 1 page." in client.get("/admin/audit?page=99").text
    client.post(f"/admin/users/{snake.id}/role", data={"role": "learner"})
    assert "There is no page 99: 2 entries fit on 1 page." in client.get("/admin/audit?page=99").text  # not "entrys"
    users = client.get("/admin/users").text
    assert f'<tr id="user-{snake.id}">' in users and "Deactivate<span class=\"visually-hidden\"> Snake Case</span>" in users


def test_admin_cannot_demote_themself(client, make_user, login):
    admin = make_user(role="admin")
    login(admin)
    client.post(f"/admin/users/{admin.id}/role", data={"role": "learner"})
    db.session.refresh(admin)
    assert admin.role == "admin"


def test_security_headers(client):
    headers = client.get("/").headers
    assert "'unsafe-inline'" not in headers["Content-Security-Policy"].split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert "Referrer-Policy" in headers


def test_session_cookie_flags(client, make_user, auth):
    make_user(email="lena@example.com")
    response = auth.login("lena@example.com", PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_generated_secret_key_is_kept_private(tmp_path, monkeypatch):
    monkeypatch.delenv("LMS_SECRET_KEY", raising=False)
    instance = tmp_path / "instance"
    first = create_app({"INSTANCE_PATH": str(instance), "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    second = create_app({"INSTANCE_PATH": str(instance), "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 32
    assert stat.S_IMODE(os.stat(instance / "secret_key").st_mode) == 0o600


def test_environment_overrides_config(tmp_path, monkeypatch):
    monkeypatch.setenv("LMS_MAIL_SERVER", "smtp.example.com")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///" + str(tmp_path / "x.sqlite"))
    app = create_app({"INSTANCE_PATH": str(tmp_path / "i")})
    assert app.config["MAIL_SERVER"] == "smtp.example.com"
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("x.sqlite")


def test_sqlite_runs_with_wal_and_foreign_keys(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path / "i"), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/w.sqlite"})
    with app.app_context():
        assert db.session.execute(db.text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(db.text("PRAGMA foreign_keys")).scalar() == 1


def test_create_admin_command(runner):
    result = runner.invoke(args=["create-admin", "Boss@Example.com"], input="a strong passphrase\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "boss@example.com"))
    assert user.role == "admin" and user.check_password("a strong passphrase")
    short = runner.invoke(args=["create-admin", "x@example.com"], input="short\n")
    assert short.exit_code != 0 and "at least 10" in short.output


def test_seed_demo_is_idempotent(runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    counts = {t.name: db.session.execute(select(db.func.count()).select_from(t)).scalar() for t in db.metadata.sorted_tables}
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    again = {t.name: db.session.execute(select(db.func.count()).select_from(t)).scalar() for t in db.metadata.sorted_tables}
    assert counts == again
    learner = db.session.scalar(select(User).where(User.email == "learner@example.com"))
    assert learner.check_password("sparetime-demo")


def test_hot_read_pages_run_without_a_transaction_on_postgresql(app, client, make_user, login):
    """GET views marked autocommit_reads skip BEGIN and ROLLBACK on PostgreSQL; other views, and every POST
    after them on the same pooled connection, run in a transaction as before; SQLite is left as it is."""
    from sqlalchemy import event

    from lms.discussion.services import create_thread
    from lms.models.discussion import ThreadRead
    from tests.factories import enrol, lessons_of, make_course

    postgres = db.engine.dialect.name == "postgresql"
    instructor = make_user(role="instructor")
    course = make_course(instructor, "Feedback", slug="feedback")
    learner = make_user()
    enrol(learner, course)
    thread = create_thread(course, instructor, title="Rush fees?", body="What do you charge?")
    db.session.commit()
    login(learner)
    modes = []

    def record(conn, cursor, statement, parameters, context, executemany):
        dbapi = conn.connection.dbapi_connection
        modes.append(dbapi.autocommit if postgres else dbapi.isolation_level is None)

    def autocommit_during(request):
        db.session.commit()  # a server starts every request with a fresh session; the tests share one
        modes.clear()
        response = request()
        assert response.status_code in (200, 302) and modes
        return set(modes)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        lesson = lessons_of(course)[0]
        marked = ["/", "/courses/", "/courses/feedback", "/learn/feedback/", f"/learn/feedback/lessons/{lesson.id}",
                  "/courses/feedback/discussion/", f"/courses/feedback/discussion/threads/{thread.id}"]  # fmt: skip
        for url in marked:
            assert autocommit_during(lambda: client.get(url)) == {postgres}, url
        assert autocommit_during(lambda: client.get("/auth/profile")) == {False}  # not marked
        assert autocommit_during(lambda: client.post("/progress/goal", data={"weekly_goal_minutes": 40})) == {False}
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    # The writes of the lesson and thread pages (opened times, resume pointer, read mark) landed all the same.
    assert db.session.scalar(db.select(Enrolment.last_lesson_id).filter_by(user_id=learner.id)) == lesson.id
    read_mark = db.session.scalar(db.select(ThreadRead.last_read_post_id).filter_by(user_id=learner.id))
    assert read_mark == thread.last_post_id


def test_audit_log_names_the_course_of_each_course_action(client, make_user, login, count_queries):
    """Two courses each have a module called "Week 1": the audit log says in which course one was archived, and
    reads the courses with the entries, not one query per row (found by exploratory testing)."""
    from lms.notify import audit
    from tests.factories import make_course

    admin = make_user(role="admin")
    owner = make_user(role="instructor", name="Olga Owner")
    courses = [make_course(owner, title, slug=slug) for title, slug in (("Pricing basics", "pricing"),
                                                                       ("Saying no", "saying-no"))]  # fmt: skip
    audit(owner, "module.archive", course=courses[1], detail="Week 1")
    db.session.commit()
    login(admin)
    page = client.get("/admin/audit").text
    row = page[page.index("<code>module.archive</code>"):]
    row = row[: row.index("</tr>")]
    assert "Saying no" in row and "Pricing basics" not in row
    assert 'href="/studio/courses/saying-no/"' in row

    with count_queries() as few:
        client.get("/admin/audit")
    for course in courses * 5:
        audit(owner, "course.published", course=course, detail="draft -> published")
    db.session.commit()
    with count_queries() as many:
        client.get("/admin/audit")
    assert many.count == few.count


def test_demoting_an_instructor_says_they_still_teach_their_courses(client, make_user, login):
    """A role only decides who may create courses: an instructor made a learner stays on the staff of the courses
    they teach. The admin is told so instead of only "... is now learner." (found by exploratory testing)."""
    from tests.factories import make_course

    admin = make_user(role="admin")
    teacher = make_user(role="instructor", name="Tess Teacher")
    make_course(teacher, "Pricing", slug="pricing")
    make_course(teacher, "Scope", slug="scope")
    login(admin)
    page = client.post(f"/admin/users/{teacher.id}/role", data={"role": "learner"}, follow_redirects=True).text
    assert ("Tess Teacher is now learner. They still teach the 2 courses they are on the staff of: "
            "a role only decides who may create courses.") in page  # fmt: skip
    plain = make_user(name="Pat Plain")
    page = client.post(f"/admin/users/{plain.id}/role", data={"role": "instructor"}, follow_redirects=True).text
    assert "Pat Plain is now instructor." in page and "still teach" not in page
