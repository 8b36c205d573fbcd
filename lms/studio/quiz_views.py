"""Studio views for knowledge checks: add, edit and delete questions; set or clear the pass mark."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from lms.auth.forms import ButtonForm
from lms.extensions import db
from lms.studio import quiz
from lms.studio.access import lesson_of, question_of, staff_course
from lms.studio.blueprint import bp
from lms.studio.forms import PassMarkForm, question_form_for
from lms.studio.quiz import MAX_CHOICES
from lms.studio.services import StudioError


def _editor_url(course, lesson):
    return url_for("studio.edit_lesson", slug=course.slug, lesson_id=lesson.id, _anchor="knowledge-check")


def _question_form(question=None):
    form = question_form_for(question, obj=question if request.method == "GET" else None)
    for number, entry in enumerate(form.choices.entries, start=1):
        entry.form.text.label.text = f"Choice {number}"
        entry.form.is_correct.label.text = f"Choice {number} is correct"
        entry.form.feedback.label.text = f"Feedback for choice {number}"
    if question is None:
        return form
    if not form.is_submitted():
        for entry, choice in zip(form.choices.entries, question.choices, strict=False):
            entry.form.text.data, entry.form.is_correct.data = choice.text, choice.is_correct
            entry.form.feedback.data = choice.feedback
        for entry in form.choices.entries[len(question.choices):]:
            entry.form.text.data, entry.form.is_correct.data, entry.form.feedback.data = "", False, ""
        if len(question.choices) > MAX_CHOICES:
            form.form_errors.append(f"This question has {len(question.choices)} choices; a question has at most "
                                    f"{MAX_CHOICES}. Clear {len(question.choices) - MAX_CHOICES} before saving.")
    return form


def _edit_question(slug, lesson_id, question_id=None):
    course = staff_course(slug)
    lesson = lesson_of(course, lesson_id)
    question = question_of(lesson, question_id) if question_id is not None else None
    form = _question_form(question)
    if form.validate_on_submit():
        choices = [(e.form.text.data or "", e.form.is_correct.data, e.form.feedback.data) for e in form.choices.entries]
        try:
            quiz.save_question(lesson, question, prompt=form.prompt.data, kind=form.kind.data, choices=choices)
        except StudioError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash("Question saved." + ("" if lesson.pass_mark is not None else
                                       " Set a pass mark to make this a knowledge check."), "success")  # fmt: skip
            return redirect(_editor_url(course, lesson))
    return render_template("studio/question_form.html", course=course, lesson=lesson, question=question, form=form)


@bp.route("/courses/<slug>/lessons/<int:lesson_id>/questions/new", methods=["GET", "POST"])
@login_required
def new_question(slug, lesson_id):
    return _edit_question(slug, lesson_id)


@bp.route("/courses/<slug>/lessons/<int:lesson_id>/questions/<int:question_id>/edit", methods=["GET", "POST"])
@login_required
def edit_question(slug, lesson_id, question_id):
    return _edit_question(slug, lesson_id, question_id)


@bp.post("/courses/<slug>/lessons/<int:lesson_id>/questions/<int:question_id>/delete")
@login_required
def delete_question(slug, lesson_id, question_id):
    course = staff_course(slug)
    lesson = lesson_of(course, lesson_id)
    question = question_of(lesson, question_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        quiz.delete_question(lesson, question)
    except StudioError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        flash("Question deleted.", "success")
    return redirect(_editor_url(course, lesson))


@bp.post("/courses/<slug>/lessons/<int:lesson_id>/pass-mark")
@login_required
def set_pass_mark(slug, lesson_id):
    course = staff_course(slug)
    lesson = lesson_of(course, lesson_id)
    form = PassMarkForm()
    if not form.validate_on_submit():
        flash("The pass mark is a whole percentage between 0 and 100.", "error")
        return redirect(_editor_url(course, lesson))
    try:
        quiz.set_pass_mark(lesson, form.pass_mark.data)
    except StudioError as error:
        flash(f"Pass mark not set: {error}", "error")
    else:
        db.session.commit()
        flash("Knowledge check removed." if lesson.pass_mark is None else
              f"Learners now need {lesson.pass_mark}% to complete this lesson. {quiz.pass_mark_in_answers(lesson)}",
              "success")  # fmt: skip
    return redirect(_editor_url(course, lesson))
