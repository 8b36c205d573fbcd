"""Security headers on every response, and input that no database can store made harmless at the door."""

import re

from flask import Request, abort, request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter

# Scripts only from our own static files; video frames only from the allow-listed embed hosts.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "media-src 'self'; frame-src https://www.youtube-nocookie.com https://player.vimeo.com; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# Every id column is a 32-bit integer on PostgreSQL: a larger id in a URL is simply not found.
MAX_ID = 2**31 - 1
# Whitespace, and the invisible characters that str.strip() keeps (zero-width spaces and joiners, word joiner,
# byte-order mark): a title or post of only these would show as nothing.
_BLANK_ENDS = re.compile(r"^[\s\u200b-\u200d\u2060\ufeff]+|[\s\u200b-\u200d\u2060\ufeff]+$")


def trimmed(value):
    """A form filter: text without blank or invisible characters at either end (other values as they are)."""
    return _BLANK_ENDS.sub("", value) if isinstance(value, str) else value


def whole_number(value, default=None, upper=MAX_ID):
    """`value` (text from a form or a URL) as a whole number from 1 to `upper`, else `default`. Page numbers and
    ids reach the database, where a number beyond MAX_ID would overflow the integer columns instead of matching
    nothing; zero and negative numbers are no page or id either."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if 1 <= number <= upper else default


def query_int(name, default=None):
    """The query argument `name` as a page number or id (see whole_number), else `default`."""
    return whole_number(request.args.get(name), default)


class BoundedIntegerConverter(IntegerConverter):
    """<int:...> that refuses (404) numbers no row can have, instead of an out-of-range database error."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def _without_nul(multidict):
    if not any(isinstance(value, str) and "\x00" in value for _, value in multidict.items(multi=True)):
        return multidict
    # PostgreSQL refuses NUL in text; no form here has a use for it, so it is dropped in one place.
    return ImmutableMultiDict(
        (key, value.replace("\x00", "") if isinstance(value, str) else value)
        for key, value in multidict.items(multi=True)
    )


class CleanRequest(Request):
    """Form fields and query arguments without NUL characters."""

    def _load_form_data(self):
        super()._load_form_data()
        self.__dict__["form"] = _without_nul(self.__dict__["form"])

    @property
    def args(self):
        cached = self.__dict__.get("_clean_args")
        if cached is None:
            cached = self.__dict__["_clean_args"] = _without_nul(super().args)
        return cached


def install_converters(app):
    """Call before any blueprint is registered: rules pick their converters when they are added."""
    app.url_map.converters["int"] = BoundedIntegerConverter


def init_app(app):
    app.request_class = CleanRequest

    @app.before_request
    def refuse_nul_in_path():
        if "\x00" in request.path:
            abort(404)

    @app.after_request
    def set_security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
