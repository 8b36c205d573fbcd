"""Friendly error pages inside the layout; no traceback ever reaches a user."""

from urllib.parse import urlsplit

from flask import g, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from lms.extensions import db, login_manager
from lms.templating import size_label
from lms.urls import safe_next

MESSAGES = {
    400: ("Bad request", "Something in that request did not make sense. Please go back and try again."),
    403: ("Not allowed", "You do not have access to this page."),
    404: ("Page not found", "We could not find that page. It may have moved or never existed."),
    405: ("Not allowed here", "That action is not available on this address."),
    409: ("Changed at the same time", "Someone else changed this at the same moment. Please reload and try again."),
    413: ("File too large", "That upload is larger than we accept. Please choose a smaller file."),
    429: ("Too many attempts", "You have tried that too often. Please wait a few minutes and try again."),
    500: ("Something went wrong", "An unexpected error happened on our side. Nothing you saved is lost."),
    503: ("Temporarily unavailable", "We cannot reach our database right now. Please try again in a minute."),
}


def render_error(code, message=None, **context):
    title, default = MESSAGES.get(code, MESSAGES[500])
    if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
        return {"error": title, "message": message or default}, code
    return render_template("errors/error.html", code=code, title=title, message=message or default, **context), code


# Fields never shown back: the token itself, secrets, and where to go next.
_NOT_TYPED = ("csrf_token", "next")
# Parts of the names of the site's password fields (password, confirm, current_password, an enrolment key): a
# passphrase has spaces and looks like typed text, but a secret is never shown back on a page.
_SECRET_NAMES = ("password", "confirm", "key", "token")


def typed_text():
    """(label, value) of the texts a refused form carried, so a sender can copy them before trying again.

    Which fields a person wrote is not known here; a value with a space in it, or a long one, is text (titles,
    posts, reasons), while choices and ids are single short words and stay out."""
    kept = []
    for name, value in request.form.items(multi=True):
        if name in _NOT_TYPED or any(part in name for part in _SECRET_NAMES) or not value.strip():
            continue
        if any(ch.isspace() for ch in value.strip()) or len(value) > 24:
            kept.append((name.replace("_", " ").capitalize(), value))
    return kept


def form_page():
    """The page the refused form was on: the same-site page that sent it, else this address when it has one."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host:
        page = referrer.path + (f"?{referrer.query}" if referrer.query else "")
        if safe_next(page, "main.index") == page:  # a path of this site only ("//elsewhere" is not one)
            return page
    if request.url_rule is not None and "GET" in request.url_rule.methods:
        return request.full_path.rstrip("?")
    return None


# Forms a visitor sends: nobody was logged out from them.
_VISITOR_FORMS = {"auth.login", "auth.register", "auth.confirm_registration", "auth.reset_request",
                  "auth.reset_password"}  # fmt: skip


def _csrf_refused():
    """A form whose token no longer matches the session: most often the sender logged out or in (in another tab,
    or the session ended) after opening it. Say so, offer the way back, and give back what they wrote: going
    back and sending again would only be refused again, and reloading loses the text."""
    page = form_page()
    # Only a form from one of our own pages gets its text back: another site's form would put its words on ours.
    origin = urlsplit(request.headers.get("Origin") or "")
    own_form = (request.headers.get("Sec-Fetch-Site", "same-origin") == "same-origin"
                and (not origin.netloc or origin.netloc == request.host))  # fmt: skip
    if current_user.is_authenticated:
        message = ("This form was opened before you last logged in or out (perhaps in another tab), or it came "
                   "from another site, so nothing was saved. Open the page again and send it from there.")
        action = (page, "Open the page again") if page else None
    elif request.endpoint in _VISITOR_FORMS:
        message = "Your form expired or was sent from elsewhere, so nothing was saved. Open the page again."
        action = (page, "Open the page again") if page else None
    else:
        message = ("Your form expired: you were logged out before this form was sent (in another tab, or your "
                   "session ended), so nothing was saved. Log in again and send it from the page once more.")
        action = (url_for("auth.login", next=page) if page else url_for("auth.login"), "Log in again")
    return render_error(400, message, kept=typed_text() if own_form else [], action=action)


def init_app(app):
    @app.errorhandler(HTTPException)
    def handle_http_error(error):
        code = error.code or 500
        description = None
        # Our own abort(code, "message") texts are shown; Werkzeug's generic English defaults are not.
        if code in (400, 403, 429) and error.description and error.description != type(error).description:
            description = error.description
        elif code == 413 and app.config.get("MAX_CONTENT_LENGTH"):
            description = (f"That upload is larger than the {size_label(app.config['MAX_CONTENT_LENGTH'])} we accept. "
                           "Go back to the form (your browser usually keeps what you typed) and choose a smaller file.")
        body, status = render_error(code if code in MESSAGES else 500, description)
        # A 405 names the methods the address does take (HTTP requires it; Werkzeug's own page sent it).
        allowed = getattr(error, "valid_methods", None)
        return body, status, {"Allow": ", ".join(sorted(allowed))} if allowed else {}

    @app.errorhandler(CSRFError)
    def handle_csrf_error(error):
        return _csrf_refused()

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    def handle_database_down(error):
        db.session.rollback()
        app.logger.error("Database error: %s", error.__class__.__name__)
        # The layout would look the user up again (and fail again): render it as for a visitor.
        g._login_user = login_manager.anonymous_user()
        return render_error(503)

    # More specific than DBAPIError: the database answered, it refused this input or this write.
    @app.errorhandler(DataError)
    def handle_unstorable_input(error):
        db.session.rollback()
        app.logger.warning("Refused input: %s", error.__class__.__name__)
        return render_error(400, "Something in that input cannot be stored. Please check it and try again.")

    @app.errorhandler(IntegrityError)
    def handle_conflicting_write(error):
        db.session.rollback()
        app.logger.warning("Conflicting write: %s", error.__class__.__name__)
        return render_error(409)

    @app.errorhandler(InternalServerError)
    def handle_internal_error(error):
        db.session.rollback()
        return render_error(500)
