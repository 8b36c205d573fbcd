"""Answers memoised for the current request only.

A page asks the same question ("is this user staff here?", "how far is this learner?") from the view, the
services and the templates; each would otherwise be a query. Nothing outlives the request.
"""

from flask import has_request_context, request

_MISSING = object()
_KEY = "lms.request_cache"


def memoised(key, compute):
    if not has_request_context():
        return compute()
    cache = request.environ.setdefault(_KEY, {})
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = cache[key] = compute()
    return value


def forget():
    """Call before a change that would make a memoised answer wrong later in the same request."""
    if has_request_context():
        request.environ.pop(_KEY, None)
