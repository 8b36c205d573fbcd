"""Preview as a learner: the course outline and any lesson, exactly as learners will see the content.

Read-only: checking answers in the preview scores them with score_quiz but records nothing.
"""

from flask import abort, render_template, request
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.auth.forms import ButtonForm
from lms.extensions import db
from lms.lessons.services import attachments_to_list
from lms.models import Course, Lesson, Module, Question, Upload
from lms.peers.services import assignment_for_lesson
from lms.studio.access import staff_course
from lms.studio.blueprint import bp
from lms.studio.services import score_quiz
from lms.studio.structure import drip_label


def _visible_lessons(course):
    return [
        lesson
        for module in course.modules
        if module.archived_at is None
        for lesson in module.lessons
        if lesson.archived_at is None
    ]


@bp.get("/courses/<slug>/preview")
@login_required
def preview(slug):
    course = staff_course(slug, selectinload(Course.modules).selectinload(Module.lessons), selectinload(Course.skills))
    return render_template("studio/preview_course.html", course=course, drip_label=drip_label,
                           first=next(iter(_visible_lessons(course)), None))  # fmt: skip


def _render_lesson(slug, lesson_id, result=None, answers=None):
    course = staff_course(slug, selectinload(Course.modules).selectinload(Module.lessons))
    lesson = db.session.scalar(
        select(Lesson)
        .where(Lesson.id == lesson_id, Lesson.course_id == course.id)
        .options(selectinload(Lesson.questions).selectinload(Question.choices), selectinload(Lesson.video_upload))
    )
    if lesson is None:
        abort(404)
    attachments = attachments_to_list(lesson, db.session.scalars(
        select(Upload).where(Upload.lesson_id == lesson.id, Upload.kind == "attachment").order_by(Upload.id)
    ))  # fmt: skip
    ordered = _visible_lessons(course)
    index = ordered.index(lesson) if lesson in ordered else None
    previous = ordered[index - 1] if index else None
    following = ordered[index + 1] if index is not None and index + 1 < len(ordered) else None
    if result is None:
        if request.method == "POST":
            answers = _answers_from_form(lesson)
            result = score_quiz(lesson, answers)
    return render_template(
        "studio/preview_lesson.html", course=course, lesson=lesson, attachments=attachments, previous=previous,
        following=following, position=(index + 1 if index is not None else None), total=len(ordered),
        result=result, answers=answers or {}, form=ButtonForm(), practice=assignment_for_lesson(lesson.id),
    )  # fmt: skip


def _answers_from_form(lesson):
    return {q.id: {int(v) for v in request.form.getlist(f"q{q.id}") if v.isdigit()} for q in lesson.questions}


@bp.get("/courses/<slug>/preview/lessons/<int:lesson_id>")
@login_required
def preview_lesson(slug, lesson_id):
    return _render_lesson(slug, lesson_id)


@bp.post("/courses/<slug>/preview/lessons/<int:lesson_id>")
@login_required
def preview_check(slug, lesson_id):
    if not ButtonForm().validate_on_submit():
        abort(400)
    return _render_lesson(slug, lesson_id)
