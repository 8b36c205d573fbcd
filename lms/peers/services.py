"""Peer rules: practice assignments and reviews, connections, course reviews, wishes.

(Interim contract functions; the peers feature fills these in.)
"""


def completion_blocker(user, lesson):
    """Why this lesson cannot be marked done yet (e.g. the practice assignment), or None."""
    return None


def assignment_panel(user, lesson):
    """Context for templates/peers/_lesson_assignment.html under a lesson, or None when it has none."""
    return None


def course_reviews_summary(course, viewer=None):
    """Context for templates/peers/_course_reviews.html on the course page, or None."""
    return None
