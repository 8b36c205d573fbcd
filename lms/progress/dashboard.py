"""The learner's dashboard: "I have N minutes" planner, weekly goal and history, courses in progress and
completed, upcoming drip openings. Query count is constant in the number of enrolments and lessons."""

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from typing import NamedTuple

from sqlalchemy import and_, bindparam, select

from lms import database
from lms.lessons.services import local_today, outlines_for_enrolments
from lms.models import Certificate, Course, DailyActivity, Enrolment

BUDGETS = (5, 15, 30, 60)
HISTORY_WEEKS = 8


@dataclass
class Plan:
    minutes: int
    picks: list = field(default_factory=list)  # [(Course, LessonState), ...] in the order to take them
    quickest: tuple | None = None  # (Course, LessonState) when nothing fits

    @property
    def total(self):
        return sum(state.lesson.minutes for _, state in self.picks)


def plan_lessons(courses, minutes):
    """Pick the next available, not-done lessons that fit `minutes` in total.

    courses: [(Course, CourseOutline)] with the learner's current focus first. Within a course lessons
    stay in course order: when the next one does not fit, the plan moves on to the next course rather
    than skipping ahead (a later lesson usually builds on the earlier one).
    """
    plan, left = Plan(minutes=minutes), minutes
    first_of_each = []
    for course, outline in courses:
        queue = [s for s in outline.states if s.available and not s.done]
        if queue:
            first_of_each.append((course, queue[0]))
        for state in queue:
            if state.lesson.minutes > left:
                break
            plan.picks.append((course, state))
            left -= state.lesson.minutes
    if not plan.picks and first_of_each:
        plan.quickest = min(first_of_each, key=lambda pair: pair[1].lesson.minutes)
    return plan


def week_start(day):
    return day - timedelta(days=day.weekday())  # weeks start on Monday


@dataclass
class WeeklySummary:
    goal: int
    this_week: int
    weeks: list  # [(monday: date, minutes: int)] oldest first, this week last

    @property
    def percent(self):
        return min(100, round(100 * self.this_week / self.goal)) if self.goal else 0

    @property
    def fragment_key(self):
        """Everything the dashboard's weekly section draws from (this week is the last of the weeks)."""
        return self.goal, tuple(self.weeks)

    @property
    def left(self):
        return max(0, self.goal - self.this_week)

    def ring(self, radius=52):
        """Stroke numbers for the SVG progress ring."""
        circumference = 2 * math.pi * radius
        return {"r": radius, "c": round(circumference, 2), "offset": round(circumference * (1 - self.percent / 100), 2)}

    def bars(self, height=90, width=36, gap=12):
        """Bar geometry for the 8-week chart, scaled so the goal line always fits."""
        top = max([m for _, m in self.weeks] + [self.goal, 1])
        bars = []
        for i, (monday, minutes) in enumerate(self.weeks):
            h = round(height * minutes / top)
            bars.append({"x": i * (width + gap), "y": height - h, "h": h, "w": width, "monday": monday,
                         "minutes": minutes, "met": minutes >= self.goal})  # fmt: skip
        goal_y = round(height - height * self.goal / top)
        return {"bars": bars, "goal_y": goal_y, "width": len(self.weeks) * (width + gap) - gap, "height": height}


# The dashboard's statements, built once per process (a reused statement skips construction and cache keys).
@cache
def _activity_statement():
    return select(DailyActivity.day, DailyActivity.seconds).where(
        DailyActivity.user_id == bindparam("user_id"), DailyActivity.day >= bindparam("first"),
        DailyActivity.day < bindparam("end"),
    )  # fmt: skip


class CourseLink(NamedTuple):
    """What the dashboard reads of a course: its links and titles, and the key of its syllabus in memory."""

    id: int
    slug: str
    title: str
    syllabus_version: int


class EnrolmentRow(NamedTuple):
    """What the dashboard and the outlines read of an active enrolment (lms/lessons/services.py)."""

    id: int
    course_id: int
    enrolled_at: datetime
    completed_at: datetime | None
    last_lesson_id: int | None
    course: CourseLink


class CertificateLink(NamedTuple):
    code: str
    revoked_at: datetime | None


class WaitingRow(NamedTuple):
    """A request to join (status "pending") or a place on a waitlist ("waitlisted"), with its course."""

    status: str
    requested_at: datetime
    course: CourseLink


@cache
def _current_enrolments_statement():
    return (
        select(Enrolment.id, Enrolment.course_id, Enrolment.enrolled_at, Enrolment.completed_at,
               Enrolment.last_lesson_id, Course.id, Course.slug, Course.title, Course.syllabus_version,
               Certificate.code, Certificate.revoked_at, Enrolment.status, Enrolment.requested_at,
               Course.enrolment_policy)
        .join(Course, Course.id == Enrolment.course_id)
        .outerjoin(Certificate, and_(Certificate.user_id == Enrolment.user_id,
                                     Certificate.course_id == Enrolment.course_id))
        .where(Enrolment.user_id == bindparam("user_id"),
               Enrolment.status.in_(("active", "pending", "waitlisted")),
               Course.status.in_(("published", "archived")))
        .order_by(Enrolment.last_activity_at.desc().nulls_last(), Enrolment.enrolled_at.desc(),
                  Enrolment.requested_at.desc(), Enrolment.id)
    )  # fmt: skip


def weekly_summary(user, now=None, weeks=HISTORY_WEEKS):
    """Minutes per week (Monday to Sunday in the learner's time zone) for the last `weeks` weeks; one query."""
    today = local_today(user, now)
    this_monday = week_start(today)
    first = this_monday - timedelta(weeks=weeks - 1)
    rows = database.rows(
        _activity_statement(), {"user_id": user.id, "first": first, "end": this_monday + timedelta(days=7)}
    ).all()
    seconds = {first + timedelta(weeks=i): 0 for i in range(weeks)}
    for day, secs in rows:
        if isinstance(day, str):  # defensive: some SQLite drivers hand back ISO strings
            day = date.fromisoformat(day)
        seconds[week_start(day)] += secs
    series = [(monday, round(secs / 60)) for monday, secs in sorted(seconds.items())]
    return WeeklySummary(goal=user.weekly_goal_minutes or 0, this_week=series[-1][1], weeks=series)


def current_enrolments(user):
    """The learner's enrolments in courses they can take, in one query: the active ones, most recently used
    first, each with its certificate or None ([(EnrolmentRow, CertificateLink | None)]), and the requests and
    waitlist places that still stand ([WaitingRow], newest first). Plain rows, not ORM objects: the dashboard
    only reads them, and loading enrolments, courses and certificates as objects cost twice as much."""
    active, waiting = [], []
    for row in database.rows(_current_enrolments_statement(), {"user_id": user.id}).all():
        course = CourseLink(*row[5:9])
        status, requested_at, policy = row[11:]
        if status == "active":
            enrolment = EnrolmentRow(*row[:5], course)
            active.append((enrolment, CertificateLink(*row[9:11]) if row[9] is not None else None))
        elif status == "waitlisted" or policy == "approval":
            # A request left pending after the course stopped asking for approval waits for nobody
            # (enrolment.services.still_current): the course page offers the new way in instead.
            waiting.append(WaitingRow(status, requested_at, course))
    waiting.sort(key=lambda row: row.requested_at, reverse=True)
    return active, waiting


def dashboard(user, minutes=None, now=None):
    rows, waiting = current_enrolments(user)
    enrolments = [enrolment for enrolment, _ in rows]
    outlines = outlines_for_enrolments(user, enrolments, now)
    certificates = {enrolment.course_id: certificate for enrolment, certificate in rows if certificate is not None}
    in_progress, completed, upcoming = [], [], []
    for enrolment in enrolments:
        outline = outlines[enrolment.course_id]
        finished = enrolment.completed_at is not None or outline.is_complete
        # A finished course that got new lessons since stays finished (certificate and all) but has lessons to
        # take again, so it is listed with the courses in progress and counts in the planner.
        new_lessons = [state for state in outline.states if state.available and not state.done] if finished else []
        if finished and not new_lessons:
            completed.append({"enrolment": enrolment, "course": enrolment.course,
                              "certificate": certificates.get(enrolment.course_id)})  # fmt: skip
            continue
        in_progress.append({"enrolment": enrolment, "course": enrolment.course, "outline": outline,
                            "resume": outline.continue_state(enrolment.last_lesson_id),
                            "started": outline.done_count > 0 or enrolment.last_lesson_id is not None,
                            "new_lessons": len(new_lessons),
                            "certificate": certificates.get(enrolment.course_id) if finished else None})  # fmt: skip
        upcoming.extend((enrolment.course, module, day) for module, day in outline.upcoming_openings())
    plan = None
    if minutes in BUDGETS:
        plan = plan_lessons([(item["course"], item["outline"]) for item in in_progress], minutes)
    from lms.discussion import services as discussion

    return {
        "in_progress": in_progress,
        "completed": completed,
        "waiting": waiting,
        "upcoming": sorted(upcoming, key=lambda item: item[2])[:6],
        "today": local_today(user, now),  # an opening in another year says which
        "plan": plan,
        "budgets": BUDGETS,
        "weekly": weekly_summary(user, now),
        "replies": discussion.recent_replies_for_user(user),
    }
