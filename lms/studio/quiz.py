"""Knowledge-check authoring: questions with choices, and the lesson's pass mark. Callers commit.

Scoring (score_quiz) lives in lms.studio.services, where the lessons feature calls it.
"""

from lms.extensions import db
from lms.models import Choice, Question
from lms.studio.services import StudioError, correct_answers_needed, quiz_problems

# The most choices a question may have: the editor's rows, and what an import accepts.
MAX_CHOICES = 8


def save_question(lesson, question, *, prompt, kind, choices):
    """Create (question=None) or replace a question. choices: [(text, is_correct, feedback), ...]."""
    choices = [(text.strip(), bool(ok), (feedback or "").strip()) for text, ok, feedback in choices if text.strip()]
    if len(choices) < 2:
        raise StudioError("Give at least two choices.")
    if len(choices) > MAX_CHOICES:
        raise StudioError(f"A question has at most {MAX_CHOICES} choices: clear {len(choices) - MAX_CHOICES} of them.")
    correct = sum(1 for _, ok, _ in choices if ok)
    if correct == 0:
        raise StudioError("Mark at least one choice as correct.")
    if kind == "single" and correct > 1:
        raise StudioError("A single-choice question has exactly one correct choice; use multiple choice instead.")
    if question is None:
        question = Question(lesson_id=lesson.id, position=len(lesson.questions), prompt="", kind=kind)
        lesson.questions.append(question)
    question.prompt, question.kind = prompt.strip(), kind
    kept = _match_choices(list(question.choices), [text for text, _, _ in choices])
    new_choices = []
    for position, (text, ok, feedback) in enumerate(choices):
        choice = kept[position] or Choice()
        choice.position, choice.text, choice.is_correct, choice.feedback = position, text, ok, feedback
        new_choices.append(choice)
    question.choices = new_choices
    return question


def _match_choices(existing, texts):
    """For each new choice text, the stored Choice to reuse (or None): stored quiz attempts hold choice ids, so
    a choice keeps its id when its text stays, wherever it moves; an edited text keeps the id of the choice that
    was in its place, unless that one's text lives on elsewhere. A removed choice's id is dropped."""
    unused = list(existing)
    kept = [None] * len(texts)
    for index, text in enumerate(texts):
        same = next((choice for choice in unused if choice.text == text), None)
        if same is not None:
            kept[index] = same
            unused.remove(same)
    for index, choice in enumerate(kept):
        if choice is None and index < len(existing) and existing[index] in unused:
            kept[index] = existing[index]
            unused.remove(existing[index])
    return kept


def delete_question(lesson, question):
    if lesson.pass_mark is not None and len(lesson.questions) == 1:
        raise StudioError("This is the last question of a knowledge check: remove the pass mark first.")
    lesson.questions.remove(question)
    for position, each in enumerate(lesson.questions):
        each.position = position
    db.session.flush()


def set_pass_mark(lesson, pass_mark):
    """None removes the knowledge check; a percent needs questions that each have a correct choice."""
    if pass_mark is not None:
        problems = quiz_problems(lesson)
        if problems:
            raise StudioError(" ".join(problems))
        if not 0 <= pass_mark <= 100:
            raise StudioError("The pass mark is a percentage between 0 and 100.")
    lesson.pass_mark = pass_mark
    return lesson


def pass_mark_in_answers(lesson):
    """What the pass mark means for the lesson's questions as they are now, e.g. "With 3 questions, passing needs
    3 correct." ("" with no pass mark or no questions)."""
    total = len(lesson.questions)
    if lesson.pass_mark is None or not total:
        return ""
    needed = correct_answers_needed(lesson.pass_mark, total)
    return f"With {total} question{'' if total == 1 else 's'}, passing needs {needed} correct."
