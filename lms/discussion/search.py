"""Full-text search over discussion posts and thread titles: SQLite FTS5 or PostgreSQL tsvector + GIN.

create_search_ddl(connection) builds the database-specific parts; it runs after db.create_all() (an
"after_create" listener on db.metadata) and is what a migration should call.
"""

import re

from markupsafe import Markup, escape
from sqlalchemy import text

# Private-use characters mark highlights in the database's output; everything else is escaped.
_START, _STOP = "\ue000", "\ue001"
_TOKEN = re.compile(r"[^\W_]+")
MAX_TOKENS = 8

_SQLITE_DDL = [
    # No porter stemmer: it does not stem prefix queries, and every query word is a prefix ("negotiat*").
    # A regular FTS5 table (it stores its own copy, so snippet() works) kept in step by triggers:
    # rowid = post id; the thread title is indexed with the opening post only.
    """CREATE VIRTUAL TABLE IF NOT EXISTS discussion_fts USING fts5(
        title, body, tokenize = 'unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER IF NOT EXISTS discussion_fts_post_ai AFTER INSERT ON discussion_posts BEGIN
        INSERT INTO discussion_fts(rowid, title, body) VALUES (new.id,
            coalesce((SELECT title FROM discussion_threads WHERE id = new.thread_id AND first_post_id = new.id), ''),
            new.body_md);
    END""",
    """CREATE TRIGGER IF NOT EXISTS discussion_fts_post_au AFTER UPDATE OF body_md ON discussion_posts BEGIN
        UPDATE discussion_fts SET body = new.body_md WHERE rowid = new.id;
    END""",
    """CREATE TRIGGER IF NOT EXISTS discussion_fts_post_ad AFTER DELETE ON discussion_posts BEGIN
        DELETE FROM discussion_fts WHERE rowid = old.id;
    END""",
    # The opening post is inserted before the thread knows its id, so the title arrives here.
    """CREATE TRIGGER IF NOT EXISTS discussion_fts_thread_au
        AFTER UPDATE OF title, first_post_id ON discussion_threads WHEN new.first_post_id IS NOT NULL BEGIN
        UPDATE discussion_fts SET title = new.title WHERE rowid = new.first_post_id;
    END""",
]

# The 'simple' configuration (no stemming) for the same reason as SQLite: prefix queries must meet the
# words as written, so both databases find the same posts.
_POSTGRES_DDL = [
    """ALTER TABLE discussion_posts ADD COLUMN IF NOT EXISTS search_vector tsvector
        GENERATED ALWAYS AS (to_tsvector('simple', coalesce(body_md, ''))) STORED""",
    "CREATE INDEX IF NOT EXISTS ix_discussion_posts_search ON discussion_posts USING GIN (search_vector)",
    """ALTER TABLE discussion_threads ADD COLUMN IF NOT EXISTS search_vector tsvector
        GENERATED ALWAYS AS (to_tsvector('simple', coalesce(title, ''))) STORED""",
    "CREATE INDEX IF NOT EXISTS ix_discussion_threads_search ON discussion_threads USING GIN (search_vector)",
]


def create_search_ddl(connection):
    """Create the full-text index for the connection's database (idempotent)."""
    statements = _POSTGRES_DDL if connection.dialect.name == "postgresql" else _SQLITE_DDL
    for statement in statements:
        connection.execute(text(statement))


def tokens(query):
    """Words of a user's query: letters and digits only, so no search syntax reaches the database."""
    return _TOKEN.findall(query or "")[:MAX_TOKENS]


def search_post_ids(connection, course_id, query, *, include_hidden, limit, offset):
    """[(post_id, title_snippet, body_snippet)] for visible posts of the course matching every word."""
    words = tokens(query)
    if not words:
        return [], 0
    params = {"course_id": course_id, "limit": limit, "offset": offset, "start": _START, "stop": _STOP}
    hidden = "" if include_hidden else "AND p.hidden_at IS NULL"
    if connection.dialect.name == "postgresql":
        params["q"] = " & ".join(f"{w.lower()}:*" for w in words)
        where = f"""FROM discussion_posts p JOIN discussion_threads t ON t.id = p.thread_id,
                    to_tsquery('simple', :q) AS query
            WHERE t.course_id = :course_id AND (p.deleted_at IS NULL OR t.first_post_id = p.id) {hidden}
              AND (p.search_vector @@ query OR (t.first_post_id = p.id AND t.search_vector @@ query))"""
        options = "StartSel=" + _START + ", StopSel=" + _STOP + ", MaxWords=30, MinWords=10, HighlightAll=false"
        params["options"] = options
        params["title_options"] = "HighlightAll=true, StartSel=" + _START + ", StopSel=" + _STOP
        select_sql = f"""SELECT p.id,
                CASE WHEN t.first_post_id = p.id
                     THEN ts_headline('simple', t.title, query, :title_options) ELSE '' END,
                ts_headline('simple', p.body_md, query, :options)
            {where} ORDER BY ts_rank(p.search_vector, query) + ts_rank(t.search_vector, query) DESC, p.id DESC
            LIMIT :limit OFFSET :offset"""
    else:
        params["q"] = " ".join(f'"{w}"*' for w in words)
        where = f"""FROM discussion_fts JOIN discussion_posts p ON p.id = discussion_fts.rowid
                JOIN discussion_threads t ON t.id = p.thread_id
            WHERE discussion_fts MATCH :q AND t.course_id = :course_id
              AND (p.deleted_at IS NULL OR t.first_post_id = p.id) {hidden}"""
        select_sql = f"""SELECT p.id, highlight(discussion_fts, 0, :start, :stop),
                snippet(discussion_fts, 1, :start, :stop, '…', 24)
            {where} ORDER BY bm25(discussion_fts), p.id DESC LIMIT :limit OFFSET :offset"""
    total = connection.execute(text(f"SELECT count(*) {where}"), params).scalar()
    rows = connection.execute(text(select_sql), params).all()
    return [(row[0], highlight(row[1] or ""), highlight(row[2] or "")) for row in rows], total


def highlight(fragment):
    """Escape the database's snippet, then turn only our own markers into <mark> tags."""
    escaped = str(escape(fragment))
    return Markup(escaped.replace(_START, "<mark>").replace(_STOP, "</mark>"))
