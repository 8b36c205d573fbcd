"""Moderation pages of the discussion blueprint (course staff and admins only)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from lms.auth.forms import ButtonForm
from lms.discussion import moderation, queries
from lms.discussion.access import load_course, load_lesson, load_post, load_thread, post_anchor_url, thread_url
from lms.discussion.forms import MoveForm, ReasonForm, RenameForm, ResolveForm
from lms.extensions import db
from lms.models.discussion import PostReport


def _moderator_course(slug):
    course, viewer = load_course(slug)
    if not viewer.is_staff:
        abort(403, "Only course staff can moderate this discussion.")
    return course, viewer


def _button_or_400():
    if not ButtonForm().validate_on_submit():
        abort(400)


def add_moderation_routes(bp):
    @bp.post("/courses/<slug>/discussion/threads/<int:thread_id>/pin")
    @login_required
    def pin(slug, thread_id):
        course, viewer = _moderator_course(slug)
        thread = load_thread(course, thread_id)
        _button_or_400()
        moderation.set_pinned(course, thread, current_user, not thread.pinned)
        db.session.commit()
        flash("Pinned to the top of the board." if thread.pinned else "Unpinned.", "success")
        return redirect(thread_url(course, thread))

    @bp.route("/courses/<slug>/discussion/threads/<int:thread_id>/lock", methods=["GET", "POST"])
    @login_required
    def lock(slug, thread_id):
        course, viewer = _moderator_course(slug)
        thread = load_thread(course, thread_id)
        form = ReasonForm()
        if form.validate_on_submit():
            moderation.lock_thread(course, thread, current_user, form.reason.data)
            db.session.commit()
            flash("The thread is locked.", "success")
            return redirect(thread_url(course, thread))
        status = 400 if request.method == "POST" else 200
        hint = "No one but staff can reply while it is locked. Readers see your reason."
        return render_template("discussion/reason.html", course=course, thread=thread, form=form,
                               heading=f"Lock “{thread.title}”", button_label="Lock thread", hint=hint), status  # fmt: skip

    @bp.route("/courses/<slug>/discussion/threads/<int:thread_id>/rename", methods=["GET", "POST"])
    @login_required
    def rename(slug, thread_id):
        course, viewer = _moderator_course(slug)
        thread = load_thread(course, thread_id)
        form = RenameForm(data={"title": thread.title} if request.method == "GET" else None)
        if form.validate_on_submit():
            moderation.rename_thread(course, thread, current_user, form.title.data, form.reason.data)
            db.session.commit()
            flash("The thread has its new title.", "success")
            return redirect(thread_url(course, thread))
        status = 400 if request.method == "POST" else 200
        hint = "Everyone sees the new title; the author is told your reason, and the old title stays in the audit log."
        return render_template("discussion/reason.html", course=course, thread=thread, form=form,
                               heading="Rename a thread", button_label="Rename thread", hint=hint), status  # fmt: skip

    @bp.post("/courses/<slug>/discussion/threads/<int:thread_id>/unlock")
    @login_required
    def unlock(slug, thread_id):
        course, viewer = _moderator_course(slug)
        thread = load_thread(course, thread_id)
        _button_or_400()
        moderation.unlock_thread(course, thread, current_user)
        db.session.commit()
        flash("The thread is open for replies again.", "success")
        return redirect(thread_url(course, thread))

    @bp.route("/courses/<slug>/discussion/threads/<int:thread_id>/posts/<int:post_id>/hide", methods=["GET", "POST"])
    @login_required
    def hide(slug, thread_id, post_id):
        course, viewer = _moderator_course(slug)
        thread = load_thread(course, thread_id)
        post = load_post(course, thread, post_id)
        if post.deleted_at is not None:
            flash("Its author removed this post: there is nothing left to hide.", "error")
            return redirect(post_anchor_url(course, thread, post))
        form = ReasonForm()
        if form.validate_on_submit():
            moderation.hide_post(course, thread, post, current_user, form.reason.data)
            db.session.commit()
            flash("The post is hidden from learners.", "success")
            return redirect(post_anchor_url(course, thread, post))
        status = 400 if request.method == "POST" else 200
        hint = "Learners see “hidden by a moderator”; the author and staff see your reason."
        return render_template("discussion/reason.html", course=course, thread=thread, form=form,
                               heading="Hide a post", button_label="Hide post", hint=hint), status  # fmt: skip

    @bp.post("/courses/<slug>/discussion/threads/<int:thread_id>/posts/<int:post_id>/unhide")
    @login_required
    def unhide(slug, thread_id, post_id):
        course, viewer = _moderator_course(slug)
        thread = load_thread(course, thread_id)
        post = load_post(course, thread, post_id)
        _button_or_400()
        moderation.unhide_post(course, thread, post, current_user)
        db.session.commit()
        flash("The post is visible again.", "success")
        return redirect(post_anchor_url(course, thread, post))

    @bp.route("/courses/<slug>/discussion/threads/<int:thread_id>/move", methods=["GET", "POST"])
    @login_required
    def move(slug, thread_id):
        course, viewer = _moderator_course(slug)
        thread = load_thread(course, thread_id)
        form = MoveForm(data={"lesson_id": thread.lesson_id or 0} if request.method == "GET" else None)
        form.set_lessons(queries.course_lessons(course))
        if form.validate_on_submit():
            lesson = load_lesson(course, form.lesson_id.data)
            moderation.move_thread(course, thread, current_user, lesson)
            db.session.commit()
            flash("The thread was moved.", "success")
            return redirect(thread_url(course, thread))
        status = 400 if request.method == "POST" else 200
        return render_template("discussion/move.html", course=course, thread=thread, form=form), status

    @bp.get("/courses/<slug>/discussion/reports")
    @login_required
    def reports(slug):
        course, viewer = _moderator_course(slug)
        return render_template("discussion/reports.html", course=course, reports=queries.open_reports(course),
                               form=ResolveForm(formdata=None))  # fmt: skip

    @bp.post("/courses/<slug>/discussion/reports/<int:report_id>/resolve")
    @login_required
    def resolve_report(slug, report_id):
        course, viewer = _moderator_course(slug)
        report = db.get_or_404(PostReport, report_id)
        if report.course_id != course.id:
            abort(404)
        form = ResolveForm()
        if not form.validate_on_submit():
            abort(400)
        if report.resolved_at is None:
            moderation.resolve_report(course, report, current_user, form.resolution.data or "")
            db.session.commit()
        flash("Report resolved.", "success")
        return redirect(url_for("discussion.reports", slug=course.slug))
