"""Enrolment rules, in one place: policies (open/key/approval), windows, capacity and the waitlist.

Seats are counted in Course.enrolled_count, which only changes here and only while the course row is
locked (see `_lock_course`), so the course is never over capacity however many requests race.
No request or session access here: views pass in what they parsed; views commit.
"""


from flask import current_app, url_for
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash

from lms import throttle
from lms.database import utcnow
from lms.discussion import events as discussion_events
from lms.extensions import db
from lms.models import Course, CourseStaff, Enrolment, Lesson, LessonProgress, Module, Notification, User
from lms.notify import audit, notify
from lms.permissions import enrolment_in, forget_access, is_course_staff
from lms.progress.services import complete_course_if_finished
from lms.security import trimmed

KEY_LIMIT = "ENROL_KEY_FAILURE_LIMIT"
REQUEST_MAIL_LIMIT = "JOIN_REQUEST_MAIL_LIMIT"
CURRENT_STATES = ("active", "pending", "waitlisted")


class EnrolmentError(Exception):
    """A rule was broken; the message is safe to show to the user."""


class WrongKey(EnrolmentError):
    """The enrolment key did not match (shown next to the key field)."""


class KeyThrottled(EnrolmentError):
    """Too many wrong keys: the view answers 429."""


def format_date(value):
    """An enrolment window's date and time in the viewer's time zone, named (as every date on the site is shown;
    the studio's settings form converts these fields to and from its editor's zone the same way)."""
    if not value:
        return ""
    from lms.templating import local_datetime, user_timezone

    return f"{local_datetime(value)} ({user_timezone().key})"


def window_problem(course, now=None):
    """Why enrolment is closed right now (with the dates), or None when the window is open."""
    now = now or utcnow()
    if course.enrol_opens_at and now < course.enrol_opens_at:
        return f"Enrolment opens on {format_date(course.enrol_opens_at)}."
    if course.enrol_closes_at and now > course.enrol_closes_at:
        return f"Enrolment closed on {format_date(course.enrol_closes_at)}."
    return None


def find_enrolment(course, user):
    """The learner's enrolment row in any state, or None: read with the staff check in one query and
    memoised for the request (lms/permissions.py); mutations forget it."""
    return enrolment_in(user, course)


def _key_throttle_id(course, user):
    return f"{user.id}:{course.id}"


def _lock_course(course):
    """Serialise seat changes on this course and refresh its counters from the database.

    PostgreSQL: SELECT ... FOR UPDATE on the row. SQLite has no row locks; a no-op UPDATE as the first
    write takes the database write lock (other writers wait on busy_timeout) until we commit, and the
    re-read after it sees every earlier commit.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(
            update(Course).where(Course.id == course.id).values(enrolled_count=Course.enrolled_count),
            execution_options={"synchronize_session": False},
        )
        db.session.execute(
            select(Course).where(Course.id == course.id).execution_options(populate_existing=True)
        ).scalar_one()
    else:
        db.session.execute(
            select(Course).where(Course.id == course.id).with_for_update().execution_options(populate_existing=True)
        ).scalar_one()
    return course


def _has_free_seat(course):
    return course.capacity is None or course.enrolled_count < course.capacity


def _activate(enrolment, course, now):
    returning = enrolment.enrolled_at is not None
    enrolment.status = "active"
    # The first activation starts the drip clock; a returning learner keeps theirs (and their progress).
    enrolment.enrolled_at = enrolment.enrolled_at or now
    enrolment.ended_at = None
    course.enrolled_count += 1
    if returning and enrolment.completed_at is None:
        # The studio may have archived the only lessons they had left while they were away (which completes
        # active learners only): no "mark done" is left to finish the course, so it finishes now.
        db.session.flush()
        complete_course_if_finished(enrolment.user, course.id, now)


def _site_path(endpoint, **values):
    return current_app.url_map.bind("localhost").build(endpoint, values)


def page_path(endpoint, **values):
    """A site path for notifications; works outside a request too (CLI demo seeding, worker threads)."""
    try:
        return url_for(endpoint, **values)
    except RuntimeError:
        return _site_path(endpoint, **values)


def _course_url(course):
    return page_path("enrolment.course_page", slug=course.slug)


def still_current(course, enrolment):
    """Whether an enrolment in a current state still stands. A request to join waits for the staff only while
    the course asks for approval: once they open enrolment (or ask for a key) the learner enrols the new way,
    reusing the row, instead of waiting on a request nobody will decide."""
    if enrolment.status == "pending":
        return course.enrolment_policy == "approval"
    return enrolment.status in CURRENT_STATES


def enrol_learner(course, user, key=None):
    """Enrol, request to join or join the waitlist; returns the Enrolment (status active/pending/waitlisted).

    Enrolling again while already in is harmless: the existing row comes back unchanged.
    """
    forget_access()  # this request's memoised enrolment answers are about to change
    if course.status != "published":
        raise EnrolmentError("This course is not open for enrolment.")
    existing = find_enrolment(course, user)
    if existing is not None and still_current(course, existing):
        return existing
    if existing is not None and existing.status == "removed":
        raise EnrolmentError("The course staff removed you from this course. Please contact them to rejoin.")
    if is_course_staff(user, course):
        # Staff open every lesson without a seat; as learners they would take one and count among the learners
        # (catalog, roster, analytics). The course page offers them no enrol button: this is a form sent anyway.
        raise EnrolmentError("You teach this course: its lessons are open to you without enrolling.")
    problem = window_problem(course)
    if problem:
        raise EnrolmentError(problem)
    if course.enrolment_policy == "key":
        _check_key(course, user, key)

    now = utcnow()
    _lock_course(course)
    # Another request of the same learner may have won the race while we waited for the lock.
    enrolment = db.session.execute(
        select(Enrolment)
        .where(Enrolment.course_id == course.id, Enrolment.user_id == user.id)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if enrolment is not None and still_current(course, enrolment):
        return enrolment
    if enrolment is None:
        enrolment = Enrolment(course_id=course.id, user_id=user.id)
        db.session.add(enrolment)
    # Re-joining after withdrawal reuses the row; its place in any queue starts now.
    enrolment.requested_at = now
    enrolment.decided_at = None
    enrolment.ended_at = None

    if course.enrolment_policy == "approval":
        enrolment.status = "pending"
    elif _has_free_seat(course):
        _activate(enrolment, course, now)
    else:
        enrolment.status = "waitlisted"
    db.session.flush()
    if enrolment.status == "pending":
        _tell_staff_about_request(course, enrolment, user)
    return enrolment


def _check_key(course, user, key):
    throttle_id = _key_throttle_id(course, user)
    if throttle.is_throttled(KEY_LIMIT, throttle_id):
        raise KeyThrottled("Too many wrong keys. Please wait a few minutes and try again.")
    # Compared without blank or invisible characters at either end, as the studio saves it (security.trimmed):
    # only spaces is no key, and no wrong guess.
    key = trimmed(key or "")
    if not key:
        raise WrongKey("Please enter the enrolment key your instructor gave you.")
    # check_password_hash compares in constant time.
    if not course.enrolment_key_hash or not check_password_hash(course.enrolment_key_hash, key):
        throttle.record_hit(KEY_LIMIT, throttle_id)
        raise WrongKey("That key is not right for this course. Check it with your instructor.")


def approvers(course):
    """Who can decide a request to join: the course staff (owner and co-instructors) with an active account."""
    return db.session.scalars(
        select(User)
        .join(CourseStaff, CourseStaff.user_id == User.id)
        .where(CourseStaff.course_id == course.id, User.active.is_(True))
        .order_by(User.id)
    ).all()


def _request_anchor(enrolment):
    # The roster row of the request: the notice links there, and a cancelled request finds its notices by it.
    return f"#enrolment-{enrolment.id}"


def _tell_staff_about_request(course, enrolment, learner):
    """Every staff member who can approve hears of the request. Asking, cancelling and asking again brings the
    notice back to their bell, but e-mails them once per REQUEST_MAIL_LIMIT window and learner: a learner
    repeating request and cancel must not flood the staff's inbox."""
    mail_key = (learner.id, course.id)
    send_email = not throttle.is_throttled(REQUEST_MAIL_LIMIT, *mail_key)
    if send_email:
        throttle.record_hit(REQUEST_MAIL_LIMIT, *mail_key)
    url = page_path("enrolment.roster", slug=course.slug) + _request_anchor(enrolment)
    for member in approvers(course):
        if member.id != learner.id:
            notify(member, "enrolment_request", f"{learner.display_name} asked to join {course.title}.", url,
                   actor=learner, send_email=send_email)  # fmt: skip


def _forget_request_notices(course, enrolment):
    """A request was cancelled or decided: the staff's unread notices about it go, so nobody looks for a request
    that no longer waits (read ones stay, as history)."""
    staff_ids = select(CourseStaff.user_id).where(CourseStaff.course_id == course.id)
    db.session.execute(
        delete(Notification).where(
            Notification.user_id.in_(staff_ids),  # the notices' index is by user
            Notification.kind == "enrolment_request",
            Notification.read_at.is_(None),
            Notification.url.endswith(_request_anchor(enrolment), autoescape=True),
        ),
        execution_options={"synchronize_session": False},
    )


def forget_request_notices_of(course, staff_member):
    """Someone left the course's staff: their unread notices of its join requests go (they link to its roster)."""
    db.session.execute(
        delete(Notification).where(
            Notification.user_id == staff_member.id,
            Notification.kind == "enrolment_request",
            Notification.read_at.is_(None),
            # The roster's path whether the notice was made in a request (a path) or not (a full address).
            Notification.url.contains(_site_path("enrolment.roster", slug=course.slug) + "#", autoescape=True),
        ),
        execution_options={"synchronize_session": False},
    )


def lapse_requests(course):
    """The course stopped asking for approval, so its pending requests no longer wait for a decision
    (still_current): each learner, promised word of one, is told to enrol the new way, and the staff's unread
    notices about the requests go. Switching back to approval revives the requests (and the roster lists them)."""
    pending = db.session.scalars(
        select(Enrolment)
        .options(joinedload(Enrolment.user))
        .where(Enrolment.course_id == course.id, Enrolment.status == "pending")
    ).all()
    if not pending:
        return []
    roster = page_path("enrolment.roster", slug=course.slug)
    staff_ids = select(CourseStaff.user_id).where(CourseStaff.course_id == course.id)
    db.session.execute(
        delete(Notification).where(
            Notification.user_id.in_(staff_ids),
            Notification.kind == "enrolment_request",
            Notification.read_at.is_(None),
            Notification.url.in_([roster + _request_anchor(enrolment) for enrolment in pending]),
        ),
        execution_options={"synchronize_session": False},
    )
    how = "enrol from the course page"
    if course.enrolment_policy == "key":
        how += " with the enrolment key your instructor gives you"
    for enrolment in pending:
        notify(enrolment.user, "enrolment_lapsed", f"{course.title} no longer needs the staff's approval: {how}.",
               _course_url(course))  # fmt: skip
    return pending


def _waiting_in_line(course_id):
    """The waitlist places that can take a seat: a deactivated account keeps its place (it may be reactivated)
    but neither takes a seat nor counts in the positions the others are told."""
    return (
        select(Enrolment)
        .join(User, User.id == Enrolment.user_id)
        .where(Enrolment.course_id == course_id, Enrolment.status == "waitlisted", User.active.is_(True))
    )


def waitlist_position(enrolment):
    """1 for the first in line."""
    ahead = _waiting_in_line(enrolment.course_id).where(Enrolment.requested_at < enrolment.requested_at)
    return 1 + db.session.scalar(ahead.with_only_columns(func.count(Enrolment.id)))


def withdraw(course, user):
    """Leave a course, or cancel a pending request or waitlist place. Progress rows are kept."""
    forget_access()  # this request's memoised enrolment answers are about to change
    enrolment = find_enrolment(course, user)
    if enrolment is None or enrolment.status not in CURRENT_STATES:
        raise EnrolmentError("You are not enrolled in this course.")
    _lock_course(course)
    db.session.refresh(enrolment)
    was = enrolment.status
    enrolment.status = "withdrawn"
    enrolment.ended_at = utcnow()
    if was == "pending":
        _forget_request_notices(course, enrolment)
    if was == "active":
        course.enrolled_count = max(0, course.enrolled_count - 1)
        promote_waitlist(course)
    db.session.flush()
    discussion_events.left_course(course, user)
    return enrolment


def _seat_or_waitlist(enrolment, course):
    """Staff let someone in (approve, readmit): a free seat, else the end of the waitlist. True when seated.
    The caller holds the course lock."""
    now = utcnow()
    enrolment.decided_at = now
    if _has_free_seat(course):
        _activate(enrolment, course, now)
        return True
    enrolment.status, enrolment.requested_at, enrolment.ended_at = "waitlisted", now, None
    return False


def approve(course, enrolment, actor):
    """Staff accept a pending request; with no free seat the learner goes on the waitlist instead."""
    forget_access()  # this request's memoised enrolment answers are about to change
    if enrolment.status != "pending":
        raise EnrolmentError("Only pending requests can be approved.")
    _lock_course(course)
    if _seat_or_waitlist(enrolment, course):
        message = f"You are in: your request to join {course.title} was approved."
    else:
        message = f"Your request to join {course.title} was approved; the course is full, so you are on the waitlist."
    _forget_request_notices(course, enrolment)
    audit(actor, "enrolment.approve", target=enrolment, course=course, detail=enrolment.user.email)
    notify(enrolment.user, "enrolment_approved", message, _course_url(course))
    db.session.flush()
    return enrolment


def decline(course, enrolment, actor):
    """Staff turn down a pending request or a waitlist place (no seat is freed)."""
    forget_access()  # this request's memoised enrolment answers are about to change
    if enrolment.status not in ("pending", "waitlisted"):
        raise EnrolmentError("Only pending requests and waitlist places can be declined.")
    if enrolment.status == "pending":
        _forget_request_notices(course, enrolment)
    enrolment.status = "declined"
    enrolment.decided_at = enrolment.ended_at = utcnow()
    audit(actor, "enrolment.decline", target=enrolment, course=course, detail=enrolment.user.email)
    notify(enrolment.user, "enrolment_declined", f"Your request to join {course.title} was declined.",
           _course_url(course))  # fmt: skip
    db.session.flush()
    return enrolment


def remove(course, enrolment, actor):
    """Staff take a learner out of the course; a freed seat goes to the waitlist."""
    forget_access()  # this request's memoised enrolment answers are about to change
    if enrolment.status not in CURRENT_STATES:
        raise EnrolmentError("This learner is not in the course.")
    _lock_course(course)
    db.session.refresh(enrolment)
    was_active = enrolment.status == "active"
    enrolment.status = "removed"
    enrolment.decided_at = enrolment.ended_at = utcnow()
    if was_active:
        course.enrolled_count = max(0, course.enrolled_count - 1)
    audit(actor, "enrolment.remove", target=enrolment, course=course, detail=enrolment.user.email)
    notify(enrolment.user, "enrolment_removed", f"The course staff removed you from {course.title}.",
           _course_url(course))  # fmt: skip
    if was_active:
        promote_waitlist(course)
    db.session.flush()
    discussion_events.left_course(course, enrolment.user)
    return enrolment


def readmit(course, enrolment, actor):
    """Staff let a removed learner back in (a removal by mistake, or after they talked): their seat again, with
    their progress and drip clock, or the end of the waitlist when the course is full. Staff decide, as with
    approve, so the policy and the enrolment window do not apply."""
    forget_access()  # this request's memoised enrolment answers are about to change
    _lock_course(course)
    db.session.refresh(enrolment)
    if enrolment.status != "removed":
        raise EnrolmentError("Only removed learners can be let back in.")
    if _seat_or_waitlist(enrolment, course):
        message = f"The course staff let you back into {course.title}."
    else:
        message = f"The course staff let you back into {course.title}; it is full, so you are on the waitlist."
    audit(actor, "enrolment.readmit", target=enrolment, course=course, detail=enrolment.user.email)
    notify(enrolment.user, "enrolment_readmitted", message, _course_url(course))
    db.session.flush()
    return enrolment


def promote_waitlist(course):
    """Fill free seats from the waitlist, earliest request first. The caller holds the course lock
    (call it after raising the capacity, too). Returns the promoted enrolments."""
    forget_access()  # this request's memoised enrolment answers are about to change
    promoted = []
    now = utcnow()
    while _has_free_seat(course):
        enrolment = db.session.scalar(
            _waiting_in_line(course.id).order_by(Enrolment.requested_at, Enrolment.id).limit(1)
        )
        if enrolment is None:
            break
        _activate(enrolment, course, now)
        enrolment.decided_at = now
        db.session.flush()
        notify(enrolment.user, "enrolment_promoted", f"A seat opened up: you are now enrolled in {course.title}.",
               _course_url(course))  # fmt: skip
        promoted.append(enrolment)
    return promoted


def refill_seats(course):
    """After the capacity was raised (or removed): lock the course and give the new seats to the waitlist.

    Pending changes to the course are flushed before the lock re-reads the row, so they are kept.
    """
    _lock_course(course)
    return promote_waitlist(course)


def progress_by_user(course):
    """{user_id: percent 0-100} for every learner with progress in this course, in one grouped query."""
    if not course.lesson_count:
        return {}
    rows = db.session.execute(
        select(LessonProgress.user_id, func.count(LessonProgress.id))
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .join(Module, Module.id == Lesson.module_id)
        .where(
            LessonProgress.course_id == course.id,
            LessonProgress.completed_at.is_not(None),
            Lesson.archived_at.is_(None),
            Module.archived_at.is_(None),
        )
        .group_by(LessonProgress.user_id)
    )
    return {user_id: min(100, round(100 * done / course.lesson_count)) for user_id, done in rows}


