"""Peer rules for the course people directory: who is listed, progress in one grouped query, connection
requests, blocks, reports and study-partner matching."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from lms.database import starts_a_word, utcnow
from lms.discussion import events as discussion_events
from lms.discussion.people import path_for
from lms.extensions import db
from lms.models import (
    Block,
    Connection,
    Course,
    CourseStaff,
    Enrolment,
    Lesson,
    LessonProgress,
    Module,
    PartnerRequest,
    PeerReport,
    User,
)
from lms.notify import audit, notify
from lms.peers.allocation import release_slots_between
from lms.permissions import can_take_course
from lms.progress.services import available_lessons_clause

PEOPLE_PER_PAGE = 24
PARTNER_CANDIDATES = 200
# A partner is offered when close enough (about 4 hours apart, or 2 hours a week of goal difference), or
# when the waiting learner has waited this long already: better any partner than none.
PARTNER_MAX_DISTANCE = 4
PARTNER_PATIENCE = timedelta(days=3)


class DirectoryError(Exception):
    """A rule was broken; the message is safe to show."""


def blocked_ids(user_id):
    """Everyone this user blocked or was blocked by: they never see each other in peer pages."""
    rows = db.session.execute(
        select(Block.blocker_id, Block.blocked_id).where(or_(Block.blocker_id == user_id, Block.blocked_id == user_id))
    ).all()
    return {b if a == user_id else a for a, b in rows}


def is_blocked_between(a_id, b_id):
    return db.session.scalar(
        select(Block.blocker_id).where(
            or_(and_(Block.blocker_id == a_id, Block.blocked_id == b_id),
                and_(Block.blocker_id == b_id, Block.blocked_id == a_id))
        ).limit(1)
    ) is not None  # fmt: skip


def has_blocked(blocker_id, blocked_id):
    return db.session.get(Block, (blocker_id, blocked_id)) is not None


def is_course_member(user, course):
    """Listed in (and may see) a course's people: active learners and the course's staff."""
    return db.session.scalar(
        select(Enrolment.id).where(Enrolment.course_id == course.id, Enrolment.user_id == user.id,
                                   Enrolment.status == "active")
    ) is not None or db.session.scalar(
        select(CourseStaff.user_id).where(CourseStaff.course_id == course.id, CourseStaff.user_id == user.id)
    ) is not None  # fmt: skip


def takes_part(user, course):
    """Connects, blocks, reports and pairs up in this course: a member of a course they can take
    (an enrolment row alone does not open a draft course's people to its learners)."""
    return is_course_member(user, course) and can_take_course(user, course)


def may_read_people(user, *, taking_part):
    """Those who take part, and admins: peer reports link them to the list, which they read as staff do."""
    return taking_part or user.is_admin


def progress_by_user(course, user_ids):
    """{user_id: percent} for many learners of one course in one grouped query."""
    if not user_ids:
        return {}
    rows = db.session.execute(
        select(LessonProgress.user_id, func.count(LessonProgress.id))
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .join(Module, Module.id == Lesson.module_id)
        .where(LessonProgress.course_id == course.id, LessonProgress.user_id.in_(user_ids),
               LessonProgress.completed_at.is_not(None), available_lessons_clause())
        .group_by(LessonProgress.user_id)
    ).all()  # fmt: skip
    total = course.lesson_count
    done = dict(rows)
    return {uid: (min(100, round(100 * done.get(uid, 0) / total)) if total else 0) for uid in user_ids}


def people_page(course, viewer, *, skill="", page=1):
    """Visible learners of the course (not the viewer, not blocked either way), with progress, connection
    state and, for connected peers, their website and last activity. A fixed number of queries per page."""
    hidden = blocked_ids(viewer.id) | {viewer.id}
    query = (
        select(User, Enrolment.last_activity_at)
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.course_id == course.id, Enrolment.status == "active", User.profile_visible.is_(True),
               User.active.is_(True), User.id.not_in(hidden))
        .order_by(func.lower(User.display_name), User.id)
    )  # fmt: skip
    skill = (skill or "").strip()
    if skill:
        query = query.where(starts_a_word(User.skills, skill))
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page = max(1, page)
    rows = db.session.execute(query.limit(PEOPLE_PER_PAGE).offset((page - 1) * PEOPLE_PER_PAGE)).all()
    ids = [user.id for user, _ in rows]
    progress = progress_by_user(course, ids)
    connections = connections_with(viewer.id, ids)
    people = []
    for user, last_activity in rows:
        connection = connections.get(user.id)
        connected = connection is not None and connection.status == "accepted"
        people.append({
            "user": user, "percent": progress.get(user.id, 0), "connection": connection,
            "connected": connected, "last_activity_at": last_activity if connected else None,
            "incoming": connection is not None and connection.status == "pending" and connection.requester_id != viewer.id,
        })  # fmt: skip
    pages = max(1, -(-total // PEOPLE_PER_PAGE))
    return {"people": people, "total": total, "page": page, "pages": pages, "skill": skill}


def connections_with(user_id, other_ids):
    """{other_id: Connection} between the user and each of other_ids, in one query."""
    if not other_ids:
        return {}
    rows = db.session.scalars(
        select(Connection).where(
            or_(and_(Connection.user_a_id == user_id, Connection.user_b_id.in_(other_ids)),
                and_(Connection.user_b_id == user_id, Connection.user_a_id.in_(other_ids)))
        )
    ).all()  # fmt: skip
    return {c.other_id(user_id): c for c in rows}


def _pair(a_id, b_id):
    return (a_id, b_id) if a_id < b_id else (b_id, a_id)


def connection_between(a_id, b_id):
    low, high = _pair(a_id, b_id)
    return db.session.scalar(select(Connection).where(Connection.user_a_id == low, Connection.user_b_id == high))


def shows_full_profile(viewer, person):
    """Whether the viewer sees the person's headline, skills and bio. A learner who stays out of the people
    lists (profile_visible off) shows them only to their connections; instructors and admins teach in public.
    Everyone sees the name, which their posts show anyway."""
    if person.profile_visible or person.role in ("instructor", "admin"):
        return True
    if viewer.id == person.id or viewer.is_admin:
        return True
    connection = connection_between(viewer.id, person.id)
    return connection is not None and connection.status == "accepted"


def request_connection(requester, other, course):
    if requester.id == other.id:
        raise DirectoryError("You cannot connect with yourself.")
    if is_blocked_between(requester.id, other.id):
        raise DirectoryError("You cannot connect with this person.")
    connection = connection_between(requester.id, other.id)
    asked_by_other = connection is not None and connection.status == "pending" and connection.requester_id == other.id
    if not other.profile_visible and not asked_by_other:
        # They chose not to be found: nobody outside their connections can ask, only answer their request.
        raise DirectoryError(f"{other.display_name} does not take connection requests.")
    if connection is not None:
        if connection.status == "accepted":
            raise DirectoryError("You are already connected.")
        if connection.status == "pending":
            if connection.requester_id != requester.id:
                return respond_to_connection(connection, requester, accept=True)
            raise DirectoryError("Your request is waiting for an answer.")
        # After a decline only the person who declined may ask (they may change their mind). The one who was
        # declined may not, or every new ask would notify someone who already said no.
        if connection.requester_id == requester.id:
            raise DirectoryError(f"{other.display_name} declined your connection request, so you cannot ask again. "
                                 "They can still ask you.")  # fmt: skip
        connection.status, connection.requester_id, connection.created_at = "pending", requester.id, utcnow()
        connection.responded_at, connection.course_id = None, course.id
    else:
        low, high = _pair(requester.id, other.id)
        connection = Connection(user_a_id=low, user_b_id=high, requester_id=requester.id, course_id=course.id)
        try:
            with db.session.begin_nested():
                db.session.add(connection)
        except IntegrityError as error:
            raise DirectoryError("A request between you two already exists.") from error
    notify(other, "connection_request", f"{requester.display_name} would like to connect (from {course.title}).",
           path_for("peers.connections"), actor=requester)  # fmt: skip
    return connection


def respond_to_connection(connection, user, *, accept):
    if user.id not in (connection.user_a_id, connection.user_b_id) or connection.requester_id == user.id:
        raise DirectoryError("Only the person asked can answer this request.")
    if connection.status != "pending":
        raise DirectoryError("This request was already answered.")
    connection.status = "accepted" if accept else "declined"
    connection.responded_at = utcnow()
    if accept:
        notify(connection.requester, "connection_accepted", f"{user.display_name} accepted your connection request.",
               path_for("peers.connections"), actor=user)  # fmt: skip
    return connection


def my_connections(user):
    """(incoming pending requests, accepted connections) with the other person loaded."""
    rows = db.session.scalars(
        select(Connection)
        .where(or_(Connection.user_a_id == user.id, Connection.user_b_id == user.id),
               Connection.status.in_(("pending", "accepted")))
        .order_by(Connection.created_at.desc())
    ).all()  # fmt: skip
    others = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_([c.other_id(user.id) for c in rows])))}
    hidden = blocked_ids(user.id)
    incoming = [(c, others[c.other_id(user.id)]) for c in rows
                if c.status == "pending" and c.requester_id != user.id and c.other_id(user.id) not in hidden]
    accepted = [(c, others[c.other_id(user.id)]) for c in rows
                if c.status == "accepted" and c.other_id(user.id) not in hidden]  # fmt: skip
    return incoming, accepted


def block(blocker, other, course=None):
    if blocker.id == other.id:
        raise DirectoryError("You cannot block yourself.")
    if db.session.get(Block, (blocker.id, other.id)) is None:
        db.session.add(Block(blocker_id=blocker.id, blocked_id=other.id))
    # A block also ends any connection or request between the two, and gives back the review slots either holds
    # on the other's practice responses.
    release_slots_between(blocker.id, other.id)
    connection = connection_between(blocker.id, other.id)
    if connection is not None:
        db.session.delete(connection)
    db.session.execute(
        update(PartnerRequest)
        .where(PartnerRequest.user_id.in_((blocker.id, other.id)),
               PartnerRequest.matched_with_id.in_((blocker.id, other.id)))
        .values(matched_with_id=None, matched_at=None)
    )  # fmt: skip
    discussion_events.blocked(blocker, other)
    db.session.flush()


def unblock(blocker, other):
    """Lift the blocker's own block. A connection the block ended is not restored: either may ask again."""
    row = db.session.get(Block, (blocker.id, other.id))
    if row is not None:
        db.session.delete(row)
        db.session.flush()
    return row is not None


def people_blocked_by(user):
    """[(block, person)] the user blocked, latest first (not those who blocked them: that stays private)."""
    return db.session.execute(
        select(Block, User).join(User, User.id == Block.blocked_id)
        .where(Block.blocker_id == user.id).order_by(Block.created_at.desc())
    ).all()  # fmt: skip


def report(reporter, other, course):
    """Report a peer to the course staff and admins; recorded in the audit log. Once per pair and course."""
    existing = db.session.scalar(select(PeerReport).where(
        PeerReport.reporter_id == reporter.id, PeerReport.reported_id == other.id, PeerReport.course_id == course.id))  # fmt: skip
    if existing is not None:
        return existing
    row = PeerReport(reporter_id=reporter.id, reported_id=other.id, course_id=course.id)
    db.session.add(row)
    audit(reporter, "peer.report", target=other, course=course, detail=f"{reporter.email} reported {other.email}")
    staff = db.session.scalars(
        select(User).outerjoin(CourseStaff, and_(CourseStaff.user_id == User.id, CourseStaff.course_id == course.id))
        .where(or_(CourseStaff.user_id.is_not(None), User.role == "admin"), User.active.is_(True))
    ).unique().all()  # fmt: skip
    for member in staff:
        notify(member, "peer_report", f"{other.display_name} was reported by a learner in {course.title}.",
               path_for("peers.people", slug=course.slug), actor=other)  # fmt: skip
    db.session.flush()
    return row


# --- Study partners ------------------------------------------------------------------------------------


def utc_offset_hours(timezone_name, when=None):
    try:
        zone = ZoneInfo(timezone_name or "UTC")
    except Exception:  # an unknown zone name in old data counts as UTC rather than failing the match
        zone = ZoneInfo("UTC")
    offset = (when or datetime.now(zone)).astimezone(zone).utcoffset()
    return offset.total_seconds() / 3600 if offset else 0.0


def partner_distance(a, b):
    """Smaller is better: an hour of time-zone difference weighs like 30 minutes of weekly goal."""
    hours = abs(utc_offset_hours(a.timezone) - utc_offset_hours(b.timezone))
    hours = min(hours, 24 - hours)
    return hours + abs(a.weekly_goal_minutes - b.weekly_goal_minutes) / 30


def partner_request(course, user):
    return db.session.scalar(
        select(PartnerRequest).where(PartnerRequest.course_id == course.id, PartnerRequest.user_id == user.id)
    )


def request_partner(course, user):
    """Ask for a study partner: pair with the closest waiting learner now, or wait for the next one."""
    own = partner_request(course, user)
    if own is not None and own.matched_at is not None:
        if partner_still_here(course, own):
            return own
        _unpair(own)  # the partner left the course: look for someone else, as a new request
        own.created_at = utcnow()
    if own is None:
        own = PartnerRequest(course_id=course.id, user_id=user.id)
        db.session.add(own)
        db.session.flush()
    hidden = blocked_ids(user.id)
    waiting = db.session.execute(
        select(PartnerRequest, User)
        .join(User, User.id == PartnerRequest.user_id)
        .join(Enrolment, and_(Enrolment.user_id == User.id, Enrolment.course_id == course.id))
        .where(PartnerRequest.course_id == course.id, PartnerRequest.matched_at.is_(None),
               PartnerRequest.user_id != user.id, Enrolment.status == "active", User.active.is_(True))
        .order_by(PartnerRequest.created_at)
        .limit(PARTNER_CANDIDATES)
    ).all()  # fmt: skip
    now = utcnow()
    scored = ((partner_distance(user, other), other_request.created_at, other_request, other)
              for other_request, other in waiting if other.id not in hidden)  # fmt: skip
    candidates = sorted(
        (item for item in scored if item[0] <= PARTNER_MAX_DISTANCE or now - item[1] >= PARTNER_PATIENCE),
        key=lambda item: (item[0], item[1]),
    )
    for _, _, other_request, other in candidates:
        # Conditional: two learners asking at once can never both take the same waiting partner.
        taken = db.session.execute(
            update(PartnerRequest)
            .where(PartnerRequest.id == other_request.id, PartnerRequest.matched_at.is_(None))
            .values(matched_at=now, matched_with_id=user.id)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:
            continue
        own.matched_at, own.matched_with_id = now, other.id
        db.session.refresh(other_request)
        url = path_for("peers.people", slug=course.slug)
        notify(user, "study_partner", f"Meet your study partner in {course.title}: {other.display_name}.", url,
               actor=other)
        notify(other, "study_partner", f"Meet your study partner in {course.title}: {user.display_name}.", url,
               actor=user)
        break
    db.session.flush()
    return own


def partner_still_here(course, own):
    """The matched partner still takes part in the course: one who withdrew, was removed or closed their
    account will not answer, so the pairing counts as over and the learner is offered a new match."""
    partner = own.matched_with
    return partner is not None and partner.active and is_course_member(partner, course)


def _unpair(own):
    """Undo a pairing on both sides; the partner's request goes too, so neither is matched again unasked."""
    if own.matched_with_id is not None:
        db.session.execute(
            delete(PartnerRequest).where(PartnerRequest.course_id == own.course_id,
                                         PartnerRequest.user_id == own.matched_with_id,
                                         PartnerRequest.matched_with_id == own.user_id)
        )  # fmt: skip
    own.matched_at = own.matched_with_id = None


def end_partnership(course, user):
    """End the user's study pairing in this course; the partner, if still here, is told. Returns the partner."""
    own = partner_request(course, user)
    if own is None or own.matched_at is None:
        return None
    partner, still_here = own.matched_with, partner_still_here(course, own)
    _unpair(own)
    db.session.delete(own)
    db.session.flush()
    if still_here:
        notify(partner, "study_partner", f"{user.display_name} ended your study pairing in {course.title}. "
               "You can ask for a new partner on the course's people page.", path_for("peers.people", slug=course.slug),
               actor=user)  # fmt: skip
    return partner


def cancel_partner_request(course, user):
    own = partner_request(course, user)
    if own is not None and own.matched_at is None:
        db.session.delete(own)


def course_by_slug(slug):
    return db.session.scalar(select(Course).where(Course.slug == slug))
