"""Forms of the peers feature. Every POST, one-button ones included, goes through a FlaskForm (CSRF)."""

from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from lms.auth.forms import ButtonForm  # noqa: F401  (re-exported for the peers views)
from lms.content import images_shown
from lms.security import trimmed
from lms.text_rules import HEADING_FILTERS, visible, without_direction_controls

MAX_TEXT = 20000


class CriterionForm(Form):
    """One rubric row, nested in AssignmentForm (which carries the CSRF token)."""

    title = StringField("Criterion", filters=HEADING_FILTERS, validators=[Optional(), Length(max=120)])
    level_1 = StringField("1 — needs work", filters=[trimmed], validators=[Optional(), Length(max=300)])
    level_2 = StringField("2 — getting there", filters=[trimmed], validators=[Optional(), Length(max=300)])
    level_3 = StringField("3 — good", filters=[trimmed], validators=[Optional(), Length(max=300)])
    level_4 = StringField("4 — excellent", filters=[trimmed], validators=[Optional(), Length(max=300)])

    def is_blank(self):
        return not any((self.title.data, self.level_1.data, self.level_2.data, self.level_3.data, self.level_4.data))


class AssignmentForm(FlaskForm):
    prompt = TextAreaField(
        "Prompt", filters=[trimmed], validators=[DataRequired(), Length(max=MAX_TEXT), images_shown],
        description='Markdown. What should learners practise? E.g. "Write the e-mail you would send a client '
                    'who asks for a 30% discount."',
    )  # fmt: skip
    reviews_required = IntegerField(
        "Peer reviews per response", default=2, validators=[InputRequired(), NumberRange(min=1, max=5)],
        description="Each learner also reviews this many peers before they see their own feedback.",
    )  # fmt: skip
    criteria = FieldList(FormField(CriterionForm), min_entries=5, max_entries=5)

    def validate_criteria(self, field):
        filled = [entry.form for entry in field.entries if not entry.form.is_blank()]
        for entry in filled:
            if not entry.title.data:
                entry.title.errors.append("Give this criterion a title (or clear its descriptions).")
                raise ValidationError("Every filled-in criterion needs a title.")
            if not all((entry.level_1.data, entry.level_2.data, entry.level_3.data, entry.level_4.data)):
                entry.level_1.errors.append("Describe all four levels.")
                raise ValidationError("Describe all four levels of every criterion.")
        if not 2 <= len(filled) <= 5:
            raise ValidationError("A rubric needs 2 to 5 criteria.")

    def criteria_data(self):
        """One entry per row of the editor, None for a cleared row: a row stays in its place (and the criterion
        saved there keeps its id and its scores) when a row above it is cleared."""
        return [
            None if e.form.is_blank() else
            {"title": e.form.title.data, "levels": [e.form.level_1.data, e.form.level_2.data, e.form.level_3.data,
                                                    e.form.level_4.data]}
            for e in self.criteria.entries
        ]  # fmt: skip


class SubmissionForm(FlaskForm):
    body = TextAreaField(
        "Your response", filters=[trimmed], validators=[DataRequired(message="Write your response first."),
                                                       Length(max=MAX_TEXT), images_shown],
        description="Markdown. You can save a draft and come back; once a peer starts reviewing it, it is final.",
    )  # fmt: skip


class ReviewForm(FlaskForm):
    """Scores per criterion are added as criterion_<id> RadioFields by review_form_for()."""

    comment = TextAreaField(
        "Written feedback", filters=[trimmed],
        validators=[DataRequired(message="Write a few sentences of feedback."), Length(min=20, max=MAX_TEXT,
                    message="Write at least 20 characters: what works, and one thing to try next time."), images_shown],
        description="Be specific and kind: what works, and one thing to try next time. The author will not see your name.",
    )  # fmt: skip

    def scores(self, assignment):
        return {c.id: int(getattr(self, f"criterion_{c.id}").data) for c in assignment.criteria}


def review_form_for(assignment, **kwargs):
    class BoundReviewForm(ReviewForm):
        pass

    for criterion in assignment.criteria:
        choices = [(str(level), f"{level} — {text}") for level, text in criterion.levels]
        setattr(BoundReviewForm, f"criterion_{criterion.id}",
                RadioField(criterion.title, choices=choices,
                           validators=[InputRequired(message="Choose a score for this criterion.")]))  # fmt: skip
    form = BoundReviewForm(**kwargs)
    form.criterion_fields = [getattr(form, f"criterion_{c.id}") for c in assignment.criteria]
    return form


class ReplyForm(FlaskForm):
    reply = TextAreaField("Reply to this reviewer (once)", filters=[trimmed],
                          validators=[DataRequired(message="Write your reply first."), Length(max=2000),
                                      images_shown])  # fmt: skip


class HideForm(FlaskForm):
    reason = StringField("Reason for hiding", filters=[without_direction_controls, trimmed],
                         validators=[DataRequired(message="Say why it is hidden."), Length(max=300)])  # fmt: skip


class CourseReviewForm(FlaskForm):
    rating = RadioField(
        "Your rating", choices=[(str(n), f"{n} star{'s' if n > 1 else ''}") for n in range(5, 0, -1)],
        validators=[InputRequired(message="Choose a rating from 1 to 5.")],
    )  # fmt: skip
    text = TextAreaField(
        "Your review", filters=[trimmed], validators=[Optional(), Length(max=2000)],
        description="Optional. What helped you most, and who would you recommend it to?",
    )  # fmt: skip


class InstructorReplyForm(FlaskForm):
    reply = TextAreaField("Public reply", filters=[trimmed], validators=[Optional(), Length(max=2000)])


class WishForm(FlaskForm):
    title = StringField(
        "Course you need", filters=HEADING_FILTERS, validators=[DataRequired(), Length(min=5, max=160), visible],
        description='E.g. "Handling scope creep with agencies".',
    )  # fmt: skip
    why = TextAreaField(
        "Why you need it", filters=[trimmed], validators=[DataRequired(), Length(min=10, max=1000)],
        description="A sentence or two about the situation it would help with.",
    )  # fmt: skip


class WishStatusForm(FlaskForm):
    status = SelectField("Status", choices=[("planned", "Planned"), ("available", "Available as a course")])
    course_id = SelectField("Published course", coerce=int, choices=[], validators=[Optional()], validate_choice=False)
