"""Account forms. Every POST, one-button ones included, goes through a FlaskForm for CSRF."""

from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
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
from lms.text_rules import HEADING_FILTERS, no_control_characters, visible

MIN_PASSWORD = 10
PASSWORD_LENGTH = Length(min=MIN_PASSWORD, max=1000, message=f"Use at least {MIN_PASSWORD} characters (and at most 1000).")


TIMEZONES = sorted(available_timezones() | {"UTC"})


def _http_url_only(form, field):
    # WTForms' URL() accepts any scheme (javascript://host/%0a...); a profile link is a web page.
    if field.data and not field.data.lower().startswith(("http://", "https://")):
        raise ValidationError("Enter a web address starting with https:// (or http://).")


class LoginForm(FlaskForm):
    email = EmailField("E-mail", filters=[trimmed], validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1000)])
    remember = BooleanField("Keep me logged in on this device")


class RegisterForm(FlaskForm):
    display_name = StringField(
        "Display name", filters=HEADING_FILTERS,
        validators=[DataRequired(), Length(max=80), no_control_characters, visible],
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


class ConfirmRegistrationForm(FlaskForm):
    """The button that creates the account from a sign-up link. app.js puts the browser's time zone in
    `timezone`; an unknown or missing one leaves the account on UTC rather than refusing it."""

    timezone = HiddenField()

    @property
    def known_timezone(self):
        return self.timezone.data if self.timezone.data in TIMEZONES else None


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


class DeleteAccountForm(FlaskForm):
    current_password = PasswordField("Your password, to confirm", validators=[DataRequired(), Length(max=1000)])


class ProfileForm(FlaskForm):
    display_name = StringField(
        "Display name", filters=HEADING_FILTERS,
        validators=[DataRequired(), Length(max=80), no_control_characters, visible],
    )  # fmt: skip
    headline = StringField(
        "Headline", filters=HEADING_FILTERS, validators=[Optional(), Length(max=120), no_control_characters],
        description='One line about your work, e.g. "Freelance React developer, Berlin".',
    )  # fmt: skip
    bio = TextAreaField("About you", validators=[Optional(), Length(max=2000)])
    skills = StringField(
        "Skills", filters=HEADING_FILTERS, validators=[Optional(), Length(max=300), no_control_characters],
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
