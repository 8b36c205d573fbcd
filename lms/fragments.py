"""Rendered pieces of a page kept in memory by each app process: `{% cache key %}...{% endcache %}`.

A block renders once per distinct key; afterwards the stored HTML is served. The key must name every value the
block shows or decides on (the place that builds it says so), so a change to any of them is simply a new key:
nothing has to be invalidated, every process and server sees a change on its next request, and entries for
old keys age out of the LRU. Every key also holds the template name and line (two blocks never collide) and
what every page renders with: the app's script root (links) and the viewer's time zone (dates).

Forms inside a block carry the CSRF token of the request that rendered it. It is stored as a placeholder and
replaced with the current request's token when served, so no visitor ever receives another visitor's token.

A key of None renders the block afresh (for data that has nothing cheap to key on).

`FRAGMENT_CACHE_SIZE` sets the entries per process; 0 renders every block every time.
"""

from flask import has_request_context, request
from flask_wtf.csrf import generate_csrf
from jinja2 import nodes
from jinja2.ext import Extension
from markupsafe import Markup

from lms.memo import LRUCache
from lms.request_cache import memoised
from lms.templating import user_timezone

CSRF_PLACEHOLDER = "\ue000csrf-token\ue000"  # a private-use character never appears in escaped output
_CSRF_FIELD = 'name="csrf_token"'


class FragmentCache(Extension):
    tags = {"cache"}

    def __init__(self, environment):
        super().__init__(environment)
        environment.extend(fragment_cache=None)

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        place = nodes.Const(f"{parser.name}:{lineno}")
        key = parser.parse_expression()
        body = parser.parse_statements(("name:endcache",), drop_needle=True)
        return nodes.CallBlock(self.call_method("_fragment", [place, key]), [], [], body).set_lineno(lineno)

    def _fragment(self, place, key, caller):
        cache = self.environment.fragment_cache
        if cache is None or key is None or not has_request_context():  # e-mails from cron: no viewer to key on
            return caller()
        key = (place, memoised(("fragment-context",), _render_context), key)
        stored = cache.get(key)
        if stored is None:
            html = str(caller())
            cache.put(key, html.replace(_csrf_token(), CSRF_PLACEHOLDER) if _CSRF_FIELD in html else html)
            return Markup(html)
        if CSRF_PLACEHOLDER in stored:
            stored = stored.replace(CSRF_PLACEHOLDER, _csrf_token())
        return Markup(stored)


def _csrf_token():
    """This request's token, asked of Flask-WTF once per request rather than once per cached form. Only
    blocks that hold a form ask: asking gives a visitor without a session one."""
    return memoised(("csrf-token",), generate_csrf)


def _render_context():
    return request.script_root, user_timezone().key


def init_app(app):
    app.jinja_env.add_extension(FragmentCache)
    size = app.config.get("FRAGMENT_CACHE_SIZE", 0)
    app.jinja_env.fragment_cache = LRUCache(size) if size else None
