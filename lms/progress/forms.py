"""Progress forms: the weekly goal and the time-spent heartbeat (a POST like any other, with CSRF)."""

from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import DataRequired, InputRequired, NumberRange

from lms.security import MAX_ID


class GoalForm(FlaskForm):
    weekly_goal_minutes = IntegerField(
        "Minutes per week", validators=[InputRequired(message="Enter your goal in minutes."),
                                        NumberRange(min=5, max=3000, message="Choose between 5 and 3000 minutes.")],
    )  # fmt: skip


class HeartbeatForm(FlaskForm):
    lesson_id = IntegerField(validators=[DataRequired(), NumberRange(min=1, max=MAX_ID)])  # an id the database can hold
    seconds = IntegerField(validators=[InputRequired(), NumberRange(min=0, max=3600)])
