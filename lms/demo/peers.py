"""Demo data: visible demo peers, a practice assignment with submissions and peer reviews in
"client-communication" (one response overdue in the staff queue), course reviews and course wishes.

Every part checks what exists first, so running it twice changes nothing.
"""

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from lms.auth import services as accounts
from lms.database import utcnow
from lms.extensions import db
from lms.models import Course, CourseReview, CourseWish, Enrolment, WishVote
from lms.peers import services

ASSIGNMENT_COURSE = "client-communication"
REVIEWED_COURSES = ("client-communication", "giving-and-receiving-feedback")

PEERS = [
    ("maya@example.com", "Maya Moreno", "Freelance UX designer, Lisbon", "client communication, ux research, workshops",
     "Europe/Lisbon", 90),
    ("jonas@example.com", "Jonas Berg", "Backend freelancer (Go, Postgres)", "negotiation, go, postgres",
     "Europe/Berlin", 60),
    ("priya@example.com", "Priya Nair", "Data engineer for fintech clients", "negotiation, python, data pipelines",
     "Asia/Kolkata", 120),
    ("tom@example.com", "Tom Okafor", "Mobile developer, mostly agency work", "react native, client communication",
     "Africa/Lagos", 45),
]  # fmt: skip

PROMPT = """A long-standing client writes: *"Budgets are tight this quarter. Can you do the next phase
for 30% less?"*

Write the e-mail you would send back (150-250 words). Keep the relationship warm, protect your rate, and
offer at least one real option."""

CRITERIA = [
    {"title": "Protects the rate", "levels": ["Gives the discount away", "Hints at a discount",
                                              "Holds the rate politely", "Holds the rate and explains the value"]},
    {"title": "Offers options", "levels": ["No options", "A vague option", "One concrete option",
                                           "Two or more options the client can choose from"]},
    {"title": "Tone", "levels": ["Cold or defensive", "Stiff", "Friendly", "Warm, confident and brief"]},
]  # fmt: skip

RESPONSES = {
    "maya@example.com": "Hi Sam,\n\nThanks for being upfront about the budget. My rate stays the same, but we "
    "can **reduce the scope**: if we move the onboarding flow to next quarter, phase two fits a budget 30% "
    "lower. Alternatively I can keep the full scope and split the invoice over two months.\n\nWhich works "
    "better for you?\n\nMaya",
    "jonas@example.com": "Hello Ana,\n\nI understand. I can't lower my day rate, but I can offer a fixed-price "
    "option for the API work only, and we postpone the reporting module. Happy to talk it through on Friday.\n\nJonas",
    "priya@example.com": "Dear Lee,\n\nThanks for telling me early. Rather than a discount, let's look at what "
    "phase two must deliver by June. I've attached two options: a lean version at 70% of the cost and the "
    "full version as planned.\n\nBest, Priya",
    "tom@example.com": "Hi Kim,\n\nI get it, budgets are tight everywhere. I could do 10% off if you sign for "
    "both phases now. Let me know!\n\nTom",
}
REVIEW_COMMENTS = [
    "Warm and clear. I like that you offer a choice instead of saying no. Maybe name a date for the decision.",
    "Good that the rate stays firm. The second option could be more concrete: what exactly is in the lean version?",
    "Friendly tone and a real option. You could explain the value of the full scope in one sentence.",
]
COURSE_REVIEWS = [
    ("maya@example.com", "client-communication", 5, "Short lessons I could do between client calls. "
     "The discount e-mail practice alone paid for my time."),
    ("jonas@example.com", "client-communication", 4, "Practical and to the point. I'd love more examples "
     "with agencies."),
    ("priya@example.com", "giving-and-receiving-feedback", 5, "The peer reviews were the best part: real "
     "feedback from people with the same problems."),
    ("tom@example.com", "giving-and-receiving-feedback", 4, "Helped me stop apologising in feedback talks."),
]  # fmt: skip
WISHES = [
    ("Handling scope creep with agencies", "Agencies keep adding \"small\" changes after sign-off. I need "
     "wording and a process to push back without losing the account.", ["maya", "jonas", "priya", "tom"]),
    ("Raising your rates with existing clients", "I haven't raised my rate in three years because I'm afraid "
     "to lose my best clients.", ["jonas", "priya"]),
    ("Writing proposals that win", "Most of my proposals get no answer at all.", ["tom"]),
]  # fmt: skip


def seed(users):
    """Create the demo peer data if missing; return True when anything was created."""
    created = False
    # Notifications build links with url_for; a request context lets that work from the CLI. Its address is the
    # site's (PUBLIC_URL), as for digests: the e-mailed links must not point at http://localhost/.
    with current_app.test_request_context(base_url=current_app.config.get("PUBLIC_URL") or None):
        peers, made = _demo_peers()
        created = made or created
        course = _course(ASSIGNMENT_COURSE)
        if course is not None:
            for peer in peers.values():
                created = _enrol(course, peer) or created
            created = _assignment(course, peers, users["instructor"]) or created
        created = _course_reviews(peers) or created
        created = _wishes(peers, users) or created
        db.session.flush()
    return created


def _course(slug):
    return db.session.scalar(select(Course).where(Course.slug == slug))


def _demo_peers():
    """The demo peers (the discussion demo may have created them already: their names stay as they are)."""
    created, peers = False, {}
    for email, name, headline, skills, timezone, goal in PEERS:
        user = accounts.find_user_by_email(email)
        if user is None:
            user = accounts.create_user(email, name, current_app.config["DEMO_PASSWORD"])
            created = True
        if not user.skills:  # not yet set up as a visible peer
            user.headline = user.headline or headline
            user.skills, user.timezone, user.weekly_goal_minutes = skills, timezone, goal
            user.profile_visible = True
            user.website = user.website or f"https://{email.split('@')[0]}.example.com"
            created = True
        peers[email.split("@")[0]] = user
    return peers, created


def _enrol(course, user):
    if db.session.scalar(select(Enrolment.id).where(Enrolment.course_id == course.id, Enrolment.user_id == user.id)):
        return False
    db.session.add(Enrolment(course_id=course.id, user_id=user.id, status="active", enrolled_at=utcnow()))
    course.enrolled_count += 1
    db.session.flush()
    return True


def _assignment_lesson(course):
    lessons = [lesson for module in course.modules if module.archived_at is None
               for lesson in module.lessons if lesson.archived_at is None]  # fmt: skip
    for lesson in lessons:
        if "mail" in lesson.title.lower() or "discount" in lesson.title.lower():
            return lesson
    return lessons[min(1, len(lessons) - 1)] if lessons else None


def _assignment(course, peers, instructor):
    from lms.models import Assignment

    if db.session.scalar(select(Assignment.id).where(Assignment.course_id == course.id)):
        return False
    lesson = _assignment_lesson(course)
    if lesson is None:
        return False
    assignment = services.save_assignment(lesson, PROMPT, 2, CRITERIA)
    now = utcnow()
    # Maya, Jonas and Priya submitted a day ago and review each other; Tom's response has waited three
    # days without reviews, so it sits in the staff queue.
    for index, key in enumerate(("maya", "jonas", "priya")):
        submission = services.save_submission(peers[key], assignment, RESPONSES[f"{key}@example.com"], submit=True)
        submission.submitted_at = now - timedelta(hours=30 - index)
    db.session.flush()
    comments = iter(REVIEW_COMMENTS * 2)
    for key in ("maya", "jonas", "priya"):
        slot = services.allocate_review(peers[key], assignment, now=now)
        if slot is not None:
            services.submit_review(slot, peers[key], {c.id: 3 + (slot.id % 2) for c in assignment.criteria},
                                   next(comments), now=now)  # fmt: skip
    tom = services.save_submission(peers["tom"], assignment, RESPONSES["tom@example.com"], submit=True)
    tom.submitted_at = now - timedelta(hours=72)
    db.session.flush()
    services.assign_overdue_reviews(now=now)
    return True


def _course_reviews(peers):
    created = False
    for email, slug, rating, text in COURSE_REVIEWS:
        course = _course(slug)
        user = peers[email.split("@")[0]]
        if course is None:
            continue
        exists = db.session.scalar(
            select(CourseReview.id).where(CourseReview.course_id == course.id, CourseReview.user_id == user.id)
        )
        if exists:
            continue
        _enrol(course, user)
        db.session.add(CourseReview(course_id=course.id, user_id=user.id, rating=rating, text=text))
        created = True
    db.session.flush()
    return created


def _wishes(peers, users):
    created = False
    for title, why, voters in WISHES:
        if db.session.scalar(select(CourseWish.id).where(CourseWish.title == title)):
            continue
        author = peers[voters[0]]
        wish = CourseWish(title=title, why=why, author_id=author.id, vote_count=len(voters))
        db.session.add(wish)
        db.session.flush()
        for key in voters:
            db.session.add(WishVote(wish_id=wish.id, user_id=peers[key].id))
        created = True
    db.session.flush()
    return created
