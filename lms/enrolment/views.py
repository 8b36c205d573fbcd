"""enrolment views."""

from flask import Blueprint

bp = Blueprint("enrolment", __name__)
