"""url_for for templates, from a memo of each route's shape.

Werkzeug builds a URL by finding the endpoint's rule and running every value through its converter: about
15 microseconds a call on our 2-core machines, and a thread page has 200 links (18% of its time). The shape of
a URL only depends on the endpoint and the names of the values given, so it is built once with placeholder
values and later filled in by string replacement. Only values that neither a converter nor the query-string
encoding would change (non-negative ints, slug-like strings and paths such as static file names) take this
path; anything else, and any special argument (_anchor, _external, ...), goes to Flask's url_for unchanged.
tests/test_url_shapes.py checks the two agree on every route.
"""

import re

from flask import current_app, has_request_context, request
from flask import url_for as flask_url_for
from werkzeug.routing import IntegerConverter, PathConverter, UnicodeConverter

_PLAIN = re.compile(r"[A-Za-z0-9_.~/-]+\Z")  # characters every converter and the query encoding keep as they are
_INT_PLACEHOLDER = 1_987_650_000  # below 2**31: the id converter refuses larger numbers
_NOT_BUILT = object()


def _is_plain(value):
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value >= 0
    return isinstance(value, str) and _PLAIN.match(value) is not None


def _shape(endpoint, names):
    """(url with placeholders, [(placeholder, name)]), or None when this endpoint is not simple enough."""
    rules = current_app.url_map._rules_by_endpoint.get(endpoint, [])
    if len(rules) != 1 or rules[0].defaults:
        return None  # Werkzeug chooses between rules (or drops defaults) by the values: leave that to it
    converters = rules[0]._converters
    placeholders, values = [], {}
    for i, name in enumerate(names):
        converter = converters.get(name)
        if isinstance(converter, IntegerConverter):
            token = str(_INT_PLACEHOLDER + i)
            values[name] = int(token)
        elif converter is None or type(converter) in (UnicodeConverter, PathConverter):  # query, segment, path
            token = values[name] = f"zqx{i}xqz"
        else:
            return None  # e.g. any(hide,unhide): only some values are valid
        placeholders.append((token, name))
    url = flask_url_for(endpoint, **values)
    if any(url.count(token) != 1 for token, _ in placeholders):
        return None
    return url, placeholders


def fast_url_for(endpoint, **values):
    if None in values.values():  # Werkzeug leaves None values out (e.g. jump=None): so does the shape
        values = {name: value for name, value in values.items() if value is not None}
    if (not has_request_context() or endpoint.startswith(".")
            or any(name.startswith("_") for name in values)
            or not all(_is_plain(value) for value in values.values())):  # fmt: skip
        return flask_url_for(endpoint, **values)  # e-mails rendered by cron jobs have no request: absolute URLs
    names = tuple(values)  # in the order given: query arguments keep it
    shapes = current_app.extensions.setdefault("lms.url_shapes", {})
    key = (request.script_root, endpoint, names)
    shape = shapes.get(key, _NOT_BUILT)
    if shape is _NOT_BUILT:
        shape = shapes[key] = _shape(endpoint, names)
    if shape is None:
        return flask_url_for(endpoint, **values)
    url, placeholders = shape
    for token, name in placeholders:
        url = url.replace(token, str(values[name]), 1)
    return url
