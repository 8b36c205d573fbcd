"""Demo data: lively discussions in the demo courses, written the way freelancers actually talk.

Posts are built straight on the models with past timestamps (no notification e-mails for demo history),
but through the same Markdown + @mention rendering as real posts. A course that already has threads is
left alone, so running seed-demo twice changes nothing.
"""

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from lms.auth import services as accounts
from lms.database import utcnow
from lms.discussion.services import render_body
from lms.extensions import db
from lms.models import Course, Enrolment, Lesson
from lms.models.discussion import Post, PostVote, Thread, ThreadFollow, ThreadRead

PEERS = {
    "maya": ("maya@example.com", "Maya Lindqvist", "Freelance UX designer, Malmö"),
    "tom": ("tom@example.com", "Tom Okafor", "Freelance backend developer (Go, Postgres)"),
    "priya": ("priya@example.com", "Priya Raman", "Freelance data analyst"),
    "jonas": ("jonas@example.com", "Jonas Weber", "Freelance DevOps engineer"),
}

# Each thread: (author, kind, title, body, options, replies). Replies: (author, body, options).
# options: pinned, anonymous, lesson (index into the course's lessons), accepted (index into replies), votes.
WELCOME = (
    "instructor", "discussion", "Welcome! Introduce yourself (and your favourite “quick question” e-mail)",
    "Hi everyone, I'm Ivo. I coach independent IT people and I'll be around in this board every few days.\n\n"
    "Say hello below: **what you do, who your clients are, and one situation you want to handle better** "
    "by the end of this course.\n\nHouse rules: be kind, be specific, and keep clients anonymous — tick "
    "*Post anonymously to peers* when you share a story that could identify someone.",
    {"pinned": True},
)

THREADS = {
    "client-communication": [
        WELCOME + ([
            ("maya", "Hej! UX designer in Malmö, mostly fintech start-ups. I want to stop writing three-paragraph "
                     "apologies every time a deadline moves.", {}),
            ("tom", "Backend dev, 8 years freelance. My goal: saying *no* to the Friday 5pm “tiny change” "
                    "without feeling like the bad guy. Hi @MayaLindqvist — the apology essays, same here.", {}),
            ("learner", "Lena, full-stack. Mostly agencies. I'd like to get better at the first call — I always "
                        "end up promising too much.", {}),
            ("priya", "Data analyst, public sector + a few NGOs. Want to learn to push back on vague requests "
                      "(“can you make the dashboard better?”).", {}),
        ],),
        ("tom", "question", "How do you answer “can you just quickly…” without sounding difficult?",
         "Client PM pings me on Slack about twice a day with “can you just quickly add X”. Each one is 20–90 "
         "minutes. Saying yes every time wrecks my week, saying no feels petty.\n\nWhat exact words do you use?",
         {"lesson": 0, "accepted": 1, "votes": 3}, [
             ("priya", "I stopped answering in Slack. I reply “Happy to — I'll add it to the list for Thursday's "
                       "check-in so we can prioritise it together.” Nine out of ten items quietly die there.", {}),
             ("maya", "What worked for me:\n\n> Sure. That's about an hour — do you want it *instead of* "
                      "something this week, or *on top*, billed as extra?\n\nNaming the trade-off does the "
                      "work. Nobody has ever been offended by a question.", {"votes": 4}),
             ("instructor", "Both good. Notice Maya's version gives the client the decision *and* the cost. "
                            "That's lesson 1's “make the trade-off visible” in one sentence.", {}),
             ("tom", "Tried Maya's line twice today. One “instead of”, one “never mind, next sprint”. "
                     "Accepting — thanks!", {}),
         ]),
        ("priya", "discussion", "The client who rewrote the brief after sign-off",
         "Signed off wireframes, budget agreed, two weeks of work in. Then a new stakeholder appears and "
         "“reframes the problem”. My contact is embarrassed but won't say no to them.\n\nI kept calm, but "
         "I ate four days of rework. What would you have done at the moment the new person showed up?",
         {"anonymous": True, "votes": 2}, [
             ("jonas", "Ask for a 30-min call with both of them and bring the signed brief. Not as a weapon — "
                       "as “here's what we agreed, what changed?” It makes the cost visible to the new "
                       "person, who usually has no idea.", {}),
             ("instructor", "This is a change request, even if nobody calls it that. @MayaLindqvist had "
                            "a good template for this in another thread — Maya, mind sharing it here?", {}),
             ("maya", "Sure! Mine is three lines: *what changes*, *what it costs (days + money)*, *what it "
                      "pushes back*. Send it the same day, before you start the new work.", {"votes": 2}),
         ]),
        ("maya", "question", "Status updates: how often is too often?",
         "New client, long project (4 months). I send a short update every Friday. They haven't replied to "
         "a single one. Are they ignoring me, or is silence a good sign?", {"lesson": 1, "accepted": 0}, [
             ("tom", "Silence is usually “all good”. I added one line at the top: **“Nothing needs your "
                     "decision this week.”** or **“One decision needed by Tuesday: …”**. Replies came back "
                     "the first time I needed one.", {"votes": 2}),
             ("learner", "+1 to Tom. I also ask at kick-off how they *want* updates. One client wanted a "
                         "Loom video, which I'd never have guessed.", {}),
         ]),
    ],
    "negotiating-rates-and-scope": [
        WELCOME + ([
            ("jonas", "Jonas, DevOps. Haven't raised my rate in two years and it shows. Here to fix that.", {}),
            ("maya", "Maya again 👋 — I always negotiate against myself before the client even answers.", {}),
        ],),
        ("jonas", "question", "Raising my day rate with an existing client — e-mail or call?",
         "Been with this client 18 months at the same rate. I want +15% from January. E-mail feels cowardly, "
         "a call feels like an ambush. Which one and how?", {"accepted": 0, "votes": 2}, [
             ("maya", "Both: a short call to say it, an e-mail the same day to confirm it. On the call: the "
                      "new rate, the start date, one sentence on why (“my rates for new clients went up this "
                      "year”). Then **stop talking**.", {"votes": 5}),
             ("tom", "Give them at least 6–8 weeks' notice. Budgets are set in autumn for a lot of "
                     "companies — January rates need to be in their heads by November.", {}),
             ("jonas", "Did it. Called Tuesday, e-mail right after. They asked for 10%, I said the 15% stands "
                       "but I'd hold it for all of next year. Accepted. @MayaLindqvist thank you!", {}),
         ]),
        ("tom", "discussion", "Fixed price for a rescue project: am I mad?",
         "Agency wants a fixed price to “stabilise” a legacy Rails app nobody has touched in three years. "
         "I priced discovery (5 days, T&M) first, then a fixed price for the plan that comes out of it. "
         "They push for one number up front. Thoughts?", {"lesson": 0}, [
             ("priya", "Your split is exactly right. If they won't pay for discovery they're asking you to "
                       "take all the risk for free. @TomOkafor hold the line.", {}),
             ("jonas", "I'd offer a capped T&M for the first month instead. Agencies like caps; you keep "
                       "the upside of honest hours.", {}),
         ]),
    ],
    "giving-and-receiving-feedback": [
        WELCOME + ([
            ("learner", "Hi, Lena here. I freeze when a client says “I don't like it” with no details.", {}),
        ],),
        ("priya", "question", "Feedback to a client's in-house developer without making it political?",
         "I'm reviewing pull requests from the client's own junior dev. The code has real problems. "
         "Their manager is my client. How do I say it so it helps the dev and doesn't look like I'm "
         "reporting on them?", {"accepted": 1, "votes": 1}, [
             ("jonas", "Talk to the dev first, privately, and make it about the code, not them. The manager "
                       "hears about patterns only, never individual PRs.", {}),
             ("instructor", "Agree with Jonas, and add one thing: **agree the rules of the review up front** "
                            "with the manager *and* the dev together (what you look at, who sees what). Then "
                            "nothing later feels like a surprise report.", {"votes": 3}),
         ]),
    ],
    "leading-without-a-title": [
        WELCOME + ([],),
        ("maya", "discussion", "Leading a team of other freelancers",
         "I've been asked to coordinate three other freelancers on a project. None of us is anyone's boss. "
         "How do you get people to hit dates when you can't “manage” them?", {}, [
             ("tom", "Make the plan together and write down who owns what. People keep promises they made "
                     "out loud, not ones they were handed.", {"votes": 1}),
         ]),
    ],
    "lasting-client-relationships": [
        WELCOME + ([],),
        ("tom", "question", "Do you send anything when a project ends?",
         "Just wrapped a 6-month engagement. Good relationship. I'd love more work from them later, but "
         "“let me know if you need anything!” feels limp.", {"accepted": 0}, [
             ("priya", "A one-page handover: what we built, what I'd watch next, and **three things I'd do "
                       "in the next six months**. Then a note in my calendar to check in after 8 weeks. "
                       "Two of my best clients came back from that page.", {"votes": 3}),
         ]),
    ],
}


def _peer(key):
    email, name, headline = PEERS[key]
    user = accounts.find_user_by_email(email)
    created = False
    if user is None:
        user = accounts.create_user(email, name, current_app.config["DEMO_PASSWORD"])
        user.headline = headline
        created = True
    return user, created


def _ensure_enrolled(course, user):
    exists = db.session.scalar(select(Enrolment).where(Enrolment.course_id == course.id, Enrolment.user_id == user.id))
    if exists is not None:
        return False
    db.session.add(Enrolment(course_id=course.id, user_id=user.id, status="active", enrolled_at=utcnow()))
    course.enrolled_count += 1  # kept in step with the rows, as the enrolment service does
    return True


def seed(users):
    """Create the demo discussions if missing; return True when anything was created."""
    created = False
    people = {"instructor": users["instructor"], "learner": users["learner"]}
    for key in PEERS:
        people[key], new = _peer(key)
        created = created or new
    db.session.flush()
    for slug, threads in THREADS.items():
        course = db.session.scalar(select(Course).where(Course.slug == slug))
        if course is None:
            continue
        if db.session.scalar(select(func.count(Thread.id)).where(Thread.course_id == course.id)):
            continue
        for key in PEERS:
            created = _ensure_enrolled(course, people[key]) or created
        learner_in = db.session.scalar(select(Enrolment.id).where(
            Enrolment.course_id == course.id, Enrolment.user_id == people["learner"].id, Enrolment.status == "active"
        )) is not None  # fmt: skip
        db.session.flush()
        lessons = db.session.scalars(
            select(Lesson).where(Lesson.course_id == course.id).order_by(Lesson.module_id, Lesson.position)
        ).all()
        start = utcnow() - timedelta(days=6)
        for index, spec in enumerate(threads):
            _thread(course, people, lessons, spec, start + timedelta(hours=11 * index), learner_in)
        created = True
    return created


def _thread(course, people, lessons, spec, when, learner_in):
    author_key, kind, title, body, options, replies = spec
    author = people[author_key]
    lesson = lessons[options["lesson"]] if "lesson" in options and len(lessons) > options["lesson"] else None
    thread = Thread(course_id=course.id, lesson_id=lesson.id if lesson else None, author_id=author.id, title=title,
                    kind=kind, anonymous=options.get("anonymous", False), pinned=options.get("pinned", False),
                    created_at=when, last_activity_at=when)  # fmt: skip
    db.session.add(thread)
    db.session.flush()
    first = _post(course, thread, author, body, options, when)
    thread.first_post_id = first.id
    participants = {author.id}
    posts = []
    wanted_votes = [(first, options.get("votes", 0))]
    for offset, (key, text, reply_options) in enumerate(replies, start=1):
        if key == "learner" and not learner_in:
            continue
        at = when + timedelta(hours=3 * offset, minutes=7 * offset)
        post = _post(course, thread, people[key], text, reply_options, at)
        posts.append(post)
        wanted_votes.append((post, reply_options.get("votes", 0)))
        participants.add(people[key].id)
        thread.reply_count += 1
        thread.last_activity_at = at
    thread.last_post_id = (posts[-1] if posts else first).id
    if kind == "question" and "accepted" in options and len(posts) > options["accepted"]:
        thread.accepted_post_id = posts[options["accepted"]].id
    for user_id in participants:
        db.session.add(ThreadFollow(thread_id=thread.id, user_id=user_id))
    db.session.add(ThreadRead(thread_id=thread.id, user_id=author.id, last_read_post_id=first.id))
    voters = [user.id for user in people.values()]
    for post, count in wanted_votes:
        for user_id in [v for v in voters if v != post.author_id][:count]:
            db.session.add(PostVote(post_id=post.id, user_id=user_id))
            post.vote_count += 1
            thread.vote_count += 1
    db.session.flush()


def _post(course, thread, author, body, options, when):
    html, _ = render_body(course, body)
    post = Post(thread_id=thread.id, author_id=author.id, body_md=body, body_html=html, created_at=when,
                anonymous=options.get("anonymous", False))  # fmt: skip
    db.session.add(post)
    db.session.flush()
    return post

