"""Studio views for lessons: add, edit (text, minutes, video, flags), move, delete-or-archive, attachments."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from lms.auth.forms import ButtonForm
from lms.extensions import db
from lms.lessons.quiz import questions_of
from lms.models import Upload
from lms.notify import audit
from lms.studio import quiz, structure, uploads
from lms.studio.access import lesson_of, module_of, staff_course
from lms.studio.blueprint import bp
from lms.studio.forms import AttachmentForm, LessonForm, MoveForm, PassMarkForm
from lms.studio.removal import confirm_and_remove
from lms.studio.services import StudioError


def _lesson_form(course, lesson=None):
    form = LessonForm(obj=lesson if request.method == "GET" else None)
    form.module_id.choices = [(m.id, f"{m.title} (archived, hidden from learners)" if m.archived_at else m.title)
                              for m in course.modules]  # fmt: skip
    if lesson is not None and request.method == "GET":
        form.body.data = lesson.body_md
        form.video_embed.data = lesson.video_embed_url
    return form


def _lesson_fields(form):
    return dict(
        title=form.title.data, body_md=form.body.data or "", minutes_authored=form.minutes_authored.data,
        video_minutes=form.video_minutes.data or 0, video_embed_url=form.video_embed.data or "",
        is_preview=form.is_preview.data, requires_previous=form.requires_previous.data,
    )  # fmt: skip


def _save_lesson(form, course, module, lesson):
    """Apply the form (and video upload); returns (lesson, file paths to remove after commit)."""
    new_file = form.video_file.data if getattr(form.video_file.data, "filename", "") else None
    if new_file and form.video_embed.data:
        raise StudioError("Choose either an uploaded video or an embed link, not both.", "video_embed")
    fields = _lesson_fields(form)
    if form.remove_video.data and not new_file:
        # The editor shows the length again on every save: without the video it must not count in the minutes.
        fields["video_minutes"] = 0
    if lesson is None:
        lesson = structure.add_lesson(module, **fields)
        db.session.flush()
    else:
        structure.update_lesson(lesson, **fields)
        structure.move_to_module(lesson, module)
    stale = []
    if lesson.video_upload and (new_file or form.video_embed.data or form.remove_video.data):
        old, lesson.video_upload = lesson.video_upload, None
        stale.append(uploads.delete_upload(old))
    if form.remove_video.data and not new_file:
        lesson.video_embed_url = ""
    if new_file:
        try:
            lesson.video_upload = uploads.save_upload(new_file, "video", course=course, uploader=current_user,
                                                      lesson=lesson)  # fmt: skip
        except uploads.UploadRejected as error:
            raise StudioError(str(error), "video_file") from None
        lesson.video_embed_url = ""
    return lesson, stale


def _hidden_by_module(lesson):
    return f"Its module “{lesson.module.title}” is archived: restore the module for learners to see it."


def _render_editor(course, lesson, form):
    attachments = db.session.scalars(
        select(Upload).where(Upload.lesson_id == lesson.id, Upload.kind == "attachment").order_by(Upload.id)
    ).all()
    questions_of(lesson)  # the knowledge check's questions with their choices, not a query per question
    return render_template(
        "studio/lesson_form.html", course=course, lesson=lesson, form=form, attachments=attachments,
        attachment_form=AttachmentForm(), pass_mark_form=PassMarkForm(pass_mark=lesson.pass_mark),
        pass_mark_in_answers=quiz.pass_mark_in_answers(lesson),
    )  # fmt: skip


@bp.route("/courses/<slug>/modules/<int:module_id>/lessons/new", methods=["GET", "POST"])
@login_required
def new_lesson(slug, module_id):
    course = staff_course(slug)
    module = module_of(course, module_id)
    form = _lesson_form(course)
    if request.method == "GET":
        form.module_id.data = module.id
    if form.validate_on_submit():
        target = module_of(course, form.module_id.data)
        try:
            lesson, _ = _save_lesson(form, course, target, None)
        except StudioError as error:
            db.session.rollback()
            getattr(form, error.field or "title").errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Lesson “{lesson.title}” added. Attach files or a knowledge check below.", "success")
            return redirect(url_for("studio.edit_lesson", slug=course.slug, lesson_id=lesson.id))
    return render_template("studio/lesson_new.html", course=course, module=module, form=form)


@bp.route("/courses/<slug>/lessons/<int:lesson_id>/edit", methods=["GET", "POST"])
@login_required
def edit_lesson(slug, lesson_id):
    course = staff_course(slug)
    lesson = lesson_of(course, lesson_id)
    form = _lesson_form(course, lesson)
    if form.validate_on_submit():
        target = module_of(course, form.module_id.data)
        try:
            lesson, stale = _save_lesson(form, course, target, lesson)
        except StudioError as error:
            db.session.rollback()
            getattr(form, error.field or "title").errors.append(str(error))
        else:
            db.session.commit()
            uploads.remove_files(stale)
            flash(f"Lesson saved. {_hidden_by_module(lesson)}" if lesson.module.archived_at else
                  "Lesson saved. Learners see the change at once; their progress is kept.", "success")  # fmt: skip
            return redirect(url_for("studio.edit_lesson", slug=course.slug, lesson_id=lesson.id))
    return _render_editor(course, lesson, form)


@bp.post("/courses/<slug>/lessons/<int:lesson_id>/move")
@login_required
def move_lesson(slug, lesson_id):
    course = staff_course(slug)
    lesson = lesson_of(course, lesson_id)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    structure.move_lesson(lesson, form.direction.data)
    db.session.commit()
    return redirect(url_for("studio.course", slug=course.slug, _anchor=f"lesson-{lesson.id}"))


@bp.route("/courses/<slug>/lessons/<int:lesson_id>/delete", methods=["GET", "POST"])
@login_required
def delete_lesson(slug, lesson_id):
    course = staff_course(slug)
    lesson = lesson_of(course, lesson_id)
    learners = structure.learners_with_progress([lesson.id])
    return confirm_and_remove(course, lesson, "lesson", learners, structure.remove_lesson)


@bp.post("/courses/<slug>/lessons/<int:lesson_id>/restore")
@login_required
def restore_lesson(slug, lesson_id):
    course = staff_course(slug)
    lesson = lesson_of(course, lesson_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    structure.restore(lesson)
    audit(current_user, "lesson.restore", course=course, detail=lesson.title)
    db.session.commit()
    hidden = f" {_hidden_by_module(lesson)}" if lesson.module.archived_at else ""
    flash(f"Lesson “{lesson.title}” restored.{hidden}", "success")
    return redirect(url_for("studio.course", slug=course.slug, _anchor=f"lesson-{lesson.id}"))


@bp.post("/courses/<slug>/lessons/<int:lesson_id>/attachments")
@login_required
def upload_attachment(slug, lesson_id):
    course = staff_course(slug)
    lesson = lesson_of(course, lesson_id)
    form = AttachmentForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        upload = uploads.save_upload(form.file.data, "attachment", course=course, uploader=current_user, lesson=lesson)
    except uploads.UploadRejected as error:
        flash(f"File not attached: {error}", "error")
    else:
        db.session.commit()
        flash(f"“{upload.original_name}” attached.", "success")
    return redirect(url_for("studio.edit_lesson", slug=course.slug, lesson_id=lesson.id, _anchor="attachments"))


@bp.post("/courses/<slug>/lessons/<int:lesson_id>/attachments/<int:upload_id>/delete")
@login_required
def delete_attachment(slug, lesson_id, upload_id):
    course = staff_course(slug)
    lesson = lesson_of(course, lesson_id)
    upload = db.get_or_404(Upload, upload_id)
    if upload.lesson_id != lesson.id or upload.course_id != course.id or upload.kind != "attachment":
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    path = uploads.delete_upload(upload)
    db.session.commit()
    uploads.remove_files([path])
    flash(f"“{upload.original_name}” removed.", "success")
    return redirect(url_for("studio.edit_lesson", slug=course.slug, lesson_id=lesson.id, _anchor="attachments"))
