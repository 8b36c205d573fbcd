"""The studio blueprint object, shared by every studio view module."""

from flask import Blueprint

bp = Blueprint("studio", __name__)
