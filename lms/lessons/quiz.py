"""Knowledge checks on the lesson page: reading a submission and scoring it.

Scoring itself belongs to the studio (lms.studio.services.score_quiz, the same rules as its preview).
"""

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from lms.extensions import db
from lms.models import Question


def questions_of(lesson):
    """The lesson's questions with their choices: two queries whatever the number of questions."""
    questions = db.session.scalars(
        select(Question)
        .where(Question.lesson_id == lesson.id)
        .options(selectinload(Question.choices))
        .order_by(Question.position, Question.id)
    ).all()
    set_committed_value(lesson, "questions", questions)  # so the scorer's lesson.questions needs no query
    return questions


def read_answers(questions, form):
    """({question_id: {choice_id}}, {question_id: error}) from the posted form; unknown ids are ignored."""
    answers, errors = {}, {}
    for question in questions:
        valid = {choice.id for choice in question.choices}
        chosen = set()
        for raw in form.getlist(f"question-{question.id}"):
            try:
                value = int(raw)
            except (TypeError, ValueError):
                continue
            if value in valid:
                chosen.add(value)
        if question.kind == "single" and len(chosen) > 1:
            chosen = set()
        if not chosen:
            errors[question.id] = "Choose an answer." if question.kind == "single" else "Choose at least one answer."
        answers[question.id] = chosen
    return answers, errors


def score_quiz(lesson, answers):
    """(score_percent, passed, [{question, correct, chosen: [Choice], feedback: [str]}]) — the studio's
    scorer, so the learner's result always matches the instructor's preview."""
    from lms.studio.services import score_quiz as studio_score_quiz

    return studio_score_quiz(lesson, answers)


def attempt_result(lesson, attempt):
    """What the result of a stored attempt shows: the score and outcome recorded when it was taken (the lesson
    may have been completed by it), with per-question feedback only while the check still scores those answers
    the same; after the instructor changed it, `changed` says so instead of marking old answers anew."""
    answers = {int(k): set(v) for k, v in (attempt.answers or {}).items()}
    score, passed, feedback = score_quiz(lesson, answers)
    changed = (score, passed) != (attempt.score, attempt.passed)
    return {"score": attempt.score, "passed": attempt.passed, "feedback": [] if changed else feedback,
            "answers": answers, "changed": changed}  # fmt: skip
