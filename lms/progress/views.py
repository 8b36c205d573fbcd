"""progress views."""

from flask import Blueprint

bp = Blueprint("progress", __name__)
