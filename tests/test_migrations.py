"""The Alembic migrations build exactly the schema the models describe, search objects included,
on SQLite and on PostgreSQL, and downgrade cleanly."""

import re
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from lms.content import render_markdown
from lms.extensions import db
from tests.conftest import make_app

ENV_PY = Path(__file__).resolve().parent.parent / "lms" / "migrations" / "env.py"


def _include_object():
    """The same filter env.py gives autogenerate (read from its source: env.py only runs under Alembic)."""
    source = ENV_PY.read_text()
    namespace = {}
    start = source.index("SEARCH_OBJECTS =")
    end = source.index("def get_metadata")
    exec(source[start:end], namespace)  # noqa: S102 - our own file, the constants and one function
    return namespace["include_object"]


@pytest.fixture
def fresh_database(_schema, tmp_path):
    if _schema.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'migrated.sqlite'}"
        return
    name = f"lms_migrate_{uuid.uuid4().hex[:8]}"
    admin = create_engine(re.sub(r"/[^/]*$", "/postgres", _schema), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield re.sub(r"/[^/]*$", f"/{name}", _schema)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_migrations_match_the_models_and_downgrade(fresh_database, tmp_path):
    app = make_app(fresh_database, tmp_path / "instance")
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_object": _include_object(), "compare_type": True})
            differences = compare_metadata(context, db.metadata)
            assert differences == [], differences
            names = set(inspect(conn).get_table_names())
            assert "course_search" in names, "the catalog's full-text index is created by the migration"
            if conn.dialect.name == "sqlite":
                assert "discussion_fts" in names
            else:
                columns = {c["name"] for c in inspect(conn).get_columns("discussion_posts")}
                assert "search_vector" in columns
        downgrade(revision="base")
        with db.engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()



def test_stored_html_gets_code_escaped_once_on_upgrade(fresh_database, tmp_path):
    """Text rendered before the fix kept a second escape inside code (`&amp;quot;`); the upgrade takes off exactly
    that one, inside code only, and leaves the tags, other text and already right HTML alone."""
    from lms.models import Course

    doubled = ('<p>Say &quot;hi&quot; &amp; wave: <code>print(&amp;quot;&amp;lt;b&amp;gt;&amp;quot;)</code></p>\n'
               '<pre><code class="language-python">if a &amp;lt; b &amp;amp;&amp;amp; ok:\n</code></pre>')  # fmt: skip
    right = ('<p>Say &quot;hi&quot; &amp; wave: <code>print(&quot;&lt;b&gt;&quot;)</code></p>\n'
             '<pre><code class="language-python">if a &lt; b &amp;&amp; ok:\n</code></pre>')  # fmt: skip
    app = make_app(fresh_database, tmp_path / "instance")
    with app.app_context():
        upgrade(revision="3c9e51a0d2f4")
        plain = "<p>No code &amp; fine</p>"
        db.session.add_all([Course(slug="old", title="Old", description_html=doubled),
                            Course(slug="plain", title="Plain", description_html=plain)])  # fmt: skip
        db.session.commit()
        upgrade()
        stored = dict(db.session.execute(text("SELECT slug, description_html FROM courses")).all())
        assert stored == {"old": right, "plain": "<p>No code &amp; fine</p>"}
        assert str(render_markdown('Say "hi" & wave: `print("<b>")`')) in right, "what the renderer now writes"
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()


def test_stored_html_keeps_images_only_from_uploads_or_https_on_upgrade(fresh_database, tmp_path):
    """An image that pointed at another page of the site (which every reader's browser would open with their
    cookies) loses its src; uploaded and https images, and the rest of the HTML, stay as they were."""
    from lms.models import Course

    before = ('<p>Look <img src="/learn/c/lessons/8" alt=""> and <img src="/\\evil.example/x.png" alt="e"></p>'
              '<p><img src="/studio/files/a1.png" alt="chart"> <img src="https://images.example/p.jpg" alt="p"></p>')
    after = ('<p>Look <img alt=""> and <img alt="e"></p>'
             '<p><img src="/studio/files/a1.png" alt="chart"> <img src="https://images.example/p.jpg" alt="p"></p>')
    app = make_app(fresh_database, tmp_path / "instance")
    with app.app_context():
        upgrade(revision="5fd43c84ec40")
        db.session.add_all([Course(slug="old", title="Old", description_html=before),
                            Course(slug="plain", title="Plain", description_html="<p>No images</p>")])  # fmt: skip
        db.session.commit()
        upgrade()
        stored = dict(db.session.execute(text("SELECT slug, description_html FROM courses")).all())
        assert stored == {"old": after, "plain": "<p>No images</p>"}
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()


def test_stored_names_and_titles_lose_direction_controls_on_upgrade(fresh_database, tmp_path):
    """A right-to-left override stored before the forms dropped them turned the text around a name or title; the
    upgrade takes the controls out of names, headlines, skills and titles, gives a text of nothing else a name
    instead of a blank, and merges a skill that becomes a duplicate. Other text stays as it was."""
    from lms.models import Course, CourseSkill, CourseWish, Lesson, Module, Thread, User

    override, isolate = "\u202e", "\u2067"
    app = make_app(fresh_database, tmp_path / "instance")
    with app.app_context():
        upgrade(revision="c5d81e3f0a27")
        course = Course(slug="c", title=f"Pricing {override}gnitaitogen", syllabus_version=1, skills=[
            CourseSkill(name="negotiation"), CourseSkill(name=f"negotiation{override}"), CourseSkill(name="pricing")])
        db.session.add_all([
            User(email="a@example.com", display_name=f"{override}Ann", headline=f"Coach {isolate}x",
                 skills=f"pricing, {override}scope", password_hash="x", session_token="a"),
            User(email="b@example.com", display_name=override, password_hash="x", session_token="b"),
            User(email="c@example.com", display_name="عليّ", headline="Plain", password_hash="x", session_token="c"),
            course,
        ])  # fmt: skip
        db.session.flush()
        module = Module(course_id=course.id, title=f"Module {override}1")
        db.session.add(module)
        db.session.flush()
        db.session.add_all([
            Lesson(course_id=course.id, module_id=module.id, title=f"{isolate}Lesson"),
            Thread(course_id=course.id, title=f"Help {override} me"),
            Thread(course_id=course.id, title=override),
            CourseWish(title=f"Scope {override}creep"),
        ])  # fmt: skip
        db.session.commit()
        version = db.session.scalar(text("SELECT syllabus_version FROM courses"))
        upgrade()
        query = db.session.execute
        assert dict(query(text("SELECT email, display_name FROM users")).all()) == {
            "a@example.com": "Ann", "b@example.com": "Member", "c@example.com": "عليّ"}  # fmt: skip
        assert set(query(text("SELECT headline, skills FROM users")).all()) == {
            ("Coach x", "pricing, scope"), ("", ""), ("Plain", "")}  # fmt: skip
        assert query(text("SELECT title, syllabus_version FROM courses")).one() == ("Pricing gnitaitogen", version + 1)
        assert set(query(text("SELECT name FROM course_skills")).scalars()) == {"negotiation", "pricing"}
        assert query(text("SELECT title FROM modules")).scalar_one() == "Module 1"
        assert query(text("SELECT title FROM lessons")).scalar_one() == "Lesson"
        assert set(query(text("SELECT title FROM discussion_threads")).scalars()) == {"Help  me", "Untitled"}
        assert query(text("SELECT title FROM course_wishes")).scalar_one() == "Scope creep"
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()


def test_thread_helpful_counts_leave_out_deleted_and_hidden_posts_on_upgrade(fresh_database, tmp_path):
    """Votes on posts deleted or hidden before the services took them out of their thread's count had stayed
    in it; the upgrade counts every thread again from the posts everyone can read."""
    from lms.database import utcnow
    from lms.models import Course, Post, Thread

    app = make_app(fresh_database, tmp_path / "instance")
    with app.app_context():
        upgrade(revision="b7e2f91c4d05")
        course = Course(slug="c", title="C")
        db.session.add(course)
        db.session.flush()
        stale = Thread(course_id=course.id, title="Stale", vote_count=9)
        right = Thread(course_id=course.id, title="Right", vote_count=2)
        empty = Thread(course_id=course.id, title="No posts", vote_count=3)
        db.session.add_all([stale, right, empty])
        db.session.flush()
        db.session.add_all([
            Post(thread_id=stale.id, vote_count=2), Post(thread_id=stale.id, vote_count=3, deleted_at=utcnow()),
            Post(thread_id=stale.id, vote_count=4, hidden_at=utcnow()), Post(thread_id=right.id, vote_count=2),
        ])  # fmt: skip
        db.session.commit()
        upgrade()
        counts = dict(db.session.execute(text("SELECT title, vote_count FROM discussion_threads")).all())
        assert counts == {"Stale": 2, "Right": 2, "No posts": 0}
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()


def test_notifications_and_audit_entries_learn_who_caused_them_on_upgrade(fresh_database, tmp_path):
    """Notifications that link to a post name its author where the message does (an anonymous post, as peers were
    told of it, names nobody); those of an author already gone say "Former member" now. Audit entries that had lost
    their actor to a deleted account say so, instead of looking like the system's."""
    from lms.models import Course, Post, Thread, User

    app = make_app(fresh_database, tmp_path / "instance")
    with app.app_context():
        upgrade(revision="d4a8c2e6f913")
        maya = User(email="m@example.com", display_name="Maya", password_hash="x", session_token="m")
        course = Course(slug="c", title="C")
        db.session.add_all([maya, course])
        db.session.flush()
        thread = Thread(course_id=course.id, title="T")
        db.session.add(thread)
        db.session.flush()
        named, anonymous, orphan = (Post(thread_id=thread.id, author_id=maya.id), Post(thread_id=thread.id,
                                    author_id=maya.id, anonymous=True), Post(thread_id=thread.id, author_id=None))
        db.session.add_all([named, anonymous, orphan])
        db.session.flush()
        notes = [(named, "reply", "Maya replied in “T”"), (anonymous, "reply", "Anonymous peer replied in “T”"),
                 (orphan, "mention", "Lena mentioned you in “T”"), (orphan, "accepted", "Your answer in “T” was")]
        for number, (post, kind, message) in enumerate(notes):
            db.session.execute(text(
                "INSERT INTO notifications (id, user_id, kind, message, url, created_at) "
                "VALUES (:id, :user_id, :kind, :message, :url, CURRENT_TIMESTAMP)"
            ), {"id": number + 1, "user_id": maya.id, "kind": kind, "message": message,
                "url": f"/courses/c/discussion/posts/{post.id}"})  # fmt: skip
        for number, actor_id in enumerate([maya.id, None]):
            db.session.execute(text(
                "INSERT INTO audit_entries (id, actor_id, action, target_type, detail, created_at) "
                "VALUES (:id, :actor_id, 'discussion.hide', '', '', CURRENT_TIMESTAMP)"
            ), {"id": number + 1, "actor_id": actor_id})  # fmt: skip
        db.session.commit()
        upgrade(revision="b8d2f4a6c031")  # (Maya is in no course: the next one would take her notices away)
        query = db.session.execute
        assert query(text("SELECT message, actor_id, actor_name FROM notifications ORDER BY id")).all() == [
            ("Maya replied in “T”", maya.id, "Maya"), ("Anonymous peer replied in “T”", None, ""),
            ("Former member mentioned you in “T”", None, ""), ("Your answer in “T” was", None, "")]  # fmt: skip
        assert query(text("SELECT actor_id, actor_deleted FROM audit_entries ORDER BY id")).all() == [
            (maya.id, False), (None, True)]  # fmt: skip
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()


def test_unread_discussion_notices_of_learners_who_left_go_on_upgrade(fresh_database, tmp_path):
    """Tom withdrew before leaving a course took its discussion out of his bell and digest: his unread notices of it
    go; what he had read, Maya's (still enrolled) and the admin's stay."""
    from lms.models import Course, Enrolment, User

    app = make_app(fresh_database, tmp_path / "instance")
    with app.app_context():
        upgrade(revision="b8d2f4a6c031")
        people = [User(email=f"{name}@example.com", display_name=name, password_hash="x", session_token=name,
                       role="admin" if name == "ada" else "learner") for name in ("maya", "tom", "ada")]
        course = Course(slug="c", title="C")
        db.session.add_all([*people, course])
        db.session.flush()
        maya, tom, ada = people
        db.session.add_all([Enrolment(user_id=maya.id, course_id=course.id, status="active"),
                            Enrolment(user_id=tom.id, course_id=course.id, status="withdrawn")])  # fmt: skip
        notes = [(maya, None), (tom, None), (tom, "2026-01-01 00:00:00"), (ada, None)]
        for number, (user, read_at) in enumerate(notes):
            db.session.execute(text(
                "INSERT INTO notifications (id, user_id, kind, message, url, created_at, read_at, actor_name) "
                "VALUES (:id, :user_id, 'reply', 'Someone replied', '/courses/c/discussion/posts/1', "
                "CURRENT_TIMESTAMP, :read_at, '')"
            ), {"id": number + 1, "user_id": user.id, "read_at": read_at})  # fmt: skip
        db.session.execute(text(
            "INSERT INTO notifications (id, user_id, kind, message, url, created_at, actor_name) "
            "VALUES (5, :user_id, 'enrolment_removed', 'Removed', '/courses/c/', CURRENT_TIMESTAMP, '')"
        ), {"user_id": tom.id})  # fmt: skip
        db.session.commit()
        upgrade()
        assert db.session.execute(text("SELECT id FROM notifications ORDER BY id")).scalars().all() == [1, 3, 4, 5]
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()


def test_studio_dates_out_of_range_move_to_the_nearest_year_in_range_on_upgrade(fresh_database, tmp_path):
    """A window saved as year 1 or 9999 (a typo the forms let through before) failed every page that showed it in a
    time zone other than UTC. It moves to 1970 or 2999, which means the same for the course."""
    from datetime import date, datetime

    from lms.models import Course, Module

    app = make_app(fresh_database, tmp_path / "instance")
    with app.app_context():
        upgrade(revision="c4e9a1d7b385")
        odd = Course(slug="odd", title="Odd", enrol_opens_at=datetime(1, 1, 1), enrol_closes_at=datetime(9999, 12, 31))
        fine = Course(slug="fine", title="Fine", enrol_opens_at=datetime(2026, 3, 1, 9, 30))
        db.session.add_all([odd, fine])
        db.session.flush()
        db.session.add_all([Module(course_id=odd.id, position=0, title="Early", opens_on=date(1, 1, 1)),
                            Module(course_id=odd.id, position=1, title="Late", opens_on=date(9999, 1, 1)),
                            Module(course_id=fine.id, position=0, title="On time", opens_on=date(2027, 1, 4))])  # fmt: skip
        db.session.commit()
        upgrade()
        db.session.expire_all()
        assert (odd.enrol_opens_at, odd.enrol_closes_at) == (datetime(1970, 1, 1), datetime(2999, 12, 31, 23, 59))
        assert (fine.enrol_opens_at, fine.enrol_closes_at) == (datetime(2026, 3, 1, 9, 30), None)
        opens = db.session.execute(text("SELECT title, opens_on FROM modules ORDER BY id")).all()
        assert [(title, str(day)) for title, day in opens] == [
            ("Early", "1970-01-01"), ("Late", "2999-12-31"), ("On time", "2027-01-04")]
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()
