"""Discussion forms: threads, replies, edits, reports and moderation reasons."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from lms.content import images_shown
from lms.discussion.services import MAX_BODY, MAX_TITLE
from lms.security import trimmed
from lms.text_rules import HEADING_FILTERS, no_control_characters, visible, without_direction_controls

BODY_HELP = (
    "Markdown works: **bold**, lists, > quotes, `code`. "
    'Mention a course member with @Name (no spaces) or @"Full Name".'
)
ANONYMOUS_HELP = (
    "Other learners see “Anonymous peer”; course staff still see your name. Telling a client story? "
    "Leave out names and details that would identify the client."
)


def _body_field(label="Your post"):
    return TextAreaField(
        label, filters=[trimmed], description=BODY_HELP,
        validators=[DataRequired("Please write something first."),
                    Length(max=MAX_BODY, message=f"Please keep it under {MAX_BODY:,} characters."),
                    no_control_characters, images_shown],
    )  # fmt: skip


def _thread_title(label, missing):
    """A thread's title, by the same rules whether its author writes it or staff replace it."""
    return StringField(
        label, filters=HEADING_FILTERS,
        validators=[DataRequired(missing),
                    Length(max=MAX_TITLE, message=f"Please keep the title under {MAX_TITLE} characters."),
                    no_control_characters, visible],
    )  # fmt: skip


class ThreadForm(FlaskForm):
    title = _thread_title("Title", "Please give your thread a title.")
    kind = RadioField(
        "Type",
        choices=[("discussion", "Discussion — share and compare"), ("question", "Question — looking for an answer")],
        default="discussion",
    )  # fmt: skip
    lesson_id = SelectField("Lesson", coerce=int, default=0, description="Optional: attach the thread to one lesson.")
    body = _body_field()
    anonymous = BooleanField("Post anonymously to peers", description=ANONYMOUS_HELP)

    def set_lessons(self, lessons):
        self.lesson_id.choices = [(0, "General (whole course)")] + [(lesson.id, lesson.title) for lesson in lessons]


class ReplyForm(FlaskForm):
    body = _body_field("Your reply")
    quoted_post_id = HiddenField(validators=[Optional()])
    anonymous = BooleanField("Reply anonymously to peers", description=ANONYMOUS_HELP)


class EditPostForm(FlaskForm):
    title = StringField(
        "Title", filters=HEADING_FILTERS,
        validators=[Optional(), Length(max=MAX_TITLE, message=f"Please keep the title under {MAX_TITLE} characters."),
                    no_control_characters, visible],
    )  # fmt: skip
    body = _body_field()


# A reason or report is shown inside other text ("This thread is locked: <reason>", notifications, the report
# queue), so it loses direction controls as titles do.
REASON_FILTERS = [without_direction_controls, trimmed]


class ReasonForm(FlaskForm):
    reason = StringField(
        "Reason", filters=REASON_FILTERS,
        validators=[DataRequired("Please say why — the author and readers will see it."),
                    Length(max=300, message="Please keep the reason under 300 characters."), no_control_characters],
    )  # fmt: skip


class RenameForm(ReasonForm):
    """Staff replace a thread's title (an abusive one, say): the board and the heading show the new one."""

    title = _thread_title("New title", "Please give the thread a title.")


class ReportForm(FlaskForm):
    reason = TextAreaField(
        "What is wrong with this post?", filters=REASON_FILTERS,
        description="Only course staff see your report.",
        validators=[DataRequired("Please tell the moderators what is wrong."),
                    Length(max=500, message="Please keep it under 500 characters."), no_control_characters],
    )  # fmt: skip


class MoveForm(FlaskForm):
    lesson_id = SelectField("Move to", coerce=int, default=0)

    def set_lessons(self, lessons):
        self.lesson_id.choices = [(0, "General board (no lesson)")] + [(lesson.id, lesson.title) for lesson in lessons]


class ResolveForm(FlaskForm):
    resolution = StringField("Note (optional)", filters=REASON_FILTERS, validators=[Optional(), Length(max=300)])
