"""Discussion rules. (Interim contract functions; the discussion feature fills these in.)"""


def recent_threads_for_lesson(lesson, viewer, limit=5):
    """Threads attached to a lesson, newest activity first, as shown under the lesson page."""
    return []


def recent_replies_for_user(user, limit=5):
    """Recent replies in threads the user takes part in or follows, for the dashboard."""
    return []
