"""The demo courses: complete, real text, correct totals, the enrolment settings other demo steps rely on,
and safe to seed twice."""

import re

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from lms.demo import courses
from lms.demo.courses import COURSE_FILES, TEXTS_DIR, CourseTextError, load_course_text
from lms.extensions import db
from lms.models import Choice, Course, CourseStaff, Lesson, Module, Question

PUBLISHED_SLUGS = {
    "client-communication",
    "negotiating-rates-and-scope",
    "giving-and-receiving-feedback",
    "leading-without-a-title",
    "lasting-client-relationships",
}


@pytest.fixture
def users(make_user):
    return {
        "learner": make_user(role="learner"),
        "instructor": make_user(role="instructor"),
        "admin": make_user(role="admin"),
    }


@pytest.fixture
def seeded(users):
    assert courses.seed(users) is True
    db.session.commit()
    return users


def _counts():
    models = (Course, Module, Lesson, Question, Choice)
    return tuple(db.session.scalar(select(func.count()).select_from(model)) for model in models)


def _published():
    return db.session.scalars(select(Course).where(Course.status == "published").order_by(Course.slug)).all()


def _words(markdown):
    return len(re.findall(r"\w+", markdown))


def test_seeding_twice_creates_nothing_the_second_time(seeded):
    before = _counts()
    assert courses.seed(seeded) is False
    db.session.commit()
    assert _counts() == before
    assert before[0] == 6


def test_a_missing_course_is_added_back_without_touching_the_others(seeded):
    db.session.delete(db.session.scalar(select(Course).where(Course.slug == "client-communication")))
    db.session.commit()
    kept = db.session.scalar(select(Course).where(Course.slug == "leading-without-a-title"))
    kept.title = "Renamed by the instructor"
    db.session.commit()

    assert courses.seed(seeded) is True
    db.session.commit()

    assert db.session.scalar(select(func.count(Course.id)).where(Course.slug == "client-communication")) == 1
    assert db.session.get(Course, kept.id).title == "Renamed by the instructor"


def test_five_published_courses_authored_by_the_instructor(seeded):
    published = _published()
    assert {c.slug for c in published} == PUBLISHED_SLUGS
    instructor = seeded["instructor"]
    for course in published:
        assert course.owner_id == instructor.id
        staff = db.session.scalars(select(CourseStaff).where(CourseStaff.course_id == course.id)).all()
        assert [(s.user_id, s.role) for s in staff] == [(instructor.id, "owner")]
        assert course.published_at is not None
        assert course.summary and course.description_html.strip()
        assert 3 <= len(course.outcomes.splitlines()) <= 5
        assert all(line.startswith("You will be able to") for line in course.outcomes.splitlines())
        assert course.skill_names and all(name == name.lower() for name in course.skill_names)
    assert len({c.published_at for c in published}) == len(published), "newest-first sorting needs distinct dates"
    assert {c.level for c in published} == {"intro", "intermediate", "advanced"}


def test_every_module_has_three_to_five_lessons_and_a_knowledge_check(seeded):
    for course in _published():
        assert len(course.modules) >= 3, course.slug
        for module in course.modules:
            assert 3 <= len(module.lessons) <= 5, (course.slug, module.title)
            quizzes = [lesson for lesson in module.lessons if lesson.has_quiz]
            assert quizzes, (course.slug, module.title)
            for lesson in quizzes:
                assert 50 <= lesson.pass_mark <= 100
                assert lesson.questions
                for question in lesson.questions:
                    correct = [c for c in question.choices if c.is_correct]
                    assert correct and len(question.choices) >= 3, question.prompt
                    assert all(c.feedback for c in question.choices), question.prompt
                    if question.kind == "single":
                        assert len(correct) == 1, question.prompt


def test_lessons_are_real_text_with_realistic_minutes(seeded):
    for course in _published():
        lessons = [lesson for module in course.modules for lesson in module.lessons]
        assert lessons[0].is_preview
        for module in course.modules:
            assert [lesson.position for lesson in module.lessons] == list(range(len(module.lessons)))
        for lesson in lessons:
            assert lesson.course_id == course.id
            assert 150 <= _words(lesson.body_md) <= 500, lesson.title
            assert "<p>" in lesson.body_html and "lorem" not in lesson.body_html.lower()
            assert 3 <= lesson.minutes <= 15 and lesson.minutes == lesson.minutes_authored
        assert "Try this today" in " ".join(lesson.body_md for lesson in lessons)


def test_denormalised_totals_match_the_lessons(seeded):
    for course in _published():
        lessons = [lesson for module in course.modules for lesson in module.lessons]
        assert course.lesson_count == len(lessons)
        assert course.total_minutes == sum(lesson.minutes for lesson in lessons)


def test_markdown_tables_and_quotes_survive_rendering(seeded):
    html = " ".join(db.session.scalars(select(Lesson.body_html)))
    assert "<table>" in html and "<blockquote>" in html


def test_enrolment_settings_the_other_demo_steps_rely_on(seeded):
    by_slug = {c.slug: c for c in db.session.scalars(select(Course))}
    key_course = by_slug["negotiating-rates-and-scope"]
    assert key_course.enrolment_policy == "key"
    assert check_password_hash(key_course.enrolment_key_hash, "spare-time-2026")
    assert not check_password_hash(key_course.enrolment_key_hash, "wrong-key")
    assert by_slug["leading-without-a-title"].enrolment_policy == "approval"
    assert by_slug["lasting-client-relationships"].capacity == 25
    for slug in ("client-communication", "giving-and-receiving-feedback", "lasting-client-relationships"):
        assert by_slug[slug].enrolment_policy == "open"
        assert by_slug[slug].enrolment_key_hash is None


def test_drip_and_prerequisite_examples(seeded):
    feedback = db.session.scalar(select(Course).where(Course.slug == "giving-and-receiving-feedback"))
    assert [m.drip_days for m in feedback.modules] == [None, None, 7]
    gated = db.session.scalars(select(Lesson).where(Lesson.requires_previous.is_(True))).all()
    assert [lesson.course.slug for lesson in gated] == ["leading-without-a-title"]
    assert gated[0].position > 0


def test_the_draft_course_stays_a_draft(seeded):
    draft = db.session.scalar(select(Course).where(Course.slug == "saying-no-to-clients"))
    assert draft.status == "draft" and draft.published_at is None
    assert draft.owner_id == seeded["instructor"].id
    assert [len(m.lessons) for m in draft.modules] == [2]
    assert draft.lesson_count == 2


def test_seed_demo_command_builds_the_courses_once(runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert {c.slug for c in _published()} >= PUBLISHED_SLUGS
    counts = _counts()
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert _counts() == counts


@pytest.mark.parametrize("filename", COURSE_FILES)
def test_course_files_parse(filename):
    spec = load_course_text(TEXTS_DIR / filename)
    assert spec["slug"] + ".md" == filename


def test_a_malformed_question_is_refused(tmp_path):
    broken = tmp_path / "broken.md"
    broken.write_text(
        "slug: broken\ntitle: Broken\nsummary: A test.\n\n@module One\n\n@lesson Only\nminutes: 3\npass_mark: 80\n\n"
        "Some text.\n\n@question single Which?\n- wrong | no\n- also wrong | no\n",
        encoding="utf-8",
    )
    with pytest.raises(CourseTextError):
        load_course_text(broken)
