"""One "world" of users and course objects for the security tests (authorization, CSRF, XSS, fuzzing).

build_world() inserts, straight on the models (fast: no HTTP, one shared password hash), two published
courses A and B with the same kinds of objects each, so any id of one course can be tried through the
other course's URL (IDOR). Stable API for other test modules:

    world = build_world()             # on empty tables (e.g. in a test using the `app` fixture)
    world = reset_world()             # empty the tables first; after the first build, a fast re-insert
    world.users["learner"]            # User rows by name (see USER_NAMES)
    world.visitors["owner"]           # the User behind each visitor kind of VISITORS (None: anonymous)
    world.courses["A"].lesson         # CourseObjects: course, module, lessons, thread, posts, ...
    world.wish, world.notification, world.connection, world.password
    login_as(client, user)            # log a test client in without the password form (no scrypt per test)
    snapshot()                        # every row of every table, to prove that nothing changed
    table_counts()                    # {table: row count}

Users: admin; outsider (a learner in no course); target (a learner the admin acts on); learner, peer1,
peer2 (active learners of BOTH courses); applicant (pending request in both); owner_a and co_a (staff of
A only); owner_b and co_b (staff of B only). Course A is course-a, course B is course-b.
"""

import os
from datetime import timedelta
from functools import cache, lru_cache
from types import SimpleNamespace

from sqlalchemy import func, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from lms.content import render_markdown
from lms.database import utcnow
from lms.extensions import db
from lms.models import (
    Assignment,
    Certificate,
    Choice,
    Connection,
    Course,
    CourseReview,
    CourseSkill,
    CourseStaff,
    CourseWish,
    Enrolment,
    Lesson,
    LessonProgress,
    Module,
    Notification,
    Post,
    PostReport,
    Question,
    Review,
    ReviewAssignment,
    ReviewScore,
    RubricCriterion,
    SignIn,
    Submission,
    Thread,
    Upload,
    User,
    WishVote,
)

PASSWORD = "correct horse battery"  # the same as tests/conftest.py, so login(user) works too
USER_NAMES = ("admin", "outsider", "target", "learner", "peer1", "peer2", "applicant", "owner_a", "co_a",
              "owner_b", "co_b")  # fmt: skip
ROLES = {"admin": "admin", "owner_a": "instructor", "co_a": "instructor", "owner_b": "instructor",
         "co_b": "instructor"}  # fmt: skip
# The kinds of visitor every route is checked for, and who plays them (courses are seen from course A).
VISITORS = {
    "anonymous": None,
    "outsider": "outsider",  # logged in, enrolled nowhere
    "learner": "learner",  # active learner of course A (also of B: needed for learner-side IDOR cases)
    "other_instructor": "owner_b",  # instructor who owns course B only
    "co_instructor": "co_a",  # co-instructor of course A
    "owner": "owner_a",  # owner of course A
    "admin": "admin",
}
ATTACHMENT_BYTES = b"Checklist: ask before you discount.\n"

_password_hash = None


def _hash():
    global _password_hash
    if _password_hash is None:
        _password_hash = generate_password_hash(PASSWORD, method="scrypt")
    return _password_hash


@lru_cache(maxsize=256)
def _md(source):
    return source, str(render_markdown(source, ugc=True))


def build_world():
    now = utcnow()
    users = {}
    for name in USER_NAMES:
        users[name] = User(email=f"{name}@example.com", display_name=name.replace("_", " ").title(),
                           password_hash=_hash(), role=ROLES.get(name, "learner"), profile_visible=True)  # fmt: skip
    db.session.add_all(users.values())
    db.session.flush()
    # Everyone is signed in once, in the world itself: login_as() reuses these, so a request's before-and-after
    # snapshots see only what the request wrote.
    db.session.add_all(SignIn(token=f"world-{name}", user_id=user.id, account_token=user.session_token)
                       for name, user in users.items())  # fmt: skip
    courses = {
        "A": _build_course("A", users["owner_a"], users["co_a"], users, now),
        "B": _build_course("B", users["owner_b"], users["co_b"], users, now),
    }
    a = courses["A"]
    wish = CourseWish(title="Pricing retainers", why="Monthly work needs a monthly price.", author_id=users["peer1"].id,
                      vote_count=1)  # fmt: skip
    db.session.add(wish)
    db.session.flush()
    db.session.add(WishVote(wish_id=wish.id, user_id=users["peer1"].id))
    notification = Notification(user_id=users["learner"].id, kind="reply", message="Peer1 replied to your question.",
                                url=f"/courses/{a.course.slug}/discussion/threads/{a.thread.id}")  # fmt: skip
    low, high = sorted((users["learner"].id, users["peer1"].id))
    connection = Connection(user_a_id=low, user_b_id=high, requester_id=users["peer1"].id, course_id=a.course.id)
    db.session.add_all([notification, connection])
    db.session.commit()
    visitors = {kind: (users[name] if name else None) for kind, name in VISITORS.items()}
    return SimpleNamespace(users=users, visitors=visitors, courses=courses, wish=wish, notification=notification,
                           connection=connection, password=PASSWORD)  # fmt: skip


def _build_course(key, owner, co, users, now):
    slug = f"course-{key.lower()}"
    body, html = _md(f"Welcome to course {key}.")
    course = Course(slug=slug, title=f"Course {key}", summary=f"Course {key} for freelancers.", description_md=body,
                    description_html=html, level="intro", status="published", enrolment_policy="open",
                    owner_id=owner.id, published_at=now - timedelta(days=30))  # fmt: skip
    course.skills = [CourseSkill(name="negotiation")]
    course.staff = [CourseStaff(user_id=owner.id, role="owner"), CourseStaff(user_id=co.id, role="instructor")]
    db.session.add(course)
    db.session.flush()
    module = Module(course_id=course.id, position=0, title=f"{key} module 1")
    module2 = Module(course_id=course.id, position=1, title=f"{key} module 2")
    db.session.add_all([module, module2])
    db.session.flush()

    def lesson(mod, position, title, **fields):
        text_md, text_html = _md(f"{title} text.")
        return Lesson(course_id=course.id, module_id=mod.id, position=position, title=title, body_md=text_md,
                      body_html=text_html, minutes=5, minutes_authored=5, **fields)  # fmt: skip

    preview = lesson(module, 0, f"{key} free preview", is_preview=True)
    plain = lesson(module, 1, f"{key} lesson with attachment")
    quiz = lesson(module, 2, f"{key} knowledge check", pass_mark=50)
    practice = lesson(module2, 0, f"{key} practice")
    lessons = [preview, plain, quiz, practice]
    db.session.add_all(lessons)
    db.session.flush()
    course.total_minutes, course.lesson_count = 5 * len(lessons), len(lessons)

    question = Question(lesson_id=quiz.id, position=0, prompt="Best first reply?", kind="single")
    question.choices = [Choice(position=0, text="Ask questions", is_correct=True, feedback="Right."),
                        Choice(position=1, text="Discount", is_correct=False, feedback="Not quite.")]  # fmt: skip
    db.session.add(question)

    learner, peer1, peer2 = users["learner"], users["peer1"], users["peer2"]
    enrolments = {
        person.id: Enrolment(course_id=course.id, user_id=person.id, status="active", enrolled_at=now - timedelta(days=20),
                             requested_at=now - timedelta(days=20))  # fmt: skip
        for person in (learner, peer1, peer2)
    }
    enrolments[learner.id].completed_at = now - timedelta(days=1)
    pending = Enrolment(course_id=course.id, user_id=users["applicant"].id, status="pending", requested_at=now)
    db.session.add_all([*enrolments.values(), pending])
    course.enrolled_count = len(enrolments)
    db.session.add_all(
        LessonProgress(user_id=learner.id, lesson_id=item.id, course_id=course.id, first_opened_at=now - timedelta(days=2),
                       last_opened_at=now - timedelta(days=2), completed_at=now - timedelta(days=1), seconds_spent=300)
        for item in lessons
    )  # fmt: skip
    certificate = Certificate(code=f"cert-{key.lower()}-0123456789abcdef", user_id=learner.id, course_id=course.id,
                              issued_at=now - timedelta(days=1))  # fmt: skip

    # Practice assignment: the learner submitted and got a review from peer1 (visible: the learner reviewed
    # peer2, which is the one review required), and has an open review slot on peer1's submission.
    prompt_md, prompt_html = _md("Write the e-mail asking for a **30%** discount.")
    assignment = Assignment(lesson_id=practice.id, course_id=course.id, prompt_md=prompt_md, prompt_html=prompt_html,
                            reviews_required=1, allocations=3)  # fmt: skip
    assignment.criteria = [RubricCriterion(position=0, title="Clear ask", level_1="Unclear", level_2="Vague",
                                           level_3="Clear", level_4="Crisp")]  # fmt: skip
    db.session.add_all([certificate, assignment])
    db.session.flush()
    criterion = assignment.criteria[0]
    submissions = {}
    for person in (learner, peer1, peer2):
        text_md, text_html = _md(f"My answer, by {person.display_name}, in course {key}.")
        submissions[person.id] = Submission(assignment_id=assignment.id, user_id=person.id, body_md=text_md,
                                            body_html=text_html, submitted_at=now - timedelta(days=3),
                                            review_started_at=now - timedelta(days=2), reviews_claimed=1)  # fmt: skip
    submissions[learner.id].review_count = submissions[peer2.id].review_count = 1
    db.session.add_all(submissions.values())
    db.session.flush()

    def finished_review(reviewer, submission):
        db.session.add(ReviewAssignment(assignment_id=assignment.id, submission_id=submission.id, reviewer_id=reviewer.id,
                                        assigned_at=now - timedelta(days=2), expires_at=now + timedelta(days=1),
                                        completed_at=now - timedelta(days=1)))  # fmt: skip
        comment_md, comment_html = _md(f"Clear ask and a warm tone, says {reviewer.display_name}.")
        review = Review(assignment_id=assignment.id, submission_id=submission.id, reviewer_id=reviewer.id,
                        comment_md=comment_md, comment_html=comment_html, created_at=now - timedelta(days=1))  # fmt: skip
        review.scores = [ReviewScore(criterion_id=criterion.id, score=3)]
        db.session.add(review)
        return review

    peer_review = finished_review(peer1, submissions[learner.id])
    finished_review(learner, submissions[peer2.id])
    slot = ReviewAssignment(assignment_id=assignment.id, submission_id=submissions[peer1.id].id, reviewer_id=learner.id,
                            assigned_at=now - timedelta(hours=1), expires_at=now + timedelta(days=2))  # fmt: skip
    review_md = "Practical and short."
    course_review = CourseReview(course_id=course.id, user_id=learner.id, rating=4, text=review_md)
    db.session.add_all([slot, course_review])

    # Discussion: the learner's question, peer1's answer and the learner's follow-up, which peer2 reported.
    thread = Thread(course_id=course.id, lesson_id=plain.id, author_id=learner.id, title=f"How do I say no? ({key})",
                    kind="question", created_at=now - timedelta(days=2), last_activity_at=now - timedelta(days=1))  # fmt: skip
    db.session.add(thread)
    db.session.flush()
    posts = []
    for author, words in ((learner, "How do I turn down scope creep?"), (peer1, "Name the trade-off first."),
                          (learner, "Thanks, that helps.")):  # fmt: skip
        body_md, body_html = _md(words)
        posts.append(Post(thread_id=thread.id, author_id=author.id, body_md=body_md, body_html=body_html,
                          created_at=now - timedelta(days=2)))  # fmt: skip
    db.session.add_all(posts)
    db.session.flush()
    opening, peer_post, own_post = posts
    thread.first_post_id, thread.last_post_id, thread.reply_count = opening.id, own_post.id, 2
    report = PostReport(course_id=course.id, post_id=own_post.id, reporter_id=peer2.id, reason="Off topic.")
    db.session.add(report)

    upload = Upload(stored_name=f"{os.urandom(16).hex()}.txt", original_name="checklist.txt", content_type="text/plain",
                    size=len(ATTACHMENT_BYTES), kind="attachment", course_id=course.id, lesson_id=plain.id,
                    uploaded_by_id=owner.id)  # fmt: skip
    db.session.add(upload)
    db.session.flush()
    from lms.studio.uploads import path_of, upload_folder

    os.makedirs(upload_folder(), exist_ok=True)
    with open(path_of(upload.stored_name), "wb") as handle:
        handle.write(ATTACHMENT_BYTES)

    return SimpleNamespace(
        key=key, course=course, owner=owner, co=co, module=module, module2=module2, preview_lesson=preview,
        lesson=plain, quiz_lesson=quiz, practice_lesson=practice, lessons=lessons, question=question,
        enrolment=enrolments[learner.id], pending=pending, certificate=certificate, assignment=assignment,
        own_submission=submissions[learner.id], submission=submissions[peer1.id], peer_review=peer_review, slot=slot,
        course_review=course_review, thread=thread, opening_post=opening, peer_post=peer_post, own_post=own_post,
        report=report, upload=upload,
    )  # fmt: skip


def login_as(client, user):
    """Log the client in as user (Flask-Login's session keys), or log it out for None."""
    token = None
    if user is not None:
        from lms.auth.services import start_sign_in

        token = db.session.scalar(select(SignIn.token).where(SignIn.user_id == user.id,
                                                             SignIn.account_token == user.session_token))  # fmt: skip
        if token is None:
            token = start_sign_in(user)
            db.session.commit()
    with client.session_transaction() as session:
        session.clear()
        if token is not None:
            session["_user_id"] = token
            session["_fresh"] = True
    return client


def table_counts():
    """{table name: rows}, in one statement (in the session's transaction; compiled once per process)."""
    tables = db.metadata.sorted_tables
    row = db.session.connection().exec_driver_sql(_counts_sql(db.engine.dialect.name)).one()
    return dict(zip((table.name for table in tables), row, strict=True))


@cache
def _counts_sql(dialect_name):
    columns = [select(func.count()).select_from(table).scalar_subquery().label(table.name)
               for table in db.metadata.sorted_tables]  # fmt: skip
    compiled = select(*columns).compile(dialect=db.engine.dialect)
    assert not compiled.params, compiled.params
    return str(compiled)


def _select_all(table):
    order = list(table.primary_key.columns) or list(table.columns)
    return select(table).order_by(*order)


def snapshot(exclude=()):
    """Every row of every table (except `exclude`), in primary-key order: equal snapshots, no writes.

    The values are the database driver's own (e.g. SQLite returns times as the stored text), which compare
    at least as strictly as the model types would. The security tests take thousands of snapshots, so the
    SQL is compiled once per dialect and sent through the driver, in one round trip on PostgreSQL."""
    tables = [table for table in db.metadata.sorted_tables if table.name not in exclude]
    with db.engine.connect() as conn:
        queries = [_select_sql(conn.dialect.name, table.name) for table in tables]
        cursor = conn.connection.driver_connection.cursor()
        try:
            if conn.dialect.name == "postgresql":
                cursor.execute("; ".join(queries))  # no parameters: one message, a result set per query
                results = []
                for _ in queries:
                    results.append(cursor.fetchall())
                    cursor.nextset()
            else:
                results = [cursor.execute(query).fetchall() for query in queries]
        finally:
            cursor.close()
    return {table.name: [tuple(row) for row in rows] for table, rows in zip(tables, results, strict=True)}


@cache
def _select_sql(dialect_name, table_name):
    table = db.metadata.tables[table_name]
    compiled = _select_all(table).compile(dialect=db.engine.dialect)
    assert not compiled.params, compiled.params
    return str(compiled)


def empty_tables():
    """Delete every row, children first (cheaper than TRUNCATE for a handful of rows on PostgreSQL)."""
    db.session.remove()
    names = [table.name for table in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("; ".join(f'DELETE FROM "{name}"' for name in names))  # one round trip
        else:
            cursor = conn.connection.driver_connection.cursor()
            for name in names:
                cursor.execute(f'DELETE FROM "{name}"')
            cursor.close()


_template = None  # the rows, files and object ids of the first world built in this process


def reset_world():
    """Empty every table and put a fresh world back (after a request that may have changed it).

    The first call builds the world through the models; later calls re-insert the rows recorded then
    (a few bulk INSERTs instead of a hundred ORM flushes) and load the same objects by primary key.
    """
    global _template
    empty_tables()
    if _template is None:
        world = build_world()
        _template = _Template(world)
        return world
    _template.restore()
    return _template.load()


class _Template:
    """The first world of this process: its rows (re-inserted by restore) and detached copies of its objects
    (merged into the session by load, so a reset does not read back what it has just written)."""

    def __init__(self, world):
        self.shape = _refs(world)
        self.files = {c.upload.stored_name: ATTACHMENT_BYTES for c in world.courses.values()}
        self.objects = _detached_objects(self.shape)
        if db.engine.dialect.name == "postgresql":
            self.copy = _ServerCopy()
        else:
            self.copy = _DriverCopy(snapshot())

    def restore(self):
        self.copy.restore()
        from lms.studio.uploads import path_of, upload_folder

        os.makedirs(upload_folder(), exist_ok=True)
        for name, data in self.files.items():
            with open(path_of(name), "wb") as handle:
                handle.write(data)

    def load(self):
        # The same objects as the first world (same primary keys and values), attached to this session
        # without a query (the rows were just restored to exactly these values).
        loaded = {key: db.session.merge(obj, load=False) for key, obj in self.objects.items()}
        return _load(self.shape, loaded)


def _deferred_columns(table):
    """Foreign-key columns of `table` that point at a table created at the same time or later (cycles)."""
    position = {other.name: index for index, other in enumerate(db.metadata.sorted_tables)}
    return [fk.parent.name for fk in table.foreign_keys
            if position.get(fk.column.table.name, -1) >= position[table.name]]  # fmt: skip


def _detached_objects(shape):
    """{(model, identity): object} for every row object of the world, loaded in a session of their own and
    detached from it (one query per model)."""
    wanted = {}
    _collect(shape, wanted)
    objects = {}
    with Session(db.engine) as session:
        for model, identities in wanted.items():
            keys = sa_inspect(model).primary_key
            if len(keys) == 1:
                for obj in session.scalars(select(model).where(keys[0].in_([i[0] for i in identities]))):
                    objects[(model, sa_inspect(obj).identity)] = obj
            else:
                for identity in identities:
                    objects[(model, identity)] = session.get(model, identity)
    return objects


class _DriverCopy:
    """SQLite: the world's rows as the driver read them (values as stored), inserted again through the
    driver; foreign keys that point forward (cycles such as thread -> first post) are set afterwards."""

    def __init__(self, rows):
        self.inserts, self.updates = [], []
        for table in db.metadata.sorted_tables:
            table_rows = rows[table.name]
            if not table_rows:
                continue
            names = [column.name for column in table.columns]
            deferred = {names.index(name) for name in _deferred_columns(table)}
            columns, marks = ", ".join(f'"{name}"' for name in names), ", ".join("?" for _ in names)
            values = [tuple(None if i in deferred else value for i, value in enumerate(row)) for row in table_rows]
            self.inserts.append((f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})', values))
            keys = [names.index(pk.name) for pk in table.primary_key.columns]
            where = " AND ".join(f'"{names[k]}" = ?' for k in keys)
            for i in sorted(deferred):
                params = [(row[i], *(row[k] for k in keys)) for row in table_rows if row[i] is not None]
                self.updates.append((f'UPDATE "{table.name}" SET "{names[i]}" = ? WHERE {where}', params))

    def restore(self):
        with db.engine.begin() as conn:
            cursor = conn.connection.driver_connection.cursor()
            for sql, params in self.inserts + self.updates:
                cursor.executemany(sql, params)
            cursor.close()


class _ServerCopy:
    """PostgreSQL: the world's rows copied into tables of a schema of their own, once; restore copies them
    back inside the server in one round trip (no rows travel, no statement per table)."""

    SCHEMA = "security_world_template"

    def __init__(self):
        tables = db.metadata.sorted_tables
        with db.engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{self.SCHEMA}" CASCADE; CREATE SCHEMA "{self.SCHEMA}"')
            conn.exec_driver_sql("; ".join(
                f'CREATE TABLE "{self.SCHEMA}"."{table.name}" AS SELECT * FROM "{table.name}"' for table in tables
            ))  # fmt: skip
        statements, late = [], []
        for table in tables:
            deferred = set(_deferred_columns(table))
            names = [column.name for column in table.columns]
            columns = ", ".join(f'"{name}"' for name in names)
            values = ", ".join("NULL" if name in deferred else f'"{name}"' for name in names)
            source = f'"{self.SCHEMA}"."{table.name}"'
            statements.append(f'INSERT INTO "{table.name}" ({columns}) SELECT {values} FROM {source}')
            keys = " AND ".join(f'"{table.name}"."{pk.name}" = t."{pk.name}"' for pk in table.primary_key.columns)
            late += [f'UPDATE "{table.name}" SET "{name}" = t."{name}" FROM {source} t '
                     f'WHERE {keys} AND t."{name}" IS NOT NULL' for name in sorted(deferred)]  # fmt: skip
        # Every id sequence past the restored rows, as the ORM inserts would have left them.
        sequences = ", ".join(
            f"setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
            f'COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, false)'
            for table in tables if "id" in table.c and table.c.id.primary_key
        )  # fmt: skip
        self.sql = "; ".join([*statements, *late, f"SELECT {sequences}"])

    def restore(self):
        with db.engine.begin() as conn:
            conn.exec_driver_sql(self.sql)


def _refs(value):
    if isinstance(value, db.Model):
        return ("row", type(value), sa_inspect(value).identity)
    if isinstance(value, SimpleNamespace):
        return ("namespace", {key: _refs(item) for key, item in vars(value).items()})
    if isinstance(value, dict):
        return ("dict", {key: _refs(item) for key, item in value.items()})
    if isinstance(value, list):
        return ("list", [_refs(item) for item in value])
    return ("value", value)


def _collect(ref, wanted):
    kind, payload = ref[0], ref[1]
    if kind == "row":
        wanted.setdefault(payload, set()).add(ref[2])
    elif kind in ("namespace", "dict"):
        for item in payload.values():
            _collect(item, wanted)
    elif kind == "list":
        for item in payload:
            _collect(item, wanted)


def _load(ref, loaded):
    kind, payload = ref[0], ref[1]
    if kind == "row":
        return loaded[(payload, ref[2])]
    if kind == "namespace":
        return SimpleNamespace(**{key: _load(item, loaded) for key, item in payload.items()})
    if kind == "dict":
        return {key: _load(item, loaded) for key, item in payload.items()}
    if kind == "list":
        return [_load(item, loaded) for item in payload]
    return payload
