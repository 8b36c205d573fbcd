"""Account forms. Every POST, one-button ones included, goes through a FlaskForm for CSRF."""

import re
import unicodedata
from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import (
    URL,
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from lms.models.user import EMAIL_PREFERENCES
from lms.security import trimmed

MIN_PASSWORD = 10
PASSWORD_LENGTH = Length(min=MIN_PASSWORD, max=1000, message=f"Use at least {MIN_PASSWORD} characters (and at most 1000).")


TIMEZONES = sorted(available_timezones() | {"UTC"})


def _http_url_only(form, field):
    # WTForms' URL() accepts any scheme (javascript://host/%0a...); a profile link is a web page.
    if field.data and not field.data.lower().startswith(("http://", "https://")):
        raise ValidationError("Enter a web address starting with https:// (or http://).")


def _no_control_characters(form, field):
    if field.data and any(ord(ch) < 32 and ch not in "\r\n\t" for ch in field.data):
        raise ValidationError("Please remove control characters.")


# Marks, embeddings, overrides and isolates that change the direction of the text: in a name or headline they
# would reverse the words shown around it (a greeting, "X replied to you"). Right-to-left names show rightly
# without them, and they mostly come along with pasted text, so they are dropped rather than refused.
_DIRECTION_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Letters that draw as blank space (Hangul fillers, the blank Braille pattern).
_BLANK_LETTERS = frozenset("\u115f\u1160\u2800\u3164\uffa0")


def _without_direction_controls(value):
    return _DIRECTION_CONTROLS.sub("", value) if isinstance(value, str) else value


def _shows_something(ch):
    # Separators (Z*), control and format characters (C*: zero-width spaces, soft hyphens...) and marks that only
    # combine with a letter (M*) show nothing on their own.
    return unicodedata.category(ch)[0] not in "ZCM" and ch not in _BLANK_LETTERS


def _visible(form, field):
    if field.data and not any(_shows_something(ch) for ch in field.data):
        raise ValidationError("Please use at least one visible letter, digit or sign.")


# A display name is shown on its own (greetings, certificate headings) and inside other text (notifications).
NAME_FILTERS = [_without_direction_controls, trimmed]


class LoginForm(FlaskForm):
    email = EmailField("E-mail", filters=[trimmed], validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1000)])
    remember = BooleanField("Keep me logged in on this device")


class RegisterForm(FlaskForm):
    display_name = StringField(
        "Display name", filters=NAME_FILTERS,
        validators=[DataRequired(), Length(max=80), _no_control_characters, _visible],
        description="Shown to peers in discussions. You can change it later.",
    )  # fmt: skip
    email = EmailField("E-mail", filters=[trimmed], validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(
        "Password", validators=[DataRequired(), PASSWORD_LENGTH],
        description=f"At least {MIN_PASSWORD} characters. A passphrase is easiest to remember.",
    )  # fmt: skip
    confirm = PasswordField(
        "Repeat password", validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")]
    )


class ResetRequestForm(FlaskForm):
    email = EmailField("E-mail", filters=[trimmed], validators=[DataRequired(), Email(), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        "New password", validators=[DataRequired(), PASSWORD_LENGTH],
        description=f"At least {MIN_PASSWORD} characters.",
    )  # fmt: skip
    confirm = PasswordField(
        "Repeat new password", validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")]
    )


class ChangePasswordForm(ResetPasswordForm):
    current_password = PasswordField("Current password", validators=[DataRequired(), Length(max=1000)])


class ProfileForm(FlaskForm):
    display_name = StringField(
        "Display name", filters=NAME_FILTERS,
        validators=[DataRequired(), Length(max=80), _no_control_characters, _visible],
    )  # fmt: skip
    headline = StringField(
        "Headline", filters=NAME_FILTERS, validators=[Optional(), Length(max=120), _no_control_characters],
        description='One line about your work, e.g. "Freelance React developer, Berlin".',
    )  # fmt: skip
    bio = TextAreaField("About you", validators=[Optional(), Length(max=2000)])
    skills = StringField(
        "Skills", validators=[Optional(), Length(max=300), _no_control_characters],
        description="Comma-separated, e.g. negotiation, client communication.",
    )  # fmt: skip
    timezone = SelectField("Time zone", choices=[(tz, tz) for tz in TIMEZONES], default="UTC")
    website = StringField(
        "Website or LinkedIn", filters=[trimmed],
        validators=[Optional(), Length(max=300), URL(require_tld=True), _http_url_only],
        description="Shown only to peers you have connected with.",
    )  # fmt: skip
    profile_visible = BooleanField(
        "Show me in course people lists so peers can find and connect with me",
        description="Off: other learners see only your name on your profile, and only you can start a connection.",
    )  # fmt: skip
    weekly_goal_minutes = IntegerField(
        "Weekly learning goal (minutes)", default=60,
        # InputRequired, not DataRequired: 0 is an answer, to be told the range rather than "required".
        validators=[InputRequired(message="Enter your weekly goal in minutes."),
                    NumberRange(min=5, max=3000, message="Choose between 5 and 3000 minutes.")],
    )  # fmt: skip
    email_preference = SelectField(
        "E-mail me about replies and mentions",
        choices=[(p, {"immediately": "Immediately", "daily": "Daily digest", "weekly": "Weekly digest",
                      "never": "Never"}[p]) for p in EMAIL_PREFERENCES],
    )  # fmt: skip


class ButtonForm(FlaskForm):
    """A one-button POST (logout, approve, delete): only the CSRF token."""
