"""Jinja globals and filters shared by every template."""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, request
from flask_login import current_user
from sqlalchemy import func, select

from lms.extensions import db
from lms.permissions import register_template_globals
from lms.request_cache import memoised
from lms.url_shapes import fast_url_for

NAV = [
    ("enrolment.catalog", "Courses", None),
    ("peers.wishes", "Course wishes", "login"),
    ("studio.index", "Studio", "instructor"),
    ("admin.users", "Admin", "admin"),
]


def has_endpoint(endpoint):
    return endpoint in current_app.view_functions


def nav_links(user):
    links = []
    for endpoint, label, needs in NAV:
        if not has_endpoint(endpoint):
            continue
        if needs == "login" and not user.is_authenticated:
            continue
        # Instructors, and anyone on a course's staff (a co-instructor keeps the learner role).
        teaches = user.is_authenticated and (user.is_instructor or getattr(user, "teaches", False))
        if needs == "instructor" and not teaches:
            continue
        if needs == "admin" and not (user.is_authenticated and user.is_admin):
            continue
        links.append((endpoint, label))
    return links


def site_header_key():
    """The fragment-cache key of the page header (templates/base.html): every value it shows or decides on."""
    user = current_user._get_current_object()
    if not user.is_authenticated:
        return request.endpoint, tuple(nav_links(user))
    return (request.endpoint, tuple(nav_links(user)), user.display_name, has_endpoint("notifications.index")
            and unread_notification_count())


def unread_notification_count():
    from lms.models import Notification

    if not current_user.is_authenticated:
        return 0
    preloaded = getattr(current_user._get_current_object(), "unread_notifications", None)
    if preloaded is not None:
        return preloaded
    return db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == current_user.id, Notification.read_at.is_(None)
        )
    )


def user_timezone(user=None):
    if user is None:  # the viewer's zone: asked once per date on a page, so remembered for the request
        return memoised(("viewer-timezone",), lambda: _zone_of(current_user))
    return _zone_of(user)


def _zone_of(user):
    name = getattr(user, "timezone", None) or "UTC"
    try:
        return ZoneInfo(name)
    except Exception:  # an unknown zone name in old data falls back to UTC rather than failing the page
        return ZoneInfo("UTC")


def local_datetime(value, fmt="%d %b %Y, %H:%M", user=None):
    """Format a naive-UTC datetime in the viewer's time zone, or in `user`'s: a certificate is dated where its
    holder finished, the same for everyone who checks it."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        aware = value.replace(tzinfo=ZoneInfo("UTC")).astimezone(user_timezone(user))
        return aware.strftime(fmt)
    return value.strftime("%d %b %Y")


def local_date(value):
    return local_datetime(value, "%d %b %Y")


def local_deadline(value, now=None):
    """A deadline (naive UTC) as the viewer reads it: "14:30" later today where they are, "01:30 tomorrow" past
    their midnight, else with its day ("Tue 02 Dec, 09:00"); a bare "01:30" read as a time already gone."""
    zone = user_timezone()
    utc = ZoneInfo("UTC")
    when = value.replace(tzinfo=utc).astimezone(zone)
    today = (now or datetime.now(utc).replace(tzinfo=None)).replace(tzinfo=utc).astimezone(zone).date()
    if when.date() == today:
        return when.strftime("%H:%M")
    if (when.date() - today).days == 1:
        return when.strftime("%H:%M tomorrow")
    return when.strftime("%a %d %b, %H:%M")


def minutes_label(minutes):
    minutes = int(minutes or 0)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def size_label(size_in_bytes):
    """A file size as people read it: "50 MB", "1.5 MB", "820 KB" (binary units, as file managers count)."""
    size = int(size_in_bytes or 0)
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"
    return f"{max(1, round(size / 1024))} KB"


def init_app(app):
    register_template_globals(app)
    app.jinja_env.globals.update(
        has_endpoint=has_endpoint, nav_links=nav_links, unread_notification_count=unread_notification_count,
        site_header_key=site_header_key, user_timezone=user_timezone,
        url_for=fast_url_for,  # same URLs as Flask's, built from a memo of each route's shape
    )
    app.jinja_env.filters.update(local_datetime=local_datetime, local_date=local_date, local_deadline=local_deadline,
                                 minutes=minutes_label, filesize=size_label)
