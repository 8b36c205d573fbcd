"""studio views."""

from flask import Blueprint

bp = Blueprint("studio", __name__)
