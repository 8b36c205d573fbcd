"""peers views."""

from flask import Blueprint

bp = Blueprint("peers", __name__)
