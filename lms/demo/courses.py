"""Demo data: the courses every visitor sees first, written for IT freelancers.

The texts live in lms/demo/course_texts/<slug>.md (format below); this module parses them and builds
the courses on the models, authored by the demo instructor (Course.owner_id plus a CourseStaff "owner").
`seed(users)` is idempotent: a course whose slug already exists is left exactly as it is.

Enrolment settings the later demo steps (enrolments, progress, discussions, peers) rely on:

| slug                          | status    | level        | enrolment                                          |
|-------------------------------|-----------|--------------|----------------------------------------------------|
| client-communication          | published | intro        | open                                               |
| negotiating-rates-and-scope   | published | intermediate | key: "spare-time-2026" (DEMO_ENROLMENT_KEY)        |
| giving-and-receiving-feedback | published | intro        | open; module 3 drips 7 days after enrolment        |
| leading-without-a-title       | published | advanced     | approval; one lesson requires the previous one     |
| lasting-client-relationships  | published | intermediate | open, capacity 25                                  |
| saying-no-to-clients          | draft     | intro        | open (a draft, so the studio shows one)            |

Text format of a course file (a line starting with "@" opens a block; nothing else is special):

    slug: client-communication          <- course fields, "key: value" lines up to the first "@"
    title: ...
    summary: ...
    level: intro
    skills: client communication, feedback
    published_days_ago: 4               <- omit for a draft

    @description                        <- Markdown until the next "@" line
    @outcomes                           <- one "You will be able to ..." per line
    @module Module title                <- then "key: value" lines (summary, drip_days) up to a blank line
    @lesson Lesson title                <- then "key: value" lines (minutes, preview, requires_previous,
                                           pass_mark) up to a blank line, then the Markdown body
    @question single|multiple Prompt    <- belongs to the lesson above; then one choice a line:
    + correct choice text | feedback shown for this choice
    - wrong choice text | feedback shown for this choice
"""

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from lms.content import render_markdown
from lms.database import utcnow
from lms.extensions import db
from lms.models import Choice, Course, CourseSkill, CourseStaff, Lesson, Module, Question
from lms.studio.services import recompute_course_totals

TEXTS_DIR = Path(__file__).with_name("course_texts")

DEMO_ENROLMENT_KEY = "spare-time-2026"

# Files in the order they are built; published_days_ago in each file makes "newest" sorting differ.
COURSE_FILES = (
    "client-communication.md",
    "negotiating-rates-and-scope.md",
    "giving-and-receiving-feedback.md",
    "leading-without-a-title.md",
    "lasting-client-relationships.md",
    "saying-no-to-clients.md",
)

ENROLMENT_SETTINGS = {
    "negotiating-rates-and-scope": {"enrolment_policy": "key", "enrolment_key": DEMO_ENROLMENT_KEY},
    "leading-without-a-title": {"enrolment_policy": "approval"},
    "lasting-client-relationships": {"enrolment_policy": "open", "capacity": 25},
}

_TRUE = {"yes", "true", "1", "on"}


class CourseTextError(ValueError):
    """A course text file does not follow the format in this module's docstring."""


def seed(users):
    """Create the demo courses that are missing; return True when anything was created."""
    instructor = users["instructor"]
    existing = set(db.session.scalars(select(Course.slug)))
    created = False
    for filename in COURSE_FILES:
        spec = load_course_text(TEXTS_DIR / filename)
        if spec["slug"] in existing:
            continue
        build_course(spec, instructor)
        created = True
    db.session.flush()
    return created


def build_course(spec, owner):
    """Create one course with its modules, lessons and knowledge checks from a parsed spec."""
    settings = ENROLMENT_SETTINGS.get(spec["slug"], {})
    key = settings.get("enrolment_key")
    days_ago = spec.get("published_days_ago")
    course = Course(
        slug=spec["slug"],
        title=spec["title"],
        summary=spec["summary"],
        description_md=spec["description"],
        description_html=str(render_markdown(spec["description"])),
        outcomes="\n".join(spec["outcomes"]),
        level=spec.get("level", "intro"),
        status="draft" if days_ago is None else "published",
        published_at=None if days_ago is None else utcnow() - timedelta(days=int(days_ago), hours=3),
        enrolment_policy=settings.get("enrolment_policy", "open"),
        enrolment_key_hash=generate_password_hash(key, method="scrypt") if key else None,
        capacity=settings.get("capacity"),
        owner_id=owner.id,
    )
    course.skills = [CourseSkill(name=name) for name in spec["skills"]]
    course.staff = [CourseStaff(user_id=owner.id, role="owner")]
    db.session.add(course)
    db.session.flush()
    for m_index, module_spec in enumerate(spec["modules"]):
        module = Module(
            course_id=course.id,
            position=m_index,
            title=module_spec["title"],
            summary=module_spec.get("summary", ""),
            drip_days=int(module_spec["drip_days"]) if module_spec.get("drip_days") else None,
        )
        db.session.add(module)
        db.session.flush()
        for l_index, lesson_spec in enumerate(module_spec["lessons"]):
            db.session.add(_build_lesson(course, module, l_index, lesson_spec))
    db.session.flush()
    recompute_course_totals(course)
    return course


def _build_lesson(course, module, position, spec):
    minutes = int(spec["minutes"])
    pass_mark = spec.get("pass_mark")
    lesson = Lesson(
        course_id=course.id,
        module_id=module.id,
        position=position,
        title=spec["title"],
        body_md=spec["body"],
        body_html=str(render_markdown(spec["body"])),
        minutes=minutes,
        minutes_authored=minutes,
        is_preview=spec.get("preview", "").lower() in _TRUE,
        requires_previous=spec.get("requires_previous", "").lower() in _TRUE,
        pass_mark=int(pass_mark) if pass_mark else None,
    )
    for q_index, (kind, prompt, choices) in enumerate(spec["questions"]):
        question = Question(position=q_index, prompt=prompt, kind=kind)
        question.choices = [
            Choice(position=c_index, text=text, is_correct=correct, feedback=feedback)
            for c_index, (text, correct, feedback) in enumerate(choices)
        ]
        lesson.questions.append(question)
    return lesson


def load_course_text(path):
    """Parse one course file into a dict (see the module docstring); raises CourseTextError."""
    blocks = _split_blocks(Path(path).read_text(encoding="utf-8"))
    head_lines = blocks[0][2]
    spec, _ = _read_fields(head_lines, stop_at_blank=False)
    spec.update(description="", outcomes=[], modules=[])
    spec["skills"] = [s.strip().lower() for s in spec.get("skills", "").split(",") if s.strip()]
    lesson = None
    for name, arg, lines in blocks[1:]:
        if name == "description":
            spec["description"] = _text(lines)
        elif name == "outcomes":
            spec["outcomes"] = [line.strip() for line in lines if line.strip()]
        elif name == "module":
            fields, _ = _read_fields(lines)
            spec["modules"].append({**fields, "title": arg, "lessons": []})
            lesson = None
        elif name == "lesson":
            if not spec["modules"]:
                raise CourseTextError(f"{path}: lesson {arg!r} comes before any @module")
            fields, body = _read_fields(lines)
            lesson = {**fields, "title": arg, "body": _text(body), "questions": []}
            spec["modules"][-1]["lessons"].append(lesson)
        elif name == "question":
            if lesson is None:
                raise CourseTextError(f"{path}: question {arg!r} comes before any @lesson")
            lesson["questions"].append(_read_question(path, arg, lines))
        else:
            raise CourseTextError(f"{path}: unknown block @{name}")
    _check(path, spec)
    return spec


def _split_blocks(text):
    """[(name, argument, lines)], the first block being the unnamed head of the file."""
    blocks = [("", "", [])]
    for line in text.splitlines():
        if line.startswith("@"):
            name, _, arg = line[1:].partition(" ")
            blocks.append((name.strip(), arg.strip(), []))
        else:
            blocks[-1][2].append(line)
    return blocks


def _read_fields(lines, stop_at_blank=True):
    """Leading "key: value" lines (after blank lines) -> (dict, the remaining lines)."""
    fields = {}
    index = 0
    while index < len(lines) and not lines[index].strip():
        index += 1
    while index < len(lines):
        line = lines[index]
        if not line.strip():
            if stop_at_blank:
                break
            index += 1
            continue
        key, sep, value = line.partition(":")
        if not sep or " " in key.strip():
            break
        fields[key.strip()] = value.strip()
        index += 1
    return fields, lines[index:]


def _read_question(path, arg, lines):
    kind, _, prompt = arg.partition(" ")
    choices = []
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if line[:2] not in ("+ ", "- "):
            raise CourseTextError(f"{path}: choice line must start with '+ ' or '- ': {line!r}")
        text, _, feedback = line[2:].partition("|")
        choices.append((text.strip(), line[0] == "+", feedback.strip()))
    correct = sum(1 for _, ok, _ in choices if ok)
    if kind not in ("single", "multiple") or correct == 0 or (kind == "single" and correct != 1):
        raise CourseTextError(f"{path}: question {prompt!r} has kind {kind!r} and {correct} correct choices")
    return kind, prompt.strip(), choices


def _text(lines):
    return "\n".join(lines).strip() + "\n"


def _check(path, spec):
    for field in ("slug", "title", "summary"):
        if not spec.get(field):
            raise CourseTextError(f"{path}: missing {field}")
    for module in spec["modules"]:
        for lesson in module["lessons"]:
            if "minutes" not in lesson or not lesson["body"].strip():
                raise CourseTextError(f"{path}: lesson {lesson['title']!r} needs minutes and a body")
            if bool(lesson["questions"]) != bool(lesson.get("pass_mark")):
                raise CourseTextError(f"{path}: lesson {lesson['title']!r} needs both pass_mark and questions")
