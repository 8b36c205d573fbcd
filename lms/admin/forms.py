from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import DataRequired


class RoleForm(FlaskForm):
    role = SelectField(
        "Role",
        choices=[("learner", "Learner"), ("instructor", "Instructor"), ("admin", "Admin")],
        validators=[DataRequired()],
    )
