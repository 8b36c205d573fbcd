"""Staff pages of practice assignments: the assignment editor, the overdue review queue, staff reviews and
hiding abusive reviews. Course staff and admins only."""

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from lms.extensions import db
from lms.models import Review, Submission
from lms.peers import services
from lms.peers.blueprint import bp, load_course, load_lesson, require_staff
from lms.peers.forms import AssignmentForm, HideForm, review_form_for


@bp.route("/studio/courses/<slug>/lessons/<int:lesson_id>/assignment", methods=["GET", "POST"])
@login_required
def edit_assignment(slug, lesson_id):
    course = load_course(slug)
    require_staff(course)
    lesson = load_lesson(course, lesson_id)
    assignment = services.assignment_for_lesson(lesson.id)
    form = AssignmentForm()
    if not form.is_submitted():
        if assignment is not None:
            form.prompt.data = assignment.prompt_md
            form.reviews_required.data = assignment.reviews_required
            for entry, criterion in zip(form.criteria.entries, assignment.criteria, strict=False):
                entry.form.title.data = criterion.title
                for level, text in criterion.levels:
                    getattr(entry.form, f"level_{level}").data = text
    elif form.validate():
        try:
            assignment = services.save_assignment(lesson, form.prompt.data, form.reviews_required.data,
                                                  form.criteria_data())  # fmt: skip
        except services.PeerError as error:
            db.session.rollback()
            form.criteria.errors.append(str(error))  # shown above the rubric
        else:
            db.session.commit()
            flash("Practice assignment saved. Learners see it under the lesson.", "success")
            return redirect(url_for("peers.edit_assignment", slug=slug, lesson_id=lesson.id))
    return render_template("peers/edit_assignment.html", course=course, lesson=lesson, assignment=assignment,
                           form=form)  # fmt: skip


@bp.route("/studio/courses/<slug>/reviews")
@login_required
def review_queue(slug):
    course = load_course(slug)
    require_staff(course)
    queue = services.review_queue(course, current_user)
    recent = services.recent_course_reviews(course)
    return render_template("peers/review_queue.html", course=course, queue=queue, recent=recent,
                           hide_form=HideForm(),
                           deadline_hours=current_app.config.get("PEER_REVIEW_DEADLINE_HOURS", 48))  # fmt: skip


def _load_course_submission(course, submission_id):
    submission = db.session.get(Submission, submission_id)
    if submission is None or submission.assignment.course_id != course.id or submission.submitted_at is None:
        abort(404)
    return submission


@bp.route("/studio/courses/<slug>/submissions/<int:submission_id>", methods=["GET", "POST"])
@login_required
def staff_submission(slug, submission_id):
    course = load_course(slug)
    require_staff(course)
    submission = _load_course_submission(course, submission_id)
    assignment = submission.assignment
    reviews = services.labelled_reviews(submission, include_hidden=True)
    already = any(review.reviewer_id == current_user.id for _, review in reviews)
    form = review_form_for(assignment)
    if not already and form.validate_on_submit():
        try:
            services.staff_review(current_user, submission, form.scores(assignment), form.comment.data)
        except services.PeerError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash("Review sent. It counts towards the reviews this response needs.", "success")
        return redirect(url_for("peers.staff_submission", slug=slug, submission_id=submission.id))
    return render_template("peers/staff_submission.html", course=course, submission=submission,
                           assignment=assignment, lesson=assignment.lesson, reviews=reviews, form=form,
                           already=already, hide_form=HideForm())  # fmt: skip


@bp.route("/studio/courses/<slug>/peer-reviews/<int:review_id>/hide", methods=["POST"])
@login_required
def hide_review(slug, review_id):
    course = load_course(slug)
    require_staff(course)
    review = db.session.get(Review, review_id)
    if review is None or review.submission.assignment.course_id != course.id:
        abort(404)
    form = HideForm()
    if form.validate_on_submit():
        services.hide_review(review, current_user, form.reason.data)
        db.session.commit()
        flash("Review hidden. The response gets its place back for another reviewer.", "success")
    else:
        flash(" ".join(form.reason.errors) or "The review could not be hidden.", "error")
    return redirect(url_for("peers.staff_submission", slug=slug, submission_id=review.submission_id))
