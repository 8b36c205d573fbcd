"""The signed CSRF token of a session, signed once per app process rather than on every request.

Flask-WTF signs the session's raw token on each request that shows a form: a fresh serializer, a derived key,
JSON, zlib and an HMAC, a tenth of a logged-in page that shows only the layout. With WTF_CSRF_TIME_LIMIT None
(lms/config.py) a token carries no expiry, so the token signed for a session's raw token stays valid for as long
as the session keeps that raw token. Each process keeps the tokens it signed in an LRU keyed on the raw token,
and before each view puts the session's one into g.csrf_token, where Flask-WTF looks first: templates
(`csrf_token()`) and the forms a view builds then all carry it. With a time limit configured, every request
signs afresh as before, so no token outlives its limit.

Checking is untouched: CSRFProtect checks every POST against the session's raw token as always.
"""

from flask import current_app, g, session
from flask_wtf.csrf import generate_csrf

from lms.memo import LRUCache

_EXTENSION = "lms.csrf_tokens"
_FIELD = "csrf_token"  # Flask-WTF's default WTF_CSRF_FIELD_NAME, which lms/config.py keeps


def signed_token():
    """What `csrf_token()` returns in templates: the current session's token, signed.

    Within a request it is always the one token Flask-WTF keeps in g.csrf_token, which its forms' hidden fields
    use too: lms/fragments.py swaps that one token for a placeholder in stored fragments, and a form signed
    differently would be stored with this visitor's token in it."""
    signed = g.get(_FIELD)
    if signed is None:
        signed = generate_csrf()  # sets g.csrf_token; gives a session without a token its raw token
    tokens, raw = _tokens(), session.get(_FIELD)
    if tokens is not None and isinstance(raw, str):
        tokens.put(raw, signed)
    return signed


def _tokens():
    """This app's signed tokens by raw token, or None when each request must sign afresh (a time limit)."""
    if current_app.config.get("WTF_CSRF_TIME_LIMIT") is not None:
        return None
    return current_app.extensions.get(_EXTENSION)


def _reuse_signed_token():
    """Before the view: put this session's token, signed earlier, where Flask-WTF looks first (g.csrf_token), so
    the forms the view builds carry it too. A session without a raw token is left alone: a visitor gets no
    session from merely reading a page."""
    tokens, raw = _tokens(), session.get(_FIELD)
    if tokens is not None and isinstance(raw, str):
        signed = tokens.get(raw)
        if signed is not None:
            setattr(g, _FIELD, signed)


def init_app(app):
    # One cache per app: the signature depends on the app's secret key (tests run many apps in one process).
    app.extensions[_EXTENSION] = LRUCache(app.config["CSRF_TOKEN_CACHE_SIZE"])
    app.before_request(_reuse_signed_token)
    # In place of Flask-WTF's generate_csrf, which CSRFProtect offers both ways: as a global and from a context
    # processor. Ours is registered after it (create_app initialises the extensions first), so ours wins.
    app.jinja_env.globals["csrf_token"] = signed_token
    app.context_processor(_template_context)


def _template_context():
    return {"csrf_token": signed_token}
