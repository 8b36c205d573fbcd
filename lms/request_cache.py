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


def remember(key, value):
    """Store an answer the request already has (read along with something else), for memoised to return."""
    if has_request_context():
        request.environ.setdefault(_KEY, {})[key] = value


def forget(*kinds):
    """Call before a change that would make a memoised answer wrong later in the same request.

    With kinds (the first item of the keys, e.g. "percentages"), only those answers go."""
    if not has_request_context():
        return
    if not kinds:
        request.environ.pop(_KEY, None)
        return
    cache = request.environ.get(_KEY, {})
    for key in [k for k in cache if k[0] in kinds]:
        del cache[key]
