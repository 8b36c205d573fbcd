"""Studio forms. Every POST goes through one of these (CSRF); rules that need the database live in services."""

from datetime import UTC

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import PasswordInput

from lms.content import images_shown
from lms.models.course import ENROLMENT_POLICIES, LEVELS
from lms.security import trimmed
from lms.studio.quiz import MAX_CHOICES
from lms.studio.services import DATE_RANGE_MESSAGE, in_date_range
from lms.templating import user_timezone
from lms.text_rules import HEADING_FILTERS, visible, without_direction_controls


def _lower(value):
    return value.strip().lower() if isinstance(value, str) else value


CAPACITY_MESSAGE = "Enter at least 1, or leave it blank for no limit."


def within_date_range(form, field):
    if not in_date_range(field.data):
        raise ValidationError(DATE_RANGE_MESSAGE)


def not_skipped_by_the_clocks(form, field):
    """A time the clocks skip where the editor is (02:30 on the last Sunday of March in Berlin) was saved as another
    time without a word; it is refused, naming the zone, so they choose the time they mean."""
    if field.data is None or not in_date_range(field.data):
        return
    zone = user_timezone()
    if field.data.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) != field.data:
        raise ValidationError(f"{field.data:%H:%M} on {field.data:%d %b %Y} does not exist in {zone.key}: the clocks "
                              "go forward then. Choose a time after the change.")


class CourseForm(FlaskForm):
    title = StringField("Title", filters=HEADING_FILTERS, validators=[DataRequired(), Length(max=160), visible])
    slug = StringField(
        "URL name", filters=[_lower],
        validators=[Optional(), Length(max=80), Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                                                       message="Use lower-case letters, digits and hyphens.")],
        description="Part of the course address. Leave blank to derive it from the title. Fixed once published.",
    )  # fmt: skip
    summary = StringField(
        "Summary", filters=[trimmed], validators=[Optional(), Length(max=300)],
        description="One or two sentences for the catalog card.",
    )  # fmt: skip
    description = TextAreaField("Description", validators=[Optional(), Length(max=20000), images_shown],
                                description="Markdown: **bold**, lists, links, tables.")  # fmt: skip
    outcomes = TextAreaField("Outcomes", validators=[Optional(), Length(max=3000)],
                             description="What learners will be able to do, one per line.")  # fmt: skip
    level = SelectField("Level", choices=[(level, level.capitalize()) for level in LEVELS])
    skills = StringField(
        "Skills", filters=HEADING_FILTERS, validators=[Optional(), Length(max=300)],
        description='Comma-separated, e.g. "negotiation, client communication".',
    )  # fmt: skip
    cover_image = FileField("Cover image", description="PNG, JPEG, GIF or WebP.")
    cover_alt = StringField(
        "Cover description (alt text)", filters=[trimmed], validators=[Optional(), Length(max=300)],
        description="What the image shows, for people who cannot see it. Required with a cover.",
    )  # fmt: skip
    remove_cover = BooleanField("Remove the current cover image")
    enrolment_policy = SelectField(
        "Enrolment", choices=[("open", "Open: anyone can enrol"), ("key", "With an enrolment key"),
                              ("approval", "On approval by staff")],
    )  # fmt: skip
    # Trimmed like the key a learner types (the enrolment check strips it): a key saved with a space at
    # either end could never be matched. A refused form shows the key as typed (hide_value=False), so it need
    # not be typed again; on a fresh form the field is empty, as only a hash of the key is stored.
    enrolment_key = PasswordField(
        "Enrolment key", filters=[trimmed], validators=[Optional(), Length(min=4, max=100)],
        widget=PasswordInput(hide_value=False),
        description="Only for enrolment with a key. Leave blank to keep the current key.",
    )  # fmt: skip
    capacity = IntegerField(
        "Capacity", description="Maximum active learners; blank for no limit.",
        validators=[Optional(), NumberRange(min=1, max=100000, message=CAPACITY_MESSAGE)],
    )  # fmt: skip
    enrol_opens_at = DateTimeLocalField("Enrolment opens",
                                        validators=[Optional(), within_date_range, not_skipped_by_the_clocks],
                                        format="%Y-%m-%dT%H:%M",
                                        description="Optional, in your time zone.")  # fmt: skip
    enrol_closes_at = DateTimeLocalField("Enrolment closes",
                                         validators=[Optional(), within_date_range, not_skipped_by_the_clocks],
                                         format="%Y-%m-%dT%H:%M",
                                         description="Optional, in your time zone.")  # fmt: skip

    def validate_enrol_closes_at(self, field):
        if field.data and self.enrol_opens_at.data and field.data <= self.enrol_opens_at.data:
            raise ValidationError("Enrolment must close after it opens.")

    def validate_enrolment_policy(self, field):
        if field.data not in ENROLMENT_POLICIES:
            raise ValidationError("Choose an enrolment policy.")


class StatusForm(FlaskForm):
    status = HiddenField(validators=[DataRequired()])


class StaffForm(FlaskForm):
    email = EmailField("E-mail of the co-instructor", filters=[trimmed],
                       validators=[DataRequired(), Email(), Length(max=254)])  # fmt: skip


class ModuleForm(FlaskForm):
    title = StringField("Title", filters=HEADING_FILTERS, validators=[DataRequired(), Length(max=160), visible])
    summary = TextAreaField("Summary", filters=[trimmed], validators=[Optional(), Length(max=500)])
    drip_days = IntegerField(
        "Opens this many days after enrolment", validators=[Optional(), NumberRange(min=0, max=3650)],
        description="Leave blank (and the date too) to open the module at enrolment.",
    )  # fmt: skip
    opens_on = DateField("Or opens on this date", validators=[Optional(), within_date_range])
    requires_previous = BooleanField("Learners must complete the previous module first")

    def validate_opens_on(self, field):
        if field.data and self.drip_days.data is not None:
            raise ValidationError("Choose either days after enrolment or a date, not both.")


class LessonForm(FlaskForm):
    title = StringField("Title", filters=HEADING_FILTERS, validators=[DataRequired(), Length(max=160), visible])
    module_id = SelectField("Module", coerce=int)
    body = TextAreaField("Lesson text", validators=[Optional(), Length(max=100000), images_shown],
                         description="Markdown: headings, lists, links, tables, ``` code blocks ```.")  # fmt: skip
    minutes_authored = IntegerField(
        "Estimated minutes", validators=[Optional(), NumberRange(min=1, max=600)],
        description="Leave blank to estimate from the text (about 200 words a minute) plus the video.",
    )  # fmt: skip
    video_file = FileField("Upload a video", description="MP4 or WebM.")
    video_embed = StringField(
        "Or embed a video link", filters=[trimmed], validators=[Optional(), Length(max=300)],
        description="A YouTube or Vimeo link; a start time in it (…?t=90 or #t=1m30s) is kept. Other sites cannot be "
                    "embedded.",
    )  # fmt: skip
    remove_video = BooleanField("Remove the current video")
    video_minutes = IntegerField("Video length (minutes)", validators=[Optional(), NumberRange(min=0, max=600)])
    is_preview = BooleanField(
        "Free preview: anyone can read this lesson from the catalog",
        description="A free preview never locks, for enrolled learners either: drip dates and prerequisites skip it.",
    )  # fmt: skip
    requires_previous = BooleanField("Learners must complete the previous lesson first")


# A prompt is followed by "(choose all that apply)", a choice's feedback by the site's result text: like titles,
# they lose direction controls, which would turn those words round.
QUIZ_TEXT_FILTERS = [without_direction_controls, trimmed]


class ChoiceForm(FlaskForm):
    class Meta:
        csrf = False  # part of QuestionForm, which carries the token

    text = StringField("Choice", filters=QUIZ_TEXT_FILTERS, validators=[Optional(), Length(max=500)])
    is_correct = BooleanField("Correct")
    feedback = StringField("Feedback when chosen", filters=QUIZ_TEXT_FILTERS,
                           validators=[Optional(), Length(max=1000)])  # fmt: skip


class QuestionForm(FlaskForm):
    prompt = TextAreaField("Question", filters=QUIZ_TEXT_FILTERS, validators=[DataRequired(), Length(max=1000)])
    kind = SelectField("Answer type", choices=[("single", "One correct choice"),
                                               ("multiple", "Several correct choices")])  # fmt: skip
    choices = FieldList(FormField(ChoiceForm), min_entries=5, max_entries=MAX_CHOICES)


def question_form_for(question=None, **kwargs):
    """QuestionForm with a row for every choice the question has. One stored before the limit (or imported
    then) may have more than MAX_CHOICES: its editor shows them all, so none is dropped unseen on save."""
    count = len(question.choices) if question is not None else 0
    if count <= MAX_CHOICES:
        return QuestionForm(**kwargs)

    class RoomyQuestionForm(QuestionForm):
        choices = FieldList(FormField(ChoiceForm), min_entries=5, max_entries=count)

    return RoomyQuestionForm(**kwargs)


class PassMarkForm(FlaskForm):
    pass_mark = IntegerField(
        "Pass mark (%)", validators=[Optional(), NumberRange(min=0, max=100)],
        description="The lesson counts as complete only when a learner scores at least this. Blank: no check.",
    )  # fmt: skip


class MoveForm(FlaskForm):
    direction = HiddenField(validators=[DataRequired()])

    def validate_direction(self, field):
        if field.data not in ("up", "down"):
            raise ValidationError("Move up or down.")


class ReorderForm(FlaskForm):
    order = HiddenField(validators=[DataRequired(), Length(max=100000)])


class AttachmentForm(FlaskForm):
    file = FileField("Attach a file", description="PDF, slides, worksheets (Office/OpenDocument) or images.")


class ImportForm(FlaskForm):
    archive = FileField("Course archive (.zip)")
