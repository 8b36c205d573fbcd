"""Course reviews (rate after 50% or completion; instructors reply, staff hide) and course wishes."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from lms.extensions import db
from lms.models import CourseReview, CourseWish
from lms.peers import feedback
from lms.peers.blueprint import bp, load_course, require_staff
from lms.peers.forms import ButtonForm, CourseReviewForm, HideForm, InstructorReplyForm, WishForm, WishStatusForm
from lms.permissions import can_view_course_page, is_course_staff
from lms.security import query_int
from lms.throttle import is_throttled, record_hit


def _load_visible_course(slug):
    course = load_course(slug)
    if not can_view_course_page(current_user, course):
        abort(404)
    return course


@bp.route("/courses/<slug>/reviews")
def course_reviews(slug):
    course = _load_visible_course(slug)
    staff = is_course_staff(current_user, course)
    pagination = db.paginate(feedback.visible_reviews_query(course, include_hidden=staff),
                             page=query_int("page", 1), per_page=20, error_out=False)  # fmt: skip
    summary = feedback.course_reviews_summary(course, current_user, recent=0)
    # Its author still reads a review the staff hid (with the reason): the list shows visible ones only.
    own = feedback.own_course_review(course, current_user) if summary["own"] and not staff else None
    own_hidden = own if own is not None and own.hidden_at else None
    return render_template("peers/course_reviews.html", course=course, pagination=pagination, summary=summary,
                           is_staff=staff, own_hidden=own_hidden, reply_form=InstructorReplyForm(),
                           hide_form=HideForm(), button_form=ButtonForm())  # fmt: skip


@bp.route("/courses/<slug>/reviews/mine", methods=["GET", "POST"])
@login_required
def edit_course_review(slug):
    course = _load_visible_course(slug)
    allowed, reason = feedback.review_eligibility(course, current_user)
    if not allowed:
        abort(403, reason)
    own = feedback.own_course_review(course, current_user)
    form = CourseReviewForm(rating=str(own.rating) if own else None, text=own.text if own else "")
    if form.validate_on_submit():
        feedback.save_course_review(course, current_user, int(form.rating.data), form.text.data)
        db.session.commit()
        flash("Thank you for your review!", "success")
        return redirect(url_for("peers.course_reviews", slug=slug))
    return render_template("peers/edit_course_review.html", course=course, form=form, own=own)


def _load_course_review(course, review_id):
    review = db.session.get(CourseReview, review_id)
    if review is None or review.course_id != course.id:
        abort(404)
    return review


@bp.route("/courses/<slug>/reviews/<int:review_id>/reply", methods=["POST"])
@login_required
def reply_course_review(slug, review_id):
    course = load_course(slug)
    require_staff(course)
    review = _load_course_review(course, review_id)
    form = InstructorReplyForm()
    if form.validate_on_submit():
        feedback.reply_to_course_review(review, current_user, form.reply.data)
        db.session.commit()
        flash("Reply published." if form.reply.data else "Reply removed.", "success")
    else:
        flash(" ".join(form.reply.errors) or "The reply could not be saved.", "error")
    return redirect(url_for("peers.course_reviews", slug=slug) + f"#course-review-{review.id}")


@bp.route("/courses/<slug>/reviews/<int:review_id>/<any(hide, unhide):action>", methods=["POST"])
@login_required
def moderate_course_review(slug, review_id, action):
    course = load_course(slug)
    require_staff(course)
    review = _load_course_review(course, review_id)
    if action == "hide":
        form = HideForm()
        if form.validate_on_submit():
            feedback.hide_course_review(review, current_user, form.reason.data)
            db.session.commit()
            flash("Review hidden.", "success")
        else:
            flash(" ".join(form.reason.errors) or "The review could not be hidden.", "error")
    elif ButtonForm().validate_on_submit():
        feedback.unhide_course_review(review, current_user)
        db.session.commit()
        flash("Review shown again.", "success")
    return redirect(url_for("peers.course_reviews", slug=slug) + f"#course-review-{review.id}")


# --- Course wishes -------------------------------------------------------------------------------------


@bp.route("/wishes/", methods=["GET", "POST"])
@login_required
def wishes():
    form = WishForm()
    duplicate = None
    if form.validate_on_submit():
        if is_throttled("POSTING_LIMIT", f"wish:{current_user.id}"):
            abort(429)
        record_hit("POSTING_LIMIT", f"wish:{current_user.id}")
        try:
            feedback.propose_wish(current_user, form.title.data, form.why.data)
        except feedback.DuplicateWish as error:
            db.session.rollback()
            # Shown next to the form, which keeps what was typed; the existing wish gets a vote button there.
            form.title.errors.append(str(error))
            duplicate = error.wish
        else:
            db.session.commit()
            flash("Your wish is on the list, with your vote.", "success")
            return redirect(url_for("peers.wishes"))
    pagination, voted = feedback.ranked_wishes(current_user, page=query_int("page", 1))
    status_form = None
    if current_user.is_instructor:
        status_form = WishStatusForm()
        status_form.course_id.choices = [(0, "— choose a course —")] + feedback.publishable_courses()
    return render_template("peers/wishes.html", form=form, pagination=pagination, voted=voted,
                           status_form=status_form, button_form=ButtonForm(), duplicate=duplicate,
                           voted_for_duplicate=duplicate is not None and feedback.has_voted(duplicate, current_user))  # fmt: skip


def _load_wish(wish_id):
    wish = db.session.get(CourseWish, wish_id)
    if wish is None:
        abort(404)
    return wish


@bp.route("/wishes/<int:wish_id>/vote", methods=["POST"])
@login_required
def vote_wish(wish_id):
    wish = _load_wish(wish_id)
    if ButtonForm().validate_on_submit():
        voting = feedback.toggle_vote(wish, current_user)
        db.session.commit()
        flash("Vote counted." if voting else "Vote taken back.", "success")
    return redirect(url_for("peers.wishes") + f"#wish-{wish.id}")


@bp.route("/wishes/<int:wish_id>/status", methods=["POST"])
@login_required
def update_wish(wish_id):
    if not current_user.is_instructor:
        abort(403)
    wish = _load_wish(wish_id)
    form = WishStatusForm()
    form.course_id.choices = [(0, "")] + feedback.publishable_courses()
    if form.validate_on_submit():
        try:
            feedback.update_wish(wish, current_user, form.status.data, form.course_id.data or None)
        except feedback.WishUnchanged as unchanged:
            flash(str(unchanged), "info")
        except feedback.FeedbackError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash("Wish updated; its voters have been told.", "success")
    else:
        flash("Choose a status (and a course for an available wish).", "error")
    return redirect(url_for("peers.wishes") + f"#wish-{wish.id}")
