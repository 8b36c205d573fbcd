"""peers views: the learner's side of practice assignments (respond, review peers, read feedback).

The other pages of the blueprint live in studio_views (assignment editor, staff queue), people_views
(directory, connections, partners) and feedback_views (course reviews, wishes); importing them here
attaches their routes to the same `bp`.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from lms.extensions import db
from lms.models import Review, ReviewAssignment
from lms.peers import feedback_views, people_views, services, studio_views  # noqa: F401  (routes attach to bp)
from lms.peers.blueprint import bp, load_course, load_lesson
from lms.peers.forms import ButtonForm, ReplyForm, SubmissionForm, review_form_for
from lms.permissions import can_take_course, is_course_staff
from lms.progress import services as progress

__all__ = ["bp"]


def _load_practice(slug, lesson_id):
    course = load_course(slug)
    lesson = load_lesson(course, lesson_id)
    if not can_take_course(current_user, course):
        abort(403)
    assignment = services.assignment_for_lesson(lesson.id)
    if assignment is None:
        abort(404)
    return course, lesson, assignment


def _require_learner(course):
    """Responding and reviewing are for the course's learners; staff review from their queue instead."""
    if is_course_staff(current_user, course):
        abort(403)


@bp.route("/courses/<slug>/lessons/<int:lesson_id>/practice", methods=["GET", "POST"])
@login_required
def practice(slug, lesson_id):
    course, lesson, assignment = _load_practice(slug, lesson_id)
    staff = is_course_staff(current_user, course)
    submission = None if staff else services.submission_of(current_user, assignment)
    form = SubmissionForm(body=submission.body_md if submission else "")
    if request.method == "POST":
        _require_learner(course)
        if form.validate_on_submit():
            submit = request.form.get("action") == "submit"
            try:
                submission = services.save_submission(current_user, assignment, form.body.data, submit=submit)
            except services.PeerError as error:
                db.session.rollback()
                flash(str(error), "error")
                return redirect(url_for("peers.practice", slug=slug, lesson_id=lesson.id))
            db.session.commit()
            flash("Your response is submitted. Now review a peer's response." if submission.is_submitted
                  else "Draft saved. Only you can see it.", "success")  # fmt: skip
            return redirect(url_for("peers.practice", slug=slug, lesson_id=lesson.id))
    given = services.reviews_given(current_user, assignment) if submission else 0
    visible = submission is not None and services.feedback_visible(current_user, assignment, given)
    feedback = services.labelled_reviews(submission) if visible and submission.is_submitted else []
    return render_template(
        "peers/practice.html", course=course, lesson=lesson, assignment=assignment, submission=submission,
        form=form, given=given, feedback_visible=visible, feedback=feedback, is_staff=staff,
        reviews_given=services.reviews_by(current_user, assignment),
        open_slot=None if staff else services.open_slot(current_user, assignment),
        blocker=None if staff else services.completion_blocker(current_user, lesson),
        lesson_done=not staff and progress.is_lesson_done(current_user, lesson), reply_form=ReplyForm(), button_form=ButtonForm(),
    )  # fmt: skip


@bp.route("/courses/<slug>/lessons/<int:lesson_id>/practice/next-review", methods=["GET", "POST"])
@login_required
def next_review(slug, lesson_id):
    """GET shows the reviewer's open slot or a button; POST hands out a submission (GET never writes)."""
    course, lesson, assignment = _load_practice(slug, lesson_id)
    _require_learner(course)
    submission = services.submission_of(current_user, assignment)
    if submission is None or not submission.is_submitted:
        flash("Submit your own response first, then review your peers.", "info")
        return redirect(url_for("peers.practice", slug=slug, lesson_id=lesson.id))
    slot = services.open_slot(current_user, assignment)
    if slot is not None:
        return redirect(url_for("peers.write_review", slug=slug, slot_id=slot.id))
    form = ButtonForm()
    if form.validate_on_submit():
        slot = services.allocate_review(current_user, assignment)
        db.session.commit()
        if slot is not None:
            return redirect(url_for("peers.write_review", slug=slug, slot_id=slot.id))
        flash("No response needs a review right now. Check back later: new ones come in all the time.", "info")
        return redirect(url_for("peers.practice", slug=slug, lesson_id=lesson.id))
    return render_template("peers/next_review.html", course=course, lesson=lesson, assignment=assignment,
                           given=services.reviews_given(current_user, assignment), form=form)  # fmt: skip


@bp.route("/courses/<slug>/practice/slots/<int:slot_id>", methods=["GET", "POST"])
@login_required
def write_review(slug, slot_id):
    course = load_course(slug)
    slot = db.session.get(ReviewAssignment, slot_id)
    # Only the reviewer it was handed to, and only through its own course's URL.
    if slot is None or slot.reviewer_id != current_user.id or slot.submission.assignment.course_id != course.id:
        abort(404)
    if not can_take_course(current_user, course):
        abort(403)
    assignment = slot.submission.assignment
    lesson = assignment.lesson
    if slot.completed_at is not None:
        flash("You already reviewed this response. Thank you!", "info")
        return redirect(url_for("peers.practice", slug=slug, lesson_id=lesson.id))
    if services.slot_blocked(slot):  # a block between the two since it was handed out
        flash(services.BLOCKED_SLOT, "info")
        return redirect(url_for("peers.practice", slug=slug, lesson_id=lesson.id))
    form = review_form_for(assignment)
    if form.validate_on_submit():
        try:
            services.submit_review(slot, current_user, form.scores(assignment), form.comment.data)
        except services.PeerError as error:
            db.session.rollback()
            flash(str(error), "error")
            return redirect(url_for("peers.practice", slug=slug, lesson_id=lesson.id))
        db.session.commit()
        flash("Review sent. Thank you for your feedback!", "success")
        return redirect(url_for("peers.practice", slug=slug, lesson_id=lesson.id))
    return render_template("peers/write_review.html", course=course, lesson=lesson, assignment=assignment,
                           slot=slot, submission=slot.submission, form=form)  # fmt: skip


def _load_own_review(slug, review_id):
    course = load_course(slug)
    review = db.session.get(Review, review_id)
    if review is None or review.submission.assignment.course_id != course.id or review.hidden_at is not None:
        abort(404)
    if review.submission.user_id != current_user.id or not can_take_course(current_user, course):
        abort(403)  # someone else's feedback, or the author has left (or was removed from) the course
    # Feedback is only reachable once it is visible to its author (give one, get one).
    if not services.feedback_visible(current_user, review.submission.assignment):
        abort(403)
    return course, review


@bp.route("/courses/<slug>/practice/reviews/<int:review_id>/helpful", methods=["POST"])
@login_required
def mark_helpful(slug, review_id):
    course, review = _load_own_review(slug, review_id)
    if ButtonForm().validate_on_submit():
        services.mark_helpful(review, current_user)
        db.session.commit()
    lesson = review.submission.assignment.lesson
    return redirect(url_for("peers.practice", slug=slug, lesson_id=lesson.id) + f"#review-{review.id}")


@bp.route("/courses/<slug>/practice/reviews/<int:review_id>/reply", methods=["POST"])
@login_required
def reply_review(slug, review_id):
    course, review = _load_own_review(slug, review_id)
    form = ReplyForm()
    lesson = review.submission.assignment.lesson
    if form.validate_on_submit():
        try:
            services.reply_to_review(review, current_user, form.reply.data)
        except services.PeerError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash("Reply sent.", "success")
    else:
        flash(" ".join(form.reply.errors) or "Your reply could not be sent.", "error")
    return redirect(url_for("peers.practice", slug=slug, lesson_id=lesson.id) + f"#review-{review.id}")
