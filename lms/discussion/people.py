"""Who is who in a course's discussion: members, staff, how authors are labelled, and @mentions."""

import re
from dataclasses import dataclass
from typing import NamedTuple

from flask import current_app
from sqlalchemy import func, or_, select

from lms.extensions import db
from lms.models import CourseStaff, Enrolment, User

ANONYMOUS_LABEL = "Anonymous peer"
FORMER_MEMBER = "Former member"  # the author of a post (or cause of a notification) whose account was deleted

# @"Display Name" or @handle (the display name without spaces, any case). Not after a word character or
# another @, so e-mail addresses stay plain text.
_MENTION = re.compile(r'(?<![\w@/])@(?:"([^"\n]{1,80})"|(\w[\w\'.-]{0,79}))')
# Code must stay literal: fenced blocks and inline code spans are never scanned for mentions.
_CODE = re.compile(r"(^(?:```|~~~)[^\n]*\n.*?^(?:```|~~~)[^\n]*$|`[^`\n]*`)", re.DOTALL | re.MULTILINE)
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~])")


@dataclass(frozen=True)
class Viewer:
    """The person looking at a page: enough to label authors and decide what they may see."""

    user_id: int | None
    is_staff: bool


class Byline(NamedTuple):
    """A post's or thread's author as one viewer sees them. A tuple, not a dataclass: it is part of every cached
    post's and thread row's fragment key, hashed and compared on each lookup, which a tuple does in C."""

    label: str
    user_id: int | None  # linkable profile, None when the author is anonymous to this viewer
    note: str = ""


def path_for(endpoint, **values):
    """A site-relative URL that also works outside a request (CLI, demo data)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def byline(author, anonymous, viewer):
    """How an author is shown to a viewer: peers never learn who posted anonymously; staff do."""
    name = author.display_name if author is not None else FORMER_MEMBER
    if not anonymous:
        return Byline(name, author.id if author is not None else None)
    if viewer.is_staff:
        return Byline(name, author.id if author is not None else None, "anonymous to peers")
    if author is not None and author.id == viewer.user_id:
        return Byline("You", None, "anonymous to peers")
    return Byline(ANONYMOUS_LABEL, None)


def label_for_everyone(author, anonymous):
    """How a post's author is named where every reader sees the same words: the header a quote writes into a
    new post. Never the quoter's own view of it (staff know who wrote anonymously, an author sees "You")."""
    if anonymous:
        return ANONYMOUS_LABEL
    return author.display_name if author is not None else FORMER_MEMBER


def staff_ids(course):
    """Course staff plus admins (who moderate everywhere): one query."""
    staff = select(CourseStaff.user_id).where(CourseStaff.course_id == course.id)
    admins = select(User.id).where(User.role == "admin")
    return set(db.session.scalars(staff.union(admins)))


def member_ids(course, user_ids):
    """Those of user_ids who take part in the course (active learners and staff, active accounts)."""
    user_ids = set(user_ids)
    if not user_ids:
        return set()
    enrolled = select(Enrolment.user_id).where(Enrolment.course_id == course.id, Enrolment.status == "active")
    staff = select(CourseStaff.user_id).where(CourseStaff.course_id == course.id)
    query = select(User.id).where(
        User.id.in_(user_ids),
        User.active.is_(True),
        or_(User.id.in_(enrolled), User.id.in_(staff), User.role == "admin"),
    )
    return set(db.session.scalars(query))


def _handle(name):
    return re.sub(r"\s+", "", name).lower()


def _mention_keys(source):
    keys = set()
    for index, segment in enumerate(_CODE.split(source or "")):
        if index % 2:
            continue
        for quoted, handle in _MENTION.findall(segment):
            keys.add(_handle(quoted) if quoted else _handle(handle).rstrip(".-'"))
    return {key for key in keys if key}


# A Markdown blockquote line: someone else's words, quoted (the reply box's quotes prefix every line with ">").
_QUOTED_LINE = re.compile(r"^ {0,3}>.*$", re.MULTILINE)


def addressed(source, members):
    """Those of `members` (find_mentioned_members) whom the author mentions in their own words. A mention inside a
    quote was made by the quoted author, who notified them then; quoting it again notifies nobody."""
    keys = _mention_keys(_QUOTED_LINE.sub("", source or ""))
    return {key: user for key, user in members.items() if key in keys}


def find_mentioned_members(course, source):
    """{handle: User} for the course members mentioned in a Markdown source (one query)."""
    keys = _mention_keys(source)
    if not keys:
        return {}
    enrolled = select(Enrolment.user_id).where(Enrolment.course_id == course.id, Enrolment.status == "active")
    staff = select(CourseStaff.user_id).where(CourseStaff.course_id == course.id)
    handle = func.lower(func.replace(User.display_name, " ", ""))
    users = db.session.scalars(
        select(User)
        .where(handle.in_(keys), User.active.is_(True), or_(User.id.in_(enrolled), User.id.in_(staff)))
        .order_by(User.id)
    )
    found = {}
    for user in users:
        found.setdefault(_handle(user.display_name), user)  # two members with one handle: the older account
    return found


def link_mentions(source, members):
    """Replace mentions of known members with Markdown links to their profile; leave the rest as typed."""
    if not members:
        return source or ""

    def replace(match):
        quoted, handle = match.group(1), match.group(2)
        key = _handle(quoted) if quoted else _handle(handle).rstrip(".-'")
        user = members.get(key)
        if user is None:
            return match.group(0)
        trailing = "" if quoted else handle[len(handle.rstrip(".-'")) :]
        name = _MARKDOWN_SPECIAL.sub(r"\\\1", user.display_name)
        return f"[@{name}]({path_for('auth.public_profile', user_id=user.id)}){trailing}"

    parts = _CODE.split(source or "")
    return "".join(part if index % 2 else _MENTION.sub(replace, part) for index, part in enumerate(parts))
