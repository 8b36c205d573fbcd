"""Review allocation for practice assignments ("give one, get one"): hand out the submission with the
fewest reviews that has waited longest, race-safe on PostgreSQL and SQLite, with expiring slots."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from lms.database import utcnow
from lms.extensions import db
from lms.models import Assignment, Block, Enrolment, Review, ReviewAssignment, Submission, User
from lms.peers.matching import choose_submission

DEFAULT_SLOT_MINUTES = 120
# Above this many submissions still needing reviews the allocator stays greedy (the look-ahead is
# quadratic); stragglers are then caught by the staff queue.
LOOKAHEAD_LIMIT = 60


def _slot_minutes():
    return int(current_app.config.get("PEER_REVIEW_SLOT_MINUTES", DEFAULT_SLOT_MINUTES))


def _blocked_either_way(user_id, other_id_column):
    return exists().where(
        or_(
            (Block.blocker_id == user_id) & (Block.blocked_id == other_id_column),
            (Block.blocked_id == user_id) & (Block.blocker_id == other_id_column),
        )
    )


def author_is_active_learner(course_id):
    """The submission's author is still an active learner of the course (an SQL condition on Submission).

    Someone who withdrew or was removed will not read feedback, so their responses must not take reviewers or
    staff time away from the people still taking the course (nor go first because they are the oldest).
    """
    return exists().where(
        Enrolment.user_id == Submission.user_id, Enrolment.course_id == course_id, Enrolment.status == "active",
        User.id == Submission.user_id, User.active.is_(True),
    )


def open_slot(user, assignment, now=None):
    """The reviewer's unfinished, unexpired review slot in this assignment, if any."""
    now = now or utcnow()
    return db.session.scalar(
        select(ReviewAssignment)
        .where(
            ReviewAssignment.assignment_id == assignment.id,
            ReviewAssignment.reviewer_id == user.id,
            ReviewAssignment.completed_at.is_(None),
            ReviewAssignment.released_at.is_(None),
            ReviewAssignment.expires_at > now,
        )
        .order_by(ReviewAssignment.assigned_at)
        .limit(1)
    )


def release_expired_slots(assignment_id, now=None):
    """Give the places of abandoned slots back to their submissions (each slot released exactly once)."""
    now = now or utcnow()
    expired = db.session.execute(
        select(ReviewAssignment.id, ReviewAssignment.submission_id).where(
            ReviewAssignment.assignment_id == assignment_id,
            ReviewAssignment.completed_at.is_(None),
            ReviewAssignment.released_at.is_(None),
            ReviewAssignment.expires_at <= now,
        )
    ).all()
    _release(expired, now)
    return len(expired)


def slot_blocked(slot):
    """Whether the reviewer and the response's author blocked one another since the slot was handed out."""
    author_id = select(Submission.user_id).where(Submission.id == slot.submission_id).scalar_subquery()
    return db.session.scalar(select(_blocked_either_way(slot.reviewer_id, author_id))) is True


def release_slots_of(reviewer_id, now=None):
    """The reviewer leaves for good (a deleted account): the unfinished review slots they hold go back, so their
    places go to other peers."""
    now = now or utcnow()
    slots = db.session.execute(
        select(ReviewAssignment.id, ReviewAssignment.submission_id)
        .where(ReviewAssignment.reviewer_id == reviewer_id, ReviewAssignment.completed_at.is_(None),
               ReviewAssignment.released_at.is_(None))
    ).all()  # fmt: skip
    _release(slots, now)


def _release(slots, now):
    """Give each (slot id, submission id)'s place back to its submission, each slot exactly once."""
    for slot_id, submission_id in slots:
        released = db.session.execute(
            update(ReviewAssignment)
            .where(ReviewAssignment.id == slot_id, ReviewAssignment.released_at.is_(None),
                   ReviewAssignment.completed_at.is_(None))  # fmt: skip
            .values(released_at=now)
            .execution_options(synchronize_session=False)
        )
        if released.rowcount == 1:
            _change_claims(submission_id, -1)


def release_slots_between(user_id, other_id, now=None):
    """A block between the two: the unfinished review slots either holds on the other's responses go back, so
    their places go to other peers (blocked people are never handed each other's responses)."""
    now = now or utcnow()
    slots = db.session.execute(
        select(ReviewAssignment.id, ReviewAssignment.submission_id)
        .join(Submission, Submission.id == ReviewAssignment.submission_id)
        .where(ReviewAssignment.completed_at.is_(None), ReviewAssignment.released_at.is_(None),
               or_((ReviewAssignment.reviewer_id == user_id) & (Submission.user_id == other_id),
                   (ReviewAssignment.reviewer_id == other_id) & (Submission.user_id == user_id)))
    ).all()  # fmt: skip
    _release(slots, now)
    return len(slots)


def _change_claims(submission_id, delta):
    db.session.execute(
        update(Submission)
        .where(Submission.id == submission_id)
        .values(reviews_claimed=func.max(Submission.reviews_claimed + delta, 0)
                if db.engine.dialect.name == "sqlite" else func.greatest(Submission.reviews_claimed + delta, 0))
        .execution_options(synchronize_session=False)
    )


def _claim(submission_id, required, now):
    """Take one review place of a submission if it still has one: an atomic conditional UPDATE.

    On PostgreSQL a concurrent claimer waits for the row lock and then re-checks the condition; on SQLite
    the write lock serialises claims. Either way a submission never gets more slots than it needs.
    """
    result = db.session.execute(
        update(Submission)
        .where(Submission.id == submission_id, Submission.reviews_claimed < required)
        .values(reviews_claimed=Submission.reviews_claimed + 1,
                review_started_at=func.coalesce(Submission.review_started_at, now))  # fmt: skip
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def allocate_review(user, assignment, now=None):
    """Hand the reviewer a submission to review: their open slot if they have one, else the submission that
    has the fewest reviews and has waited longest (never their own, never one they reviewed or were handed
    before, never a blocked peer's), skipping a choice that would strand another learner with nothing but
    their own work to review. Returns the ReviewAssignment, or None when nothing needs a review now.
    """
    now = now or utcnow()
    _lock_allocations(assignment)
    current = open_slot(user, assignment, now)
    if current is not None:
        return current
    release_expired_slots(assignment.id, now)
    required = assignment.reviews_required
    candidates = db.session.execute(
        select(Submission.id, Submission.user_id, Submission.reviews_claimed)
        .where(
            Submission.assignment_id == assignment.id,
            Submission.submitted_at.is_not(None),
            Submission.user_id != user.id,
            Submission.reviews_claimed < required,
            ~exists().where(ReviewAssignment.submission_id == Submission.id, ReviewAssignment.reviewer_id == user.id),
            ~exists().where(Review.submission_id == Submission.id, Review.reviewer_id == user.id),
            ~_blocked_either_way(user.id, Submission.user_id),
            author_is_active_learner(assignment.course_id),
        )
        .order_by(Submission.reviews_claimed, Submission.submitted_at, Submission.id)
        .limit(LOOKAHEAD_LIMIT + 1)
    ).all()
    ordered = [row.id for row in candidates]
    best = _lookahead_choice(user, assignment, ordered) if 0 < len(ordered) <= LOOKAHEAD_LIMIT else None
    for submission_id in ([best] if best else []) + [s for s in ordered if s != best]:
        if not _claim(submission_id, required, now):
            continue  # its last place went to a slot handed out meanwhile: try the next one
        slot = ReviewAssignment(assignment_id=assignment.id, submission_id=submission_id, reviewer_id=user.id,
                                assigned_at=now, expires_at=now + timedelta(minutes=_slot_minutes()))  # fmt: skip
        db.session.add(slot)
        try:
            db.session.flush()
        except IntegrityError:
            # The same reviewer asked twice at once (double click, two tabs): the other request won.
            db.session.rollback()
            return open_slot(user, assignment, now)
        return slot
    return None


def _lock_allocations(assignment):
    db.session.execute(
        update(Assignment).where(Assignment.id == assignment.id)
        .values(allocations=Assignment.allocations + 1, updated_at=Assignment.updated_at)
        .execution_options(synchronize_session=False)
    )  # fmt: skip


def _lookahead_choice(user, assignment, ordered):
    """The best candidate that keeps every waiting reviewer matchable (see lms.peers.matching), or None."""
    required = assignment.reviews_required
    open_needs = db.session.execute(
        select(Submission.id, Submission.reviews_claimed).where(
            Submission.assignment_id == assignment.id, Submission.submitted_at.is_not(None),
            Submission.reviews_claimed < required, author_is_active_learner(assignment.course_id))
        .limit(LOOKAHEAD_LIMIT + 1)
    ).all()  # fmt: skip
    if len(open_needs) > LOOKAHEAD_LIMIT:
        return None
    capacity = {sid: required - claimed for sid, claimed in open_needs}
    taken = func.count(ReviewAssignment.id)
    owing = db.session.execute(
        select(Submission.user_id, taken)
        .outerjoin(ReviewAssignment, (ReviewAssignment.reviewer_id == Submission.user_id)
                   & (ReviewAssignment.assignment_id == assignment.id) & ReviewAssignment.released_at.is_(None))
        .where(Submission.assignment_id == assignment.id, Submission.submitted_at.is_not(None))
        .group_by(Submission.user_id)
        .having(taken < required)
        .limit(LOOKAHEAD_LIMIT * 3)
    ).all()  # fmt: skip
    needs = {uid: required - count for uid, count in owing}
    needs[user.id] = max(needs.get(user.id, 1), 1)
    authors = dict(db.session.execute(
        select(Submission.id, Submission.user_id).where(Submission.id.in_(list(capacity)))
    ).all())  # fmt: skip
    done = set(db.session.execute(
        select(ReviewAssignment.reviewer_id, ReviewAssignment.submission_id).where(
            ReviewAssignment.submission_id.in_(list(capacity)), ReviewAssignment.reviewer_id.in_(list(needs)))
    ).all())  # fmt: skip
    return choose_submission(user.id, ordered, needs, capacity,
                             lambda reviewer, sid: authors.get(sid) != reviewer and (reviewer, sid) not in done)
