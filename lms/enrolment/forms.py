"""Enrolment forms: every POST (enrol, withdraw, approve, decline, remove) goes through one for CSRF."""

from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import Length, Optional


class EnrolForm(FlaskForm):
    """Enrol / request to join / join the waitlist; the key is only asked for on key courses."""

    key = PasswordField(
        "Enrolment key", validators=[Optional(), Length(max=200, message="That key is too long.")],
        description="Your instructor gave you this key.",
    )  # fmt: skip

