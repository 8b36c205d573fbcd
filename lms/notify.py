"""Tell a user something: an in-app notification, and an e-mail now when they asked for that."""

from flask import current_app, has_request_context, url_for

from lms.database import utcnow
from lms.extensions import db
from lms.mail import send_mail
from lms.models import AuditEntry, Notification


def notify(user, kind, message, url="", *, actor=None, email_subject=None, send_email=True):
    """Create a notification; e-mail it at once if the user's preference is "immediately".

    actor: the person the message names (who replied, asked, ...; for a report, who was reported), recorded when
    the message does name them, so that the name can give way to "Former member" if they delete their account
    (lms.auth.deletion). A message that does not name them (an anonymous post, as peers see it) records no one.

    Digest preferences leave emailed_at empty for `send-digests` to pick up later. With "never" (or a deactivated
    account) it is settled at once: switching to a digest later must not mail what came before. send_email=False
    settles it too (the user was just e-mailed about the same thing).
    """
    notification = Notification(user_id=user.id, kind=kind, message=message[:500], url=url[:500])
    if actor is not None and actor.display_name in notification.message:
        notification.actor_id, notification.actor_name = actor.id, actor.display_name
    db.session.add(notification)
    if user.email_preference == "never" or not user.active or not send_email:
        notification.emailed_at = utcnow()  # nothing to send, now or in a later digest
    elif user.email_preference == "immediately":
        link = absolute_url(url)
        settings = absolute_url("/auth/profile")
        send_mail(user.email, email_subject or f"Sparetime: {shortened(message, 70)}",
                  f"{message}\n\n{link}\n\n--\nTo get these as a digest or not at all, change your e-mail "
                  f"preference: {settings}\n")  # fmt: skip
        notification.emailed_at = utcnow()
    return notification


def shortened(text, limit):
    """`text` cut to at most `limit` characters at a word boundary, with an ellipsis when cut (e-mail subjects)."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" ,;:·-") + "…"


def absolute_url(url):
    """Links in e-mails: from the request when there is one, else PUBLIC_URL (e.g. from cron jobs)."""
    if not url or url.startswith("http"):
        return url
    if has_request_context():
        return url_for("main.index", _external=True).rstrip("/") + url
    return (current_app.config.get("PUBLIC_URL") or "").rstrip("/") + url


def audit(actor, action, *, target=None, course=None, detail=""):
    """Record a staff action for the admin audit log."""
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        action=action,
        target_type=type(target).__name__.lower() if target is not None else "",
        target_id=getattr(target, "id", None),
        course_id=getattr(course, "id", None),
        detail=detail[:500],
    )
    db.session.add(entry)
    return entry
