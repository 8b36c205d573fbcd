"""Catalog browsing: parsing the filter arguments and building the one listing query."""

from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from sqlalchemy import Integer, and_, bindparam, func, or_, select

from lms import database
from lms.enrolment.services import CURRENT_STATES
from lms.extensions import db
from lms.models import Course, CourseSkill, Enrolment, User
from lms.models.course import LEVELS
from lms.pagination import ListPage
from lms.search import query_tokens, ranked_matches, search_expression
from lms.security import whole_number

PER_PAGE = 12
MAX_QUERY_LENGTH = 200
LENGTH_CHOICES = [(60, "Under 1 hour"), (120, "Under 2 hours"), (240, "Under 4 hours")]
SORT_CHOICES = [("relevance", "Best match"), ("newest", "Newest"), ("popular", "Most popular"),
                ("shortest", "Shortest first")]  # fmt: skip
LEVEL_LABELS = {"intro": "Intro", "intermediate": "Intermediate", "advanced": "Advanced"}


@dataclass
class CatalogQuery:
    q: str = ""
    skill: str = ""
    level: str = ""
    max_minutes: int | None = None
    sort: str = "newest"
    page: int = 1

    @property
    def searching(self):
        return bool(query_tokens(self.q))

    @property
    def sort_choice(self):
        """The sort select's value: "" for this query's default order (best match when searching, else newest)."""
        default = "relevance" if self.searching else "newest"
        return "" if self.sort == default else self.sort

    @property
    def filtered(self):
        return bool(self.searching or self.skill or self.level or self.max_minutes)

    @property
    def unsearchable(self):
        """Search text without a single letter or digit (e.g. only emoji or punctuation): nothing to look for."""
        return bool(self.q.strip()) and not self.searching


def parse_catalog_args(args):
    """Whatever is in the query string becomes a valid CatalogQuery; nonsense values are ignored."""
    query = CatalogQuery(
        q=(args.get("q") or "").strip()[:MAX_QUERY_LENGTH],
        skill=(args.get("skill") or "").strip()[:60],
        level=args.get("level") if args.get("level") in LEVELS else "",
        max_minutes=whole_number(args.get("max_minutes"), upper=100_000),
        page=whole_number(args.get("page"), 1, upper=100_000),
    )
    sort = args.get("sort")
    if sort not in dict(SORT_CHOICES) or (sort == "relevance" and not query.searching):
        sort = "relevance" if query.searching else "newest"
    query.sort = sort
    return query


class CourseCard(NamedTuple):
    """What a catalog card shows of a course (enrolment/_course_card.html), read as a plain row: loading a page
    of courses as ORM objects brought every column (descriptions included) and their owners as objects."""

    id: int
    slug: str
    title: str
    summary: str
    level: str
    total_minutes: int
    lesson_count: int
    enrolled_count: int
    owner_name: str | None


class EnrolmentStatus(NamedTuple):
    course_id: int
    status: str
    completed: bool  # the learner finished the course


def catalog_page(query, viewer_id=None):
    """The query's page of courses, how many match and the viewer's current enrolments among them
    ({course_id: EnrolmentStatus}; the cards show the status), in one statement: the count rides along on every
    row as an uncorrelated subquery, which the database runs once. (A window count made the database join and
    sort every match before the limit: slower on SQLite than a second statement.) Only a page past the last,
    which has no rows to carry the count, asks for it separately."""
    dialect_name = db.engine.dialect.name
    expression = search_expression(query.q, dialect_name)
    page_statement, count_statement = _catalog_statements(
        dialect_name, expression is not None, bool(query.skill), bool(query.level), bool(query.max_minutes),
        query.sort,
    )
    params = {"search_expression": expression, "skill": query.skill, "level": query.level,
              "max_minutes": query.max_minutes}  # fmt: skip
    params = {name: value for name, value in params.items() if value}
    page_params = {**params, "member_id": viewer_id, "offset": (query.page - 1) * PER_PAGE}
    rows = database.rows(page_statement, page_params).all()
    if rows:
        total = rows[0][_CARD_WIDTH]
    else:
        total = database.rows(count_statement, params).scalar() if query.page > 1 else 0
    cards, statuses = [], {}
    for row in rows:  # the card's columns, the count, then the viewer's enrolment status and completion
        card = CourseCard._make(row[:_CARD_WIDTH])
        cards.append(card)
        status, completed_at = row[_CARD_WIDTH + 1 :]
        if status is not None:
            statuses[card.id] = EnrolmentStatus(card.id, status, completed_at is not None)
    return ListPage(query.page, PER_PAGE, total, cards), statuses


_CARD_WIDTH = len(CourseCard._fields)


@cache
def _catalog_statements(dialect_name, searching, by_skill, by_level, by_length, sort):
    """(page, count) statements for one shape of catalog query, built once per process: building and keying
    the statement took longer than running it. The query's values are bound (:search_expression, :skill,
    :level, :max_minutes, :member_id, :offset). Published courses only, with the owner joined so the cards
    never query per course (their skills: skills_by_course)."""
    statement = select(Course.id, Course.slug, Course.title, Course.summary, Course.level, Course.total_minutes,
                       Course.lesson_count, Course.enrolled_count).where(Course.status == "published")  # fmt: skip
    search = ranked_matches(dialect_name) if searching else None
    if search is not None:
        statement = statement.join(search, search.c.course_id == Course.id)
    if by_skill:
        statement = statement.where(Course.skills.any(CourseSkill.name == bindparam("skill")))
    if by_level:
        statement = statement.where(Course.level == bindparam("level"))
    if by_length:
        statement = statement.where(Course.total_minutes <= bindparam("max_minutes", type_=Integer))

    if sort == "relevance" and search is not None:
        order = [search.c.score.desc(), Course.published_at.desc()]
    elif sort == "popular":
        order = [Course.enrolled_count.desc(), Course.title]
    elif sort == "shortest":
        order = [Course.total_minutes, Course.title]
    else:
        order = [Course.published_at.desc()]
    matches = statement.subquery()
    count = select(func.count()).select_from(matches).scalar_subquery()
    # The viewer's (:member_id) enrolment in a current state, if any: one row per learner and course. A request
    # to join stands only while the course asks for approval (services.still_current).
    mine = and_(Enrolment.course_id == Course.id, Enrolment.user_id == bindparam("member_id"),
                Enrolment.status.in_(CURRENT_STATES),
                or_(Enrolment.status != "pending", Course.enrolment_policy == "approval"))  # fmt: skip
    page = (
        statement.outerjoin(User, User.id == Course.owner_id)
        .add_columns(User.display_name)  # the card's owner_name
        .outerjoin(Enrolment, mine)
        .order_by(*order, Course.id.desc())
        .add_columns(count, Enrolment.status, Enrolment.completed_at)
        .limit(PER_PAGE)
        .offset(bindparam("offset", type_=Integer))
    )
    return page, select(count)


def skills_by_course(course_ids):
    """{course_id: (skill name, ...)} in name order for a page of cards; one query of plain rows (loading the
    skills as ORM objects with selectinload took a third of the catalog's time)."""
    skills = {}
    if course_ids:
        for course_id, name in database.rows(_skills_statement(), {"course_ids": list(course_ids)}).all():
            skills.setdefault(course_id, []).append(name)
    return {course_id: tuple(names) for course_id, names in skills.items()}


@cache
def _skills_statement():
    return (
        select(CourseSkill.course_id, CourseSkill.name)
        .where(CourseSkill.course_id.in_(bindparam("course_ids", expanding=True)))
        .order_by(CourseSkill.course_id, CourseSkill.name)
    )


def card_fragment_key(course, skills, enrolment, percent):
    """Everything a catalog card (enrolment/_course_card.html) shows: the key its HTML is kept under by
    lms/fragments.py. Whatever that template starts to read must be added here."""
    return (course, skills, enrolment.status if enrolment else None, enrolment.completed if enrolment else None,
            percent)  # the card (a CourseCard) is every course field the card shows


def skill_options():
    """Distinct skills of published courses, for the filter."""
    return list(database.rows(_skill_options_statement()).scalars())


@cache
def _skill_options_statement():
    # Built once per process: building it took longer than running it.
    return (
        select(CourseSkill.name)
        .join(Course, Course.id == CourseSkill.course_id)
        .where(Course.status == "published")
        .distinct()
        .order_by(CourseSkill.name)
    )


def length_label(max_minutes):
    return dict(LENGTH_CHOICES).get(max_minutes) or f"Up to {max_minutes} min"
