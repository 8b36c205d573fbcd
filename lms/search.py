"""Course full-text search: the database's own engine (SQLite FTS5 or PostgreSQL tsvector + GIN).

Both databases keep a separate `course_search` index, one row per course (title, summary, description
with the outcomes ("what you will be able to do"), and skills), maintained by triggers on `courses` and
`course_skills`, so no service has to remember to update it and bulk deletes (tests, admin clean-ups)
cannot leave stale rows:

- SQLite: an FTS5 virtual table (rowid = course id) with its own copy of the text. It cannot be an
  external-content table over `courses` because the skills live in another table; the triggers rebuild
  a course's row when its text or skills change, and delete it with the course.
- PostgreSQL: a plain table (course_id -> tsvector, weighted A title, B skills/summary, C description and
  outcomes) with a GIN index; the FK to courses (ON DELETE CASCADE) also empties it on TRUNCATE ... CASCADE. A
  generated column on `courses` cannot see the skills in another table, hence the side table.

`create_search_objects(connection)` is the one DDL function (registered on db.metadata "after_create";
the migration must call it too). User text never reaches the engine's query syntax: `query_tokens`
keeps only runs of letters and digits, and each becomes a quoted prefix term.
"""

import re

from sqlalchemy import Float, Integer, String, bindparam, column, event, func, select, table, text

from lms.extensions import db

MAX_TOKENS = 8
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)

SQLITE_DDL = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS course_search USING fts5(
           title, summary, description, skills, tokenize = 'unicode61 remove_diacritics 2')""",
    # Rebuild one course's row from the tables; inserts nothing when the course is gone.
    """CREATE TRIGGER IF NOT EXISTS course_search_ai AFTER INSERT ON courses BEGIN
           INSERT INTO course_search (rowid, title, summary, description, skills)
           VALUES (new.id, new.title, new.summary, new.description_md || char(10) || new.outcomes,
                   (SELECT coalesce(group_concat(name, ' '), '') FROM course_skills WHERE course_id = new.id));
       END""",
    """CREATE TRIGGER IF NOT EXISTS course_search_au AFTER UPDATE OF title, summary, description_md, outcomes ON courses
       BEGIN
           DELETE FROM course_search WHERE rowid = old.id;
           INSERT INTO course_search (rowid, title, summary, description, skills)
           VALUES (new.id, new.title, new.summary, new.description_md || char(10) || new.outcomes,
                   (SELECT coalesce(group_concat(name, ' '), '') FROM course_skills WHERE course_id = new.id));
       END""",
    """CREATE TRIGGER IF NOT EXISTS course_search_ad AFTER DELETE ON courses BEGIN
           DELETE FROM course_search WHERE rowid = old.id;
       END""",
    """CREATE TRIGGER IF NOT EXISTS course_search_skill_ai AFTER INSERT ON course_skills BEGIN
           DELETE FROM course_search WHERE rowid = new.course_id;
           INSERT INTO course_search (rowid, title, summary, description, skills)
           SELECT c.id, c.title, c.summary, c.description_md || char(10) || c.outcomes,
                  (SELECT coalesce(group_concat(name, ' '), '') FROM course_skills WHERE course_id = c.id)
           FROM courses c WHERE c.id = new.course_id;
       END""",
    """CREATE TRIGGER IF NOT EXISTS course_search_skill_ad AFTER DELETE ON course_skills BEGIN
           DELETE FROM course_search WHERE rowid = old.course_id;
           INSERT INTO course_search (rowid, title, summary, description, skills)
           SELECT c.id, c.title, c.summary, c.description_md || char(10) || c.outcomes,
                  (SELECT coalesce(group_concat(name, ' '), '') FROM course_skills WHERE course_id = c.id)
           FROM courses c WHERE c.id = old.course_id;
       END""",
]

POSTGRES_DDL = [
    """CREATE TABLE IF NOT EXISTS course_search (
           course_id integer PRIMARY KEY REFERENCES courses (id) ON DELETE CASCADE,
           document tsvector NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS ix_course_search_document ON course_search USING gin (document)",
    """CREATE OR REPLACE FUNCTION course_search_refresh(cid integer) RETURNS void AS $$
       BEGIN
           INSERT INTO course_search (course_id, document)
           SELECT c.id,
                  setweight(to_tsvector('simple', coalesce(c.title, '')), 'A')
                  || setweight(to_tsvector('simple', coalesce(
                         (SELECT string_agg(s.name, ' ') FROM course_skills s WHERE s.course_id = c.id), '')), 'B')
                  || setweight(to_tsvector('simple', coalesce(c.summary, '')), 'B')
                  || setweight(to_tsvector('simple',
                         coalesce(c.description_md, '') || ' ' || coalesce(c.outcomes, '')), 'C')
           FROM courses c WHERE c.id = cid
           ON CONFLICT (course_id) DO UPDATE SET document = EXCLUDED.document;
       END $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION course_search_course_trigger() RETURNS trigger AS $$
       BEGIN PERFORM course_search_refresh(NEW.id); RETURN NULL; END $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION course_search_skill_trigger() RETURNS trigger AS $$
       BEGIN
           IF TG_OP = 'DELETE' THEN PERFORM course_search_refresh(OLD.course_id);
           ELSE PERFORM course_search_refresh(NEW.course_id); END IF;
           IF TG_OP = 'UPDATE' AND OLD.course_id <> NEW.course_id THEN
               PERFORM course_search_refresh(OLD.course_id);
           END IF;
           RETURN NULL;
       END $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS course_search_course ON courses",
    # Only text columns: seat counting (enrolled_count updates under a row lock) never touches the index.
    """CREATE TRIGGER course_search_course AFTER INSERT OR UPDATE OF title, summary, description_md, outcomes ON courses
       FOR EACH ROW EXECUTE FUNCTION course_search_course_trigger()""",
    "DROP TRIGGER IF EXISTS course_search_skill ON course_skills",
    """CREATE TRIGGER course_search_skill AFTER INSERT OR UPDATE OR DELETE ON course_skills
       FOR EACH ROW EXECUTE FUNCTION course_search_skill_trigger()""",
    # Courses that existed before the index (e.g. on upgrade) get their rows now.
    "SELECT course_search_refresh(id) FROM courses WHERE id NOT IN (SELECT course_id FROM course_search)",
]


def create_search_objects(connection):
    """Create the full-text index and its triggers for this connection's database (idempotent)."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        existed = connection.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'course_search'"
        ).first()
        for statement in SQLITE_DDL:
            connection.exec_driver_sql(statement)
        if not existed:
            connection.exec_driver_sql(
                "INSERT INTO course_search (rowid, title, summary, description, skills) "
                "SELECT c.id, c.title, c.summary, c.description_md || char(10) || c.outcomes, "
                "(SELECT coalesce(group_concat(name, ' '), '') FROM course_skills WHERE course_id = c.id) "
                "FROM courses c"
            )
    elif dialect == "postgresql":
        for statement in POSTGRES_DDL:
            connection.exec_driver_sql(statement)


def drop_search_objects(connection):
    """Before drop_all: the PostgreSQL index table references courses and would block dropping it."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("DROP TABLE IF EXISTS course_search")
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql("DROP TABLE IF EXISTS course_search")
        connection.exec_driver_sql("DROP TRIGGER IF EXISTS course_search_course ON courses")
        connection.exec_driver_sql("DROP TRIGGER IF EXISTS course_search_skill ON course_skills")


def _after_create(metadata, connection, **kwargs):
    create_search_objects(connection)


def _before_drop(metadata, connection, **kwargs):
    drop_search_objects(connection)


event.listen(db.metadata, "after_create", _after_create)
event.listen(db.metadata, "before_drop", _before_drop)


def query_tokens(raw):
    """Letters-and-digits words of what the visitor typed, lower-cased; punctuation is only a separator."""
    return [token.lower() for token in _TOKEN.findall(raw or "")][:MAX_TOKENS]


def search_expression(raw_query, dialect_name):
    """What the subquery of `ranked_matches` binds as :search_expression for this query; None when it has
    no searchable words (then the catalog simply is not filtered by text)."""
    tokens = query_tokens(raw_query)
    if not tokens:
        return None
    if dialect_name == "postgresql":
        # Tokens are letters/digits only, so "word:*" cannot be tsquery syntax injected by the user.
        return " & ".join(f"{token}:*" for token in tokens)
    # FTS5: each token double-quoted (quotes cannot occur in it) with * for prefix matching.
    return " ".join(f'"{token}"*' for token in tokens)


def ranked_matches(dialect_name):
    """A subquery (course_id, score) of courses matching every word of :search_expression (see
    `search_expression`) as a prefix; higher score is better. The words are a bound value, so one statement
    serves every search."""
    expression = bindparam("search_expression", type_=String)
    if dialect_name == "postgresql":
        tsquery = func.to_tsquery("simple", expression)
        index = table("course_search", column("course_id", Integer), column("document"))
        return (
            select(index.c.course_id.label("course_id"), func.ts_rank(index.c.document, tsquery).label("score"))
            .where(index.c.document.op("@@")(tsquery))
            .subquery("search")
        )
    # bm25 weights columns title, summary, description, skills and is lower-is-better, so negate it.
    return (
        text(
            "SELECT rowid AS course_id, -bm25(course_search, 10.0, 4.0, 1.0, 6.0) AS score "
            "FROM course_search WHERE course_search MATCH :search_expression"
        )
        .bindparams(expression)
        .columns(course_id=Integer, score=Float)
        .subquery("search")
    )


__all__ = ["create_search_objects", "drop_search_objects", "query_tokens", "ranked_matches", "search_expression"]
