"""Fast bulk seeding for the benchmark: Core inserts in large batches (COPY-free, works on SQLite and
PostgreSQL), explicit ids so related rows need no look-ups. Sizes at --scale 1.0:
10,000 learners, 200 courses, 4,000 lessons, 50,000 enrolments, 1,000,000 progress rows, 100,000 posts."""

import random
from datetime import timedelta

from sqlalchemy import insert, text
from werkzeug.security import generate_password_hash

from lms.content import render_markdown
from lms.database import utcnow
from lms.extensions import db
from lms.models import Course, CourseSkill, CourseStaff, Enrolment, Lesson, LessonProgress, Module, SignIn, User

BATCH = 10_000
MODULES_PER_COURSE = 4
LESSONS_PER_MODULE = 5
COURSES_PER_LEARNER = 5
SKILLS = ["negotiation", "client communication", "feedback", "leadership", "relationships", "pricing", "scope"]
LEVELS = ["intro", "intermediate", "advanced"]
THREAD_WITH_200_REPLIES = 200

LESSON_TEXT = """## {title}

Most freelancers learn this the hard way. This lesson gives you a short, practical routine instead.

| Situation | What to say |
| --- | --- |
| The client asks for a discount | "Happy to look at scope: which part matters least to you?" |
| The brief keeps growing | "That is a good idea for phase two. Shall I estimate it separately?" |

1. Write down what you actually agreed.
2. Name the change before you discuss the price.
3. Confirm it in writing the same day.

```text
Hi Sam, thanks for the call. To confirm: ...
```

> Clear beats clever. A short written summary prevents most arguments.
""" + " ".join(["Practise it once this week with a real client e-mail."] * 30)


def _defaults(table):
    """Python-side column defaults, evaluated once per batch (Core bulk inserts skip ORM defaults)."""
    values = {}
    for column in table.columns:
        default = column.default
        if default is None or column.primary_key:
            continue
        if default.is_scalar:
            values[column.name] = default.arg
        elif default.is_callable:
            values[column.name] = default.arg(None)
    return values


def insert_rows(table, rows):
    defaults = _defaults(table)
    batch = []
    for row in rows:
        batch.append({**defaults, **row})
        if len(batch) >= BATCH:
            db.session.execute(insert(table), batch)
            batch = []
    if batch:
        db.session.execute(insert(table), batch)


def sizes(scale):
    learners = max(20, int(10_000 * scale))
    courses = max(5, int(200 * scale))
    return {
        "learners": learners,
        "courses": courses,
        "lessons": courses * MODULES_PER_COURSE * LESSONS_PER_MODULE,
        "enrolments": learners * COURSES_PER_LEARNER,
        "progress": learners * COURSES_PER_LEARNER * MODULES_PER_COURSE * LESSONS_PER_MODULE,
        "posts": max(300, int(100_000 * scale)),
    }


def seed(scale, password):
    """Fill an empty database; returns a description of what the benchmark should request."""
    rng = random.Random(42)
    n = sizes(scale)
    now = utcnow()
    password_hash = generate_password_hash(password, method="scrypt")

    instructors = 20
    users = [{"id": i, "email": f"instructor{i}@bench.example", "display_name": f"Instructor {i}",
              "password_hash": password_hash, "session_token": f"bench-token-{i}", "role": "instructor",
              "headline": "Coach for freelancers"} for i in range(1, instructors + 1)]  # fmt: skip
    first_learner = instructors + 1
    users += [{"id": first_learner + i, "email": f"learner{i}@bench.example", "display_name": f"Learner {i}",
               "password_hash": password_hash, "session_token": f"bench-token-{first_learner + i}",
               "weekly_goal_minutes": 60 + (i % 5) * 30} for i in range(n["learners"])]  # fmt: skip
    insert_rows(User.__table__, users)
    # Each user signed in once: the benchmark's session cookies carry these tokens.
    insert_rows(SignIn.__table__, [{"token": user["session_token"], "user_id": user["id"],
                                    "account_token": user["session_token"], "created_at": now} for user in users])  # fmt: skip

    body_html = {}
    courses, skills, staff, modules, lessons = [], [], [], [], []
    lesson_id = 0
    course_lessons = {}
    for c in range(1, n["courses"] + 1):
        owner = 1 + (c % instructors)
        courses.append({
            "id": c, "slug": f"bench-course-{c}", "title": f"Course {c}: {SKILLS[c % len(SKILLS)].title()} for freelancers",
            "summary": "Practical soft skills for busy freelancers.", "description_md": "A practical course.",
            "description_html": "<p>A practical course.</p>", "outcomes": "Write clearer e-mails\nHold your rate",
            "level": LEVELS[c % 3], "status": "published", "owner_id": owner,
            "published_at": now - timedelta(days=c), "total_minutes": 0,
            "lesson_count": MODULES_PER_COURSE * LESSONS_PER_MODULE, "enrolled_count": 0,
        })  # fmt: skip
        skills += [{"course_id": c, "name": SKILLS[c % len(SKILLS)]}, {"course_id": c, "name": SKILLS[(c + 3) % len(SKILLS)]}]
        staff.append({"course_id": c, "user_id": owner, "role": "owner"})
        course_lessons[c] = []
        total = 0
        for m in range(MODULES_PER_COURSE):
            module_id = (c - 1) * MODULES_PER_COURSE + m + 1
            modules.append({"id": module_id, "course_id": c, "position": m, "title": f"Module {m + 1}"})
            for p in range(LESSONS_PER_MODULE):
                lesson_id += 1
                title = f"Lesson {m + 1}.{p + 1}"
                if title not in body_html:
                    body_html[title] = str(render_markdown(LESSON_TEXT.format(title=title)))
                minutes = 3 + (lesson_id % 12)
                total += minutes
                lessons.append({"id": lesson_id, "course_id": c, "module_id": module_id, "position": p, "title": title,
                                "body_md": LESSON_TEXT.format(title=title), "body_html": body_html[title],
                                "minutes": minutes, "minutes_authored": minutes, "is_preview": p == 0 and m == 0})  # fmt: skip
                course_lessons[c].append(lesson_id)
        courses[-1]["total_minutes"] = total
    insert_rows(Course.__table__, courses)
    insert_rows(CourseSkill.__table__, skills)
    insert_rows(CourseStaff.__table__, staff)
    insert_rows(Module.__table__, modules)
    insert_rows(Lesson.__table__, lessons)

    enrolled_count = dict.fromkeys(range(1, n["courses"] + 1), 0)
    learner_courses = {}

    def enrolment_rows():
        enrolment_id = 0
        for i in range(n["learners"]):
            user_id = first_learner + i
            chosen = rng.sample(range(1, n["courses"] + 1), COURSES_PER_LEARNER)
            learner_courses[user_id] = chosen
            for course_id in chosen:
                enrolment_id += 1
                enrolled_count[course_id] += 1
                yield {"id": enrolment_id, "course_id": course_id, "user_id": user_id, "status": "active",
                       "requested_at": now - timedelta(days=30), "enrolled_at": now - timedelta(days=30),
                       "last_activity_at": now - timedelta(hours=i % 200)}  # fmt: skip

    insert_rows(Enrolment.__table__, enrolment_rows())

    def progress_rows():
        progress_id = 0
        for user_id, chosen in learner_courses.items():
            for course_id in chosen:
                done_until = rng.randint(0, len(course_lessons[course_id]))
                for index, lid in enumerate(course_lessons[course_id]):
                    progress_id += 1
                    yield {"id": progress_id, "user_id": user_id, "lesson_id": lid, "course_id": course_id,
                           "first_opened_at": now - timedelta(days=20), "last_opened_at": now - timedelta(days=1),
                           "completed_at": now - timedelta(days=2) if index < done_until else None,
                           "seconds_spent": 120 + index * 7}  # fmt: skip

    insert_rows(LessonProgress.__table__, progress_rows())
    for course_id, count in enrolled_count.items():
        db.session.execute(
            Course.__table__.update().where(Course.__table__.c.id == course_id).values(enrolled_count=count)
        )

    big_thread = _seed_discussion(rng, n, now, learner_courses, first_learner)
    _reset_sequences()
    db.session.commit()

    # What the load generator asks for: learners, each with the courses they are enrolled in.
    sample_learners = list(learner_courses.items())[:500]
    return {
        "sizes": n,
        "learners": [{"token": f"bench-token-{uid}", "courses": courses_, "lessons": {c: course_lessons[c] for c in courses_}}
                     for uid, courses_ in sample_learners],  # fmt: skip
        "big_thread": big_thread,
    }


def _seed_discussion(rng, n, now, learner_courses, first_learner):
    """Threads and posts; one thread in course 1 gets exactly 200 replies. Returns that thread's ids."""
    from lms.models.discussion import Post, Thread

    members = {}
    for user_id, chosen in learner_courses.items():
        for course_id in chosen:
            members.setdefault(course_id, []).append(user_id)
    threads, posts = [], []
    thread_id = post_id = 0
    remaining = n["posts"] - (THREAD_WITH_200_REPLIES + 1)
    threads_per_course = 20
    per_thread = max(1, remaining // (n["courses"] * threads_per_course))
    big = None
    for course_id in range(1, n["courses"] + 1):
        people = members.get(course_id) or [first_learner]
        for t in range(threads_per_course + (1 if course_id == 1 else 0)):
            thread_id += 1
            count = THREAD_WITH_200_REPLIES + 1 if (course_id == 1 and t == threads_per_course) else per_thread
            if count == THREAD_WITH_200_REPLIES + 1:
                big = {"course_slug": "bench-course-1", "thread_id": thread_id}
            started = now - timedelta(days=rng.randint(1, 60), minutes=t)
            for k in range(count):
                post_id += 1
                posts.append({"id": post_id, "thread_id": thread_id, "author_id": rng.choice(people),
                              "body_md": f"Post {k} about handling scope creep with a client.",
                              "body_html": f"<p>Post {k} about handling scope creep with a client.</p>",
                              "created_at": started + timedelta(minutes=k)})  # fmt: skip
            threads.append({"id": thread_id, "course_id": course_id, "author_id": rng.choice(people),
                            "title": f"How do you handle scope creep? ({thread_id})",
                            "kind": "question" if t % 3 == 0 else "discussion", "created_at": started,
                            "last_activity_at": started + timedelta(minutes=count), "reply_count": count - 1,
                            "pinned": t == 0})  # fmt: skip
    thread_columns = set(Thread.__table__.columns.keys())
    insert_rows(Thread.__table__, [{k: v for k, v in row.items() if k in thread_columns} for row in threads])
    insert_rows(Post.__table__, posts)
    if "first_post_id" in thread_columns:
        # Threads and posts point at each other: link the opening post once both exist.
        db.session.execute(text(
            "UPDATE discussion_threads SET first_post_id = "
            "(SELECT MIN(p.id) FROM discussion_posts p WHERE p.thread_id = discussion_threads.id)"
        ))
    return big


def _reset_sequences():
    """Explicit ids leave PostgreSQL sequences behind: move them past the seeded rows."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in db.metadata.sorted_tables:
        if "id" in table.columns and table.columns["id"].autoincrement is not False and len(table.primary_key.columns) == 1:
            db.session.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
            ))  # fmt: skip
