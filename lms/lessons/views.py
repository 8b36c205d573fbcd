"""lessons views."""

from flask import Blueprint

bp = Blueprint("lessons", __name__)
