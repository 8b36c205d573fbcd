"""Peer rules for practice assignments: the rubric, submissions, "give one, get one" review allocation,
feedback visibility, the turnaround promise (overdue work goes to staff) and the lesson-done rule.

Also holds the contract functions other features call: completion_blocker, assignment_panel,
course_reviews_summary (the latter lives in lms.peers.feedback and is re-exported here).
"""

from datetime import timedelta

from flask import current_app, url_for
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload, selectinload

from lms.content import render_markdown
from lms.discussion.people import path_for
from lms.database import utcnow
from lms.extensions import db
from lms.models import (
    Assignment,
    CourseStaff,
    Review,
    ReviewAssignment,
    ReviewScore,
    RubricCriterion,
    Submission,
    User,
)
from lms.notify import audit, notify
from lms.peers.allocation import (  # noqa: F401  (allocation is part of this module's interface)
    _change_claims,
    _claim,
    allocate_review,
    author_is_active_learner,
    open_slot,
    release_expired_slots,
    slot_blocked,
)
from lms.permissions import can_take_course, is_course_staff



class PeerError(Exception):
    """A peer rule was broken; the message is safe to show to the user."""


# --- Assignments (studio) -------------------------------------------------------------------------------


def assignment_for_lesson(lesson_id):
    return db.session.scalar(
        select(Assignment).where(Assignment.lesson_id == lesson_id).options(selectinload(Assignment.criteria))
    )


def save_assignment(lesson, prompt_md, reviews_required, criteria):
    """Create or update the lesson's assignment. criteria: [{"title", "levels": [4 descriptions]}], 2-5 of them;
    None in the list clears the criterion saved in that place (the editor's cleared row).

    Criteria are updated in place by position, so scores already given on a criterion stay attached; one that
    peers have scored cannot be cleared (their scores on it would go).
    """
    if not 2 <= sum(spec is not None for spec in criteria) <= 5:
        raise PeerError("A rubric needs 2 to 5 criteria.")
    assignment = assignment_for_lesson(lesson.id)
    if assignment is None:
        assignment = Assignment(lesson_id=lesson.id, course_id=lesson.course_id)
        db.session.add(assignment)
    existing = list(assignment.criteria)
    cleared = [row for position, row in enumerate(existing) if position >= len(criteria) or criteria[position] is None]
    scored = _scored_criteria(cleared)
    if scored:
        raise PeerError(f"Peers have already scored “{scored[0].title}” in their reviews: reword it rather than clear "
                        "it, so their scores on it are kept.")  # fmt: skip
    assignment.prompt_md = prompt_md
    assignment.prompt_html = str(render_markdown(prompt_md))
    assignment.reviews_required = reviews_required
    rows = []
    for position, spec in enumerate(criteria):
        if spec is None:
            continue
        row = existing[position] if position < len(existing) else RubricCriterion()
        row.title = spec["title"]
        row.level_1, row.level_2, row.level_3, row.level_4 = spec["levels"]
        rows.append(row)
    for position, row in enumerate(rows):
        row.position = position
    assignment.criteria = rows
    db.session.flush()
    return assignment


def _scored_criteria(criteria):
    """Those of `criteria` that some review gave a score on."""
    ids = [row.id for row in criteria if row.id is not None]
    if not ids:
        return []
    scored = set(db.session.scalars(select(ReviewScore.criterion_id).where(ReviewScore.criterion_id.in_(ids))))
    return [row for row in criteria if row.id in scored]


# --- Submissions ----------------------------------------------------------------------------------------


def submission_of(user, assignment):
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        select(Submission).where(Submission.assignment_id == assignment.id, Submission.user_id == user.id)
    )


def save_submission(user, assignment, body_md, *, submit):
    """Save a draft or submit. Refused once the first review has started (the response is then frozen)."""
    submission = submission_of(user, assignment)
    body_html = str(render_markdown(body_md, ugc=True))
    now = utcnow()
    if submission is None:
        submission = Submission(assignment_id=assignment.id, user_id=user.id, body_md=body_md, body_html=body_html,
                                submitted_at=now if submit else None)  # fmt: skip
        db.session.add(submission)
        db.session.flush()
        return submission
    values = {"body_md": body_md, "body_html": body_html, "updated_at": now}
    if submit and submission.submitted_at is None:
        values["submitted_at"] = now
    # Conditional, so a reviewer who was handed this response a moment ago reviews exactly what they see.
    result = db.session.execute(
        update(Submission)
        .where(Submission.id == submission.id, Submission.review_started_at.is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(submission)
    if result.rowcount != 1:
        raise PeerError("A peer has started reviewing your response, so it can no longer be changed.")
    return submission


def _validate_scores(assignment, scores):
    wanted = {c.id for c in assignment.criteria}
    if set(scores) != wanted or any(not isinstance(v, int) or not 1 <= v <= 4 for v in scores.values()):
        raise PeerError("Score every criterion from 1 to 4.")


BLOCKED_SLOT = "This response is no longer yours to review. Ask for another one."


def submit_review(slot, reviewer, scores, comment_md, now=None):
    """Finish a review slot. A late reviewer whose slot expired still gets in if a place is free."""
    now = now or utcnow()
    submission = db.session.get(Submission, slot.submission_id)
    assignment = db.session.get(Assignment, slot.assignment_id)
    _validate_scores(assignment, scores)
    if slot.reviewer_id != reviewer.id or slot.completed_at is not None:
        raise PeerError("You have already reviewed this response.")
    if slot_blocked(slot):
        raise PeerError(BLOCKED_SLOT)
    finished = db.session.execute(
        update(ReviewAssignment)
        .where(ReviewAssignment.id == slot.id, ReviewAssignment.completed_at.is_(None),
               ReviewAssignment.released_at.is_(None))  # fmt: skip
        .values(completed_at=now)
        .execution_options(synchronize_session=False)
    )
    if finished.rowcount != 1:
        if not _claim(submission.id, assignment.reviews_required, now):
            raise PeerError("Your review slot expired and other peers have reviewed this response meanwhile. "
                            "Thank you! Ask for another response to review.")  # fmt: skip
        db.session.execute(
            update(ReviewAssignment).where(ReviewAssignment.id == slot.id)
            .values(completed_at=now, released_at=None).execution_options(synchronize_session=False)
        )  # fmt: skip
    review = _add_review(assignment, submission, reviewer, scores, comment_md, now, by_staff=False)
    db.session.refresh(slot)
    return review


def _add_review(assignment, submission, reviewer, scores, comment_md, now, *, by_staff):
    review = Review(assignment_id=assignment.id, submission_id=submission.id, reviewer_id=reviewer.id,
                    by_staff=by_staff, comment_md=comment_md, comment_html=str(render_markdown(comment_md, ugc=True)),
                    created_at=now)  # fmt: skip
    review.scores = [ReviewScore(criterion_id=cid, score=value) for cid, value in scores.items()]
    db.session.add(review)
    db.session.execute(
        update(Submission).where(Submission.id == submission.id)
        .values(review_count=Submission.review_count + 1).execution_options(synchronize_session=False)
    )  # fmt: skip
    db.session.flush()
    db.session.refresh(submission)
    author = db.session.get(User, submission.user_id)
    lesson = assignment.lesson
    # Anonymous to the author: the message never names the reviewer.
    who = "Course staff" if by_staff else "A peer"
    notify(author, "peer_review", f'{who} reviewed your practice response for "{lesson.title}".',
           path_for("peers.practice", slug=lesson.course.slug, lesson_id=lesson.id))  # fmt: skip
    return review


def staff_review(staff, submission, scores, comment_md, now=None):
    """Staff review an (overdue) submission; it counts towards the reviews the submission needs."""
    now = now or utcnow()
    assignment = submission.assignment
    _validate_scores(assignment, scores)
    if db.session.scalar(select(Review.id).where(Review.submission_id == submission.id, Review.reviewer_id == staff.id)):
        raise PeerError("You have already reviewed this response.")
    _change_claims(submission.id, +1)
    review = _add_review(assignment, submission, staff, scores, comment_md, now, by_staff=True)
    audit(staff, "peer.staff_review", target=submission, course=assignment.lesson.course)
    return review


# --- Feedback for the author ---------------------------------------------------------------------------


def reviews_given(user, assignment):
    """Peer reviews that count for "give one, get one": one hidden by staff (abusive) gives nothing."""
    return db.session.scalar(
        select(func.count(Review.id)).where(
            Review.assignment_id == assignment.id, Review.reviewer_id == user.id, Review.by_staff.is_(False),
            Review.hidden_at.is_(None),
        )
    )


def feedback_visible(user, assignment, given=None):
    """Give one, get one: the author sees their feedback once they gave as many reviews as they need."""
    given = reviews_given(user, assignment) if given is None else given
    return given >= assignment.reviews_required


def labelled_reviews(submission, *, include_hidden=False):
    """[(label, review)] with anonymous labels ("Peer reviewer 1", "Course staff") in the order given."""
    query = select(Review).where(Review.submission_id == submission.id).order_by(Review.created_at, Review.id)
    if not include_hidden:
        query = query.where(Review.hidden_at.is_(None))
    labelled, n = [], 0
    # Each card shows the review's scores: loaded for all of them at once, not one query per card.
    for review in db.session.scalars(query.options(joinedload(Review.reviewer), selectinload(Review.scores))):
        if review.by_staff:
            labelled.append(("Course staff", review))
        else:
            n += 1
            labelled.append((f"Peer reviewer {n}", review))
    return labelled


def reviews_by(reviewer, assignment):
    """[(label, review)] the reviewer gave in this assignment, oldest first: where they read the author's reply
    and whether it helped. Hidden ones stay, marked, so the reviewer learns why."""
    reviews = db.session.scalars(
        select(Review).where(Review.assignment_id == assignment.id, Review.reviewer_id == reviewer.id)
        .order_by(Review.created_at, Review.id)
        .options(selectinload(Review.scores))  # each card shows its scores: one query for all of them
    ).all()
    return [(f"Your review {n}", review) for n, review in enumerate(reviews, start=1)]


def mark_helpful(review, author):
    if review.submission.user_id != author.id:
        raise PeerError("Only the author can mark a review helpful.")
    review.helpful_at = None if review.helpful_at else utcnow()


def reply_to_review(review, author, text):
    if review.submission.user_id != author.id:
        raise PeerError("Only the author can reply to a review.")
    if review.replied_at is not None:
        raise PeerError("You have already replied to this review.")
    review.reply_md = text
    review.reply_html = str(render_markdown(text, ugc=True))
    review.replied_at = utcnow()
    if review.reviewer is not None:
        lesson = review.submission.assignment.lesson
        url = path_for("peers.practice", slug=lesson.course.slug, lesson_id=lesson.id) + f"#review-{review.id}"
        notify(review.reviewer, "peer_review_reply", f'The author replied to your review in "{lesson.title}".', url)


def hide_review(review, staff, reason):
    """Hide an abusive review; the submission gets its place back so another reviewer can fill it."""
    if review.hidden_at is not None:
        return
    review.hidden_at = utcnow()
    review.hidden_reason = reason
    db.session.execute(
        update(Submission).where(Submission.id == review.submission_id)
        .values(review_count=Submission.review_count - 1).execution_options(synchronize_session=False)
    )  # fmt: skip
    _change_claims(review.submission_id, -1)
    db.session.refresh(review.submission)
    audit(staff, "peer.hide_review", target=review, course=review.submission.assignment.lesson.course, detail=reason)


# --- Turnaround promise --------------------------------------------------------------------------------


def assign_overdue_reviews(now=None):
    """Send submissions still short of reviews after PEER_REVIEW_DEADLINE_HOURS to the staff queue, once.

    Returns how many moved. Course staff get one notification per course.
    """
    now = now or utcnow()
    cutoff = now - timedelta(hours=int(current_app.config.get("PEER_REVIEW_DEADLINE_HOURS", 48)))
    rows = db.session.execute(
        select(Submission.id, Assignment.course_id)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .where(Submission.submitted_at.is_not(None), Submission.submitted_at <= cutoff,
               Submission.sent_to_staff_at.is_(None), Submission.review_count < Assignment.reviews_required,
               author_is_active_learner(Assignment.course_id))  # fmt: skip
    ).all()
    by_course = {}
    for submission_id, course_id in rows:
        by_course.setdefault(course_id, []).append(submission_id)
    moved = 0
    from lms.models import Course

    for course_id, ids in by_course.items():
        # Conditional, so two overlapping cron runs never move (or announce) the same submission twice.
        result = db.session.execute(
            update(Submission).where(Submission.id.in_(ids), Submission.sent_to_staff_at.is_(None))
            .values(sent_to_staff_at=now).execution_options(synchronize_session=False)
        )  # fmt: skip
        if not result.rowcount:
            continue
        moved += result.rowcount
        course = db.session.get(Course, course_id)
        staff = db.session.scalars(select(User).join(CourseStaff, CourseStaff.user_id == User.id)
                                   .where(CourseStaff.course_id == course_id)).all()  # fmt: skip
        responses = "1 practice response" if result.rowcount == 1 else f"{result.rowcount} practice responses"
        verbs = "waited too long for peer reviews and needs" if result.rowcount == 1 else "waited too long for peer reviews and need"
        for member in staff:
            notify(member, "peer_overdue", f"{responses} in {course.title} {verbs} a staff review.",
                   path_for("peers.review_queue", slug=course.slug))  # fmt: skip
    db.session.flush()
    return moved


def review_queue(course, staff_user, now=None):
    """Overdue submissions of a course still short of reviews, oldest first, with how long each has waited."""
    now = now or utcnow()
    submissions = db.session.scalars(
        select(Submission)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .where(Assignment.course_id == course.id, Submission.sent_to_staff_at.is_not(None),
               Submission.review_count < Assignment.reviews_required, author_is_active_learner(course.id))  # fmt: skip
        .options(joinedload(Submission.user), joinedload(Submission.assignment).joinedload(Assignment.lesson))
        .order_by(Submission.submitted_at)
        .limit(200)
    ).all()
    mine = set(db.session.scalars(
        select(Review.submission_id).where(Review.reviewer_id == staff_user.id,
                                           Review.submission_id.in_([s.id for s in submissions]))
    )) if submissions else set()  # fmt: skip
    return [
        {"submission": s, "waited_hours": int((now - s.submitted_at).total_seconds() // 3600),
         "reviewed_by_me": s.id in mine}
        for s in submissions
    ]  # fmt: skip


def recent_course_reviews(course, limit=30):
    """The latest peer reviews in a course, with reviewer and author names (staff only)."""
    return db.session.scalars(
        select(Review)
        .join(Assignment, Assignment.id == Review.assignment_id)
        .where(Assignment.course_id == course.id)
        .options(joinedload(Review.reviewer), joinedload(Review.submission).joinedload(Submission.user),
                 joinedload(Review.submission).joinedload(Submission.assignment).joinedload(Assignment.lesson))
        .order_by(Review.created_at.desc())
        .limit(limit)
    ).all()  # fmt: skip


# --- Contract functions -----------------------------------------------------------------------------------


def completion_blocker(user, lesson):
    """Why this lesson cannot be marked done yet (the practice assignment), or None."""
    assignment = db.session.scalar(select(Assignment).where(Assignment.lesson_id == lesson.id))
    if assignment is None or is_course_staff(user, lesson.course):
        return None
    submission = submission_of(user, assignment)
    given = reviews_given(user, assignment) if submission is not None else 0
    if submission is not None and submission.is_submitted and given >= assignment.reviews_required:
        return None
    needed = assignment.reviews_required
    peers = "peer" if needed == 1 else "peers"
    if submission is None or not submission.is_submitted:
        return f"Submit your practice response and review {needed} {peers} to finish this lesson."
    remaining = needed - given
    return f"Review {remaining} more {'peer' if remaining == 1 else 'peers'} to finish this lesson."


def assignment_panel(user, lesson):
    """Context for templates/peers/_lesson_assignment.html under a lesson, or None when it has none."""
    assignment = assignment_for_lesson(lesson.id)
    if assignment is None:
        return None
    course = lesson.course
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    submission = submission_of(user, assignment) if authenticated else None
    given = reviews_given(user, assignment) if submission is not None else 0
    staff = authenticated and is_course_staff(user, course)
    state = "none" if submission is None else ("submitted" if submission.is_submitted else "draft")
    return {
        "assignment": assignment,
        "prompt_html": assignment.prompt_html,
        "criteria": assignment.criteria,
        "reviews_required": assignment.reviews_required,
        "submission": submission,
        "state": state,
        "reviews_given": given,
        "reviews_received": submission.review_count if submission else 0,
        "feedback_visible": bool(submission) and given >= assignment.reviews_required,
        "can_take_part": authenticated and can_take_course(user, course) and not staff,
        "is_staff": staff,
        "practice_url": url_for("peers.practice", slug=course.slug, lesson_id=lesson.id),
        "review_url": url_for("peers.next_review", slug=course.slug, lesson_id=lesson.id),
        "edit_url": url_for("peers.edit_assignment", slug=course.slug, lesson_id=lesson.id) if staff else None,
        "queue_url": url_for("peers.review_queue", slug=course.slug) if staff else None,
        "blocker": completion_blocker(user, lesson) if authenticated and not staff else None,
    }


def course_reviews_summary(course, viewer=None):
    """Context for templates/peers/_course_reviews.html on the course page, or None."""
    from lms.peers.feedback import course_reviews_summary as summary

    return summary(course, viewer)
