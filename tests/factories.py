"""Test data built straight on the models (fast, no HTTP). Shared by every feature's tests."""

from lms.content import render_markdown
from lms.database import utcnow
from lms.extensions import db
from lms.models import Choice, Course, CourseSkill, CourseStaff, Enrolment, Lesson, Module, Question


def make_course(owner, title="Negotiating rates", *, slug=None, modules=((5, 10),), status="published",
                policy="open", capacity=None, level="intro", skills=("negotiation",), summary="",
                description="A practical course.", preview_first=False):  # fmt: skip
    """modules: one tuple of lesson minutes per module, e.g. ((5, 10), (15,)) -> 2 modules, 3 lessons."""
    course = Course(
        slug=slug or title.lower().replace(" ", "-"),
        title=title,
        summary=summary or f"{title} for freelancers.",
        description_md=description,
        description_html=str(render_markdown(description)),
        level=level,
        status=status,
        enrolment_policy=policy,
        capacity=capacity,
        owner_id=owner.id,
        published_at=utcnow() if status != "draft" else None,
    )
    course.skills = [CourseSkill(name=s) for s in skills]
    course.staff = [CourseStaff(user_id=owner.id, role="owner")]
    db.session.add(course)
    db.session.flush()
    total = count = 0
    for m_index, lesson_minutes in enumerate(modules):
        module = Module(course_id=course.id, position=m_index, title=f"Module {m_index + 1}")
        db.session.add(module)
        db.session.flush()
        for l_index, minutes in enumerate(lesson_minutes):
            body = f"Lesson {m_index + 1}.{l_index + 1} text."
            db.session.add(
                Lesson(
                    course_id=course.id, module_id=module.id, position=l_index,
                    title=f"Lesson {m_index + 1}.{l_index + 1}", body_md=body, body_html=str(render_markdown(body)),
                    minutes=minutes, minutes_authored=minutes, is_preview=preview_first and m_index == l_index == 0,
                )
            )  # fmt: skip
            total += minutes
            count += 1
    course.total_minutes, course.lesson_count = total, count
    db.session.commit()
    return course


def add_quiz(lesson, pass_mark=100, questions=(("Best first reply?", [("Ask questions", True), ("Discount", False)]),)):
    lesson.pass_mark = pass_mark
    for q_index, (prompt, choices) in enumerate(questions):
        kind = "multiple" if sum(1 for _, ok in choices if ok) > 1 else "single"
        question = Question(lesson_id=lesson.id, position=q_index, prompt=prompt, kind=kind)
        question.choices = [
            Choice(position=i, text=text, is_correct=ok, feedback="Right." if ok else "Not quite.")
            for i, (text, ok) in enumerate(choices)
        ]
        db.session.add(question)
    db.session.commit()
    return lesson


def enrol(user, course, status="active"):
    enrolment = Enrolment(course_id=course.id, user_id=user.id, status=status,
                          enrolled_at=utcnow() if status == "active" else None)  # fmt: skip
    db.session.add(enrolment)
    if status == "active":
        course.enrolled_count += 1
    db.session.commit()
    return enrolment


def lessons_of(course):
    return [lesson for module in course.modules for lesson in module.lessons]
