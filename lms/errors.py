"""Friendly error pages inside the layout; no traceback ever reaches a user."""

from flask import g, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from lms.extensions import db, login_manager
from lms.templating import size_label

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


def render_error(code, message=None):
    title, default = MESSAGES.get(code, MESSAGES[500])
    if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
        return {"error": title, "message": message or default}, code
    return render_template("errors/error.html", code=code, title=title, message=message or default), code


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
        return render_error(code if code in MESSAGES else 500, description)

    @app.errorhandler(CSRFError)
    def handle_csrf_error(error):
        return render_error(400, "Your form expired or was sent from elsewhere. Please reload the page and try again.")

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
