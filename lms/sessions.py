"""Flask's signed-cookie sessions, with each app process remembering the cookies it has already verified.

A browser sends the same session cookie on every request until the session changes. Flask checks it afresh each
time: a new serializer, a derived key, an HMAC, base64 and tagged JSON, about a sixth of a logged-in page that
renders only the layout. A cookie whose exact text was verified before needs none of that again, only the age
check, which is redone on every request as Flask does it: an expired cookie is refused even when remembered.

Only sessions holding plain values (user, freshness, identifier, CSRF token) are remembered, and each request
gets its own copy: a session with flashed messages, whose list is changed in place, is verified every time.
Writing a session is unchanged. The memo is per app (its secret key signed the cookies) and is an LRU.
"""

import time

from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature

from lms.memo import LRUCache

_PLAIN = (str, int, float, bool, type(None))


class RememberingSessionInterface(SecureCookieSessionInterface):
    def __init__(self, size):
        self.verified = LRUCache(size)  # cookie text -> (session data, when it was signed)

    def open_session(self, app, request):
        value = request.cookies.get(self.get_cookie_name(app))
        if not value or not app.secret_key:
            return super().open_session(app, request)
        max_age = int(app.permanent_session_lifetime.total_seconds())
        remembered = self.verified.get(value)
        if remembered is not None:
            data, signed_at = remembered
            if 0 <= time.time() - signed_at <= max_age:
                return self.session_class(data)
            return self.session_class()  # expired, as itsdangerous would have said
        try:
            data, signed_at = self.get_signing_serializer(app).loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if all(isinstance(item, _PLAIN) for item in data.values()):
            self.verified.put(value, (dict(data), signed_at.timestamp()))
        return self.session_class(data)


def init_app(app):
    app.session_interface = RememberingSessionInterface(app.config["VERIFIED_SESSIONS_SIZE"])
