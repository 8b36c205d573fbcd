"""Studio views: the course list, course settings, status, staff, export/import and file serving.

Module, lesson, quiz and preview pages live in their own modules; they attach to the same `bp`.
"""

import io

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.auth.forms import ButtonForm
from lms.extensions import db
from lms.models import Course, CourseStaff, Module, Upload
from lms.notify import audit
from lms.permissions import can_create_courses, is_course_owner
from lms.studio import (  # noqa: F401  (the *_views modules attach their routes to bp)
    archive,
    lesson_views,
    module_views,
    preview_views,
    quiz_views,
    services,
    uploads,
)
from lms.studio.access import local_to_utc, owner_course, staff_course, utc_to_local
from lms.studio.blueprint import bp
from lms.studio.forms import CourseForm, ImportForm, MoveForm, ReorderForm, StaffForm, StatusForm
from lms.studio.structure import drip_label

__all__ = ["bp"]


@bp.get("/")
@login_required
def index():
    courses = services.courses_for_studio(current_user)
    if not courses and not can_create_courses(current_user):
        abort(403)
    return render_template("studio/index.html", courses=courses, import_form=ImportForm())


def _course_settings(form):
    return dict(
        title=form.title.data, slug=form.slug.data or "", summary=form.summary.data or "",
        description_md=form.description.data or "", outcomes=form.outcomes.data or "", level=form.level.data,
        skills=form.skills.data or "", enrolment_policy=form.enrolment_policy.data,
        enrolment_key=form.enrolment_key.data or "", capacity=form.capacity.data,
        enrol_opens_at=local_to_utc(form.enrol_opens_at.data), enrol_closes_at=local_to_utc(form.enrol_closes_at.data),
    )  # fmt: skip


def _chose_cover(form):
    return bool(form.cover_image.data and getattr(form.cover_image.data, "filename", ""))


def _refused(form):
    """Browsers never refill a file field: when a refused form had a cover image chosen, say to choose it again."""
    if form.is_submitted() and _chose_cover(form) and not form.cover_image.errors:
        form.cover_image.errors = [*form.cover_image.errors, "Nothing was saved: choose the cover image again."]


def _save_cover(form, course):
    """Apply the cover fields; returns file paths to remove after the commit. Raises StudioError."""
    has_new = _chose_cover(form)
    stale = []
    if (has_new or (course.cover and not form.remove_cover.data)) and not form.cover_alt.data:
        raise services.StudioError("Describe the cover image for people who cannot see it.", "cover_alt")
    if course.cover and (has_new or form.remove_cover.data):
        old = course.cover
        course.cover = None
        stale.append(uploads.delete_upload(old))
    if has_new:
        try:
            course.cover = uploads.save_upload(form.cover_image.data, "cover", course=course, uploader=current_user,
                                               alt_text=form.cover_alt.data)  # fmt: skip
        except uploads.UploadRejected as error:
            raise services.StudioError(str(error), "cover_image") from None
    elif course.cover:
        course.cover.alt_text = form.cover_alt.data
    return stale


def _field_error(form, error):
    getattr(form, error.field or "title").errors.append(str(error))


@bp.route("/courses/new", methods=["GET", "POST"])
@login_required
def new_course():
    if not can_create_courses(current_user):
        abort(403)
    form = CourseForm()
    if form.validate_on_submit():
        try:
            course = services.create_course(current_user, **_course_settings(form))
            db.session.flush()
            _save_cover(form, course)
        except services.StudioError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            audit(current_user, "course.create", target=course, course=course, detail=course.title)
            db.session.commit()
            flash(f"“{course.title}” is created as a draft. Add modules and lessons next.", "success")
            return redirect(url_for("studio.course", slug=course.slug))
    _refused(form)
    return render_template("studio/course_form.html", form=form, course=None)


@bp.get("/courses/<slug>/")
@login_required
def course(slug):
    # One query for modules and one for their lessons, whatever the course size.
    course = staff_course(slug, selectinload(Course.modules).selectinload(Module.lessons))
    return render_template(
        "studio/course.html", course=course, status_form=StatusForm(), move_form=MoveForm(),
        reorder_form=ReorderForm(), drip_label=drip_label,
        is_owner=is_course_owner(current_user, course),
    )  # fmt: skip


@bp.route("/courses/<slug>/settings", methods=["GET", "POST"])
@login_required
def edit_course(slug):
    course = staff_course(slug)
    form = CourseForm(obj=course if request.method == "GET" else None)
    if request.method == "GET":
        form.description.data, form.skills.data = course.description_md, ", ".join(course.skill_names)
        form.cover_alt.data = course.cover.alt_text if course.cover else ""
        form.enrol_opens_at.data = utc_to_local(course.enrol_opens_at)
        form.enrol_closes_at.data = utc_to_local(course.enrol_closes_at)
    if form.validate_on_submit():
        previous_capacity = course.capacity
        before = services.enrolment_settings(course)
        try:
            services.update_course(course, **_course_settings(form))
            stale = _save_cover(form, course)
        except services.StudioError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            audit(current_user, "course.settings", target=course, course=course,
                  detail=services.settings_changes(before, course))  # fmt: skip
            db.session.commit()
            uploads.remove_files(stale)
            flash("Course settings saved.", "success")
            notice = services.capacity_notice(course, previous_capacity)
            if notice:
                flash(notice, "info")
            return redirect(url_for("studio.course", slug=course.slug))
    _refused(form)
    return render_template("studio/course_form.html", form=form, course=course)


@bp.post("/courses/<slug>/status")
@login_required
def set_status(slug):
    course = staff_course(slug)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    previous = course.status
    try:
        changed = services.change_status(course, form.status.data)
    except services.StudioError as error:
        flash(str(error), "error")
        return redirect(url_for("studio.course", slug=course.slug))
    if not changed:
        flash(f"The course is already {course.status}.", "info")
        return redirect(url_for("studio.course", slug=course.slug))
    detail = f"{previous} -> {course.status}"
    audit(current_user, f"course.{form.status.data}", target=course, course=course, detail=detail)
    db.session.commit()
    flash({"published": "The course is published.", "archived": "The course is archived."}[course.status], "success")
    return redirect(url_for("studio.course", slug=course.slug))


@bp.route("/courses/<slug>/delete", methods=["GET", "POST"])
@login_required
def delete_course(slug):
    course = owner_course(slug)
    form = ButtonForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        title = course.title
        try:
            paths = services.delete_course(course)
        except services.StudioError as error:
            flash(str(error), "error")
            return redirect(url_for("studio.course", slug=course.slug))
        audit(current_user, "course.delete", detail=title)
        db.session.commit()
        uploads.remove_files(paths)
        flash(f"“{title}” is deleted.", "success")
        return redirect(url_for("studio.index"))
    return render_template("studio/confirm_delete_course.html", course=course, form=form,
                           problem=services.deletion_problem(course))  # fmt: skip


@bp.route("/courses/<slug>/staff", methods=["GET", "POST"])
@login_required
def staff(slug):
    course = staff_course(slug)
    is_owner = is_course_owner(current_user, course)
    form = StaffForm()
    if request.method == "POST":
        if not is_owner:
            abort(403)
        if form.validate_on_submit():
            try:
                _, user = services.add_co_instructor(course, form.email.data)
            except services.StudioError as error:
                form.email.errors.append(str(error))
            else:
                audit(current_user, "course.staff_add", target=user, course=course, detail=user.email)
                db.session.commit()
                flash(f"{user.display_name} can now edit and moderate this course.", "success")
                return redirect(url_for("studio.staff", slug=course.slug))
    return render_template("studio/staff.html", course=course, members=services.staff_of(course), form=form,
                           is_owner=is_owner)  # fmt: skip


@bp.post("/courses/<slug>/staff/<int:user_id>/remove")
@login_required
def remove_staff(slug, user_id):
    course = owner_course(slug)
    if db.session.get(CourseStaff, (course.id, user_id)) is None:
        abort(404)  # not on this course's staff: e.g. another course's co-instructor id in this URL
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        user = services.remove_co_instructor(course, user_id)
    except services.StudioError as error:
        flash(str(error), "error")
    else:
        audit(current_user, "course.staff_remove", target=user, course=course, detail=user.email)
        db.session.commit()
        flash(f"{user.display_name} is no longer on the staff of this course.", "success")
    return redirect(url_for("studio.staff", slug=course.slug))


@bp.get("/courses/<slug>/export")
@login_required
def export_course(slug):
    course = staff_course(slug)
    try:
        data = archive.export_course(course)
    except archive.ArchiveError as error:
        flash(str(error), "error")
        return redirect(url_for("studio.course", slug=course.slug))
    return send_file(io.BytesIO(data), mimetype="application/zip", as_attachment=True,
                     download_name=f"{course.slug}.sparetime.zip")  # fmt: skip


@bp.post("/import")
@login_required
def import_course():
    if not can_create_courses(current_user):
        abort(403)
    form = ImportForm()
    if not form.validate_on_submit():
        abort(400)
    upload = form.archive.data
    if not upload or not getattr(upload, "filename", ""):
        flash("Choose a course archive (.zip) to import.", "error")
        return redirect(url_for("studio.index"))
    try:
        course, written = archive.import_course(upload.stream, owner=current_user)
    except archive.ArchiveError as error:
        db.session.rollback()
        flash(f"Import refused, nothing was changed: {error}", "error")
        return redirect(url_for("studio.index"))
    audit(current_user, "course.import", target=course, course=course, detail=course.title)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        uploads.remove_files(written)
        raise
    flash(f"Imported “{course.title}” as a new draft course.", "success")
    return redirect(url_for("studio.course", slug=course.slug))


@bp.get("/files/<stored_name>")
def serve_upload(stored_name):
    upload = db.first_or_404(select(Upload).where(Upload.stored_name == stored_name))
    access = uploads.download_access(current_user, upload)
    if access.locked_lesson is not None:  # as the lesson page does: say why, and when it opens
        lesson = access.locked_lesson
        return render_template("lessons/locked.html", course=lesson.course, lesson=lesson, state=access.locked_state,
                               file_name=upload.original_name), 403  # fmt: skip
    if not access.allowed:
        abort(404 if not current_user.is_authenticated else 403)
    inline = uploads.is_inline(upload)
    response = send_file(
        uploads.path_of(upload.stored_name), mimetype=upload.content_type, as_attachment=not inline,
        download_name=upload.original_name, conditional=True, max_age=0,
    )  # fmt: skip
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-cache"
    if inline:
        response.headers["Content-Disposition"] = "inline"
    return response
