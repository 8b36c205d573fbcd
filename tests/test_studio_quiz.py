"""Knowledge checks: authoring questions and pass marks in the studio, and score_quiz for the lessons feature."""

import re

import pytest

from lms.extensions import db
from lms.studio.services import score_quiz
from tests.factories import add_quiz, lessons_of, make_course


@pytest.fixture
def quiz_lesson(make_user):
    owner = make_user(role="instructor")
    course = make_course(owner, "Quiz course", slug="quiz-course")
    lesson = add_quiz(lessons_of(course)[0], pass_mark=50, questions=(
        ("Single?", [("Right", True), ("Wrong", False)]),
        ("Multiple?", [("A", True), ("B", True), ("C", False)]),
    ))  # fmt: skip
    return owner, course, lesson


def ids(lesson):
    single, multiple = lesson.questions
    return single, multiple, [c.id for c in single.choices], [c.id for c in multiple.choices]


def test_all_correct_passes_with_feedback(quiz_lesson):
    _, _, lesson = quiz_lesson
    single, multiple, s, m = ids(lesson)
    score, passed, feedback = score_quiz(lesson, {single.id: {s[0]}, multiple.id: {m[0], m[1]}})
    assert (score, passed) == (100, True)
    assert [f["correct"] for f in feedback] == [True, True]
    assert feedback[0]["question"] is single and [c.text for c in feedback[0]["chosen"]] == ["Right"]
    assert feedback[0]["feedback"] == ["Right."]


def test_partial_multiple_choice_answer_is_not_correct(quiz_lesson):
    _, _, lesson = quiz_lesson
    single, multiple, s, m = ids(lesson)
    score, passed, feedback = score_quiz(lesson, {single.id: {s[0]}, multiple.id: {m[0]}})
    assert (score, passed) == (50, True)  # pass mark 50
    assert feedback[1]["correct"] is False
    score, _, feedback = score_quiz(lesson, {single.id: {s[0]}, multiple.id: {m[0], m[1], m[2]}})
    assert score == 50 and feedback[1]["feedback"] == ["Right.", "Right.", "Not quite."]


def test_pass_mark_boundaries_and_bad_answers(quiz_lesson):
    _, _, lesson = quiz_lesson
    single, multiple, s, m = ids(lesson)
    lesson.pass_mark = 51
    assert score_quiz(lesson, {single.id: {s[0]}})[:2] == (50, False)
    assert score_quiz(lesson, {})[:2] == (0, False)
    # two picks on a single-choice question, string ids from a form, unknown ids and junk are ignored safely
    assert score_quiz(lesson, {single.id: {s[0], s[1]}, multiple.id: {m[0], m[1]}})[0] == 50
    assert score_quiz(lesson, {str(single.id): [str(s[0])], "junk": ["x"], 99999: {1}})[0] == 50
    lesson.pass_mark = 100
    assert score_quiz(lesson, {single.id: {s[0]}, multiple.id: {m[0], m[1]}})[:2] == (100, True)


def test_three_questions_round_down(make_user):
    course = make_course(make_user(role="instructor"), "Thirds", slug="thirds")
    lesson = add_quiz(lessons_of(course)[0], pass_mark=67, questions=[(f"Q{i}", [("y", True), ("n",
        False)]) for i in range(3)])
    answers = {q.id: {q.choices[0].id} for q in lesson.questions[:2]}
    assert score_quiz(lesson, answers)[:2] == (66, False)


def choice_data(prompt="Best reply to a lowball offer?", kind="single", choices=()):
    data = {"prompt": prompt, "kind": kind}
    for index, (text, correct, feedback) in enumerate(choices):
        data[f"choices-{index}-text"] = text
        if correct:
            data[f"choices-{index}-is_correct"] = "y"
        data[f"choices-{index}-feedback"] = feedback
    return data


def test_author_questions_and_pass_mark(client, login, make_user):
    owner = make_user(role="instructor")
    course = make_course(owner, "Authoring", slug="authoring")
    lesson = lessons_of(course)[0]
    login(owner)
    base = f"/studio/courses/authoring/lessons/{lesson.id}"
    response = client.post(f"{base}/pass-mark", data={"pass_mark": "80"}, follow_redirects=True)
    assert "Add at least one question first" in response.get_data(as_text=True) and lesson.pass_mark is None
    for choices, message in [
        ([("Only one", True, "")], "at least two choices"),
        ([("A", False, ""), ("B", False, "")], "at least one choice as correct"),
        ([("A", True, ""), ("B", True, "")], "exactly one correct"),
    ]:
        response = client.post(f"{base}/questions/new", data=choice_data(choices=choices))
        assert message in response.get_data(as_text=True)
    assert lesson.questions == []
    client.post(f"{base}/questions/new", data=choice_data(choices=[("Ask about the budget", True, "Yes: learn first."),
                                                                    ("Cut the price", False,
                                                                        "That anchors low.")]))  # fmt: skip
    db.session.expire_all()
    [question] = lesson.questions
    assert [(c.text, c.is_correct, c.feedback) for c in question.choices] == [
        ("Ask about the budget", True, "Yes: learn first."), ("Cut the price", False, "That anchors low.")]
    client.post(f"{base}/pass-mark", data={"pass_mark": "80"})
    assert lesson.pass_mark == 80
    choice_ids = [c.id for c in question.choices]
    client.post(f"{base}/questions/{question.id}/edit", data=choice_data(kind="multiple", choices=[
        ("Ask about the budget", True, ""), ("Cut the price", False, ""), ("Ask about the deadline", True,
            "Also good.")]))  # fmt: skip
    db.session.expire_all()
    assert question.kind == "multiple" and len(question.choices) == 3
    assert [c.id for c in question.choices][:2] == choice_ids  # stored answers keep pointing at the same choices
    response = client.post(f"{base}/questions/{question.id}/delete", follow_redirects=True)
    assert "remove the pass mark first" in response.get_data(as_text=True)
    client.post(f"{base}/pass-mark", data={"pass_mark": ""})
    assert lesson.pass_mark is None
    client.post(f"{base}/questions/{question.id}/delete")
    db.session.expire_all()
    assert lesson.questions == []


def test_a_question_with_more_choices_than_the_editor_allows_opens_and_can_be_trimmed(client, login, make_user):
    owner = make_user(role="instructor")
    course = make_course(owner, "Many choices", slug="many-choices")
    lesson = add_quiz(lessons_of(course)[0], pass_mark=None, questions=(
        ("Which?", [("Choice A", True)] + [(f"Choice {letter}", False) for letter in "BCDEFGHIJ"]),))  # fmt: skip
    [question] = lesson.questions
    login(owner)
    url = f"/studio/courses/many-choices/lessons/{lesson.id}/questions/{question.id}/edit"
    response = client.get(url)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert all(f'value="Choice {letter}"' in page for letter in "ABCDEFGHIJ")  # every choice shown, none dropped
    assert "This question has 10 choices; a question has at most 8. Clear 2 before saving." in page
    all_ten = [(c.text, c.is_correct, "") for c in question.choices]
    response = client.post(url, data=choice_data(prompt="Which?", choices=all_ten))
    assert "A question has at most 8 choices: clear 2 of them." in response.get_data(as_text=True)
    db.session.expire_all()
    assert len(question.choices) == 10
    response = client.post(url, data=choice_data(prompt="Which?", choices=all_ten[:8] + [("", False, "")] * 2))
    assert response.status_code == 302
    db.session.expire_all()
    assert [c.text for c in question.choices] == [f"Choice {letter}" for letter in "ABCDEFGH"]
    assert client.get(url).status_code == 200


def test_preview_check_scores_without_recording(client, login, quiz_lesson):
    from sqlalchemy import func, select

    from lms.models import QuizAttempt

    owner, course, lesson = quiz_lesson
    login(owner)
    single, multiple, s, m = ids(lesson)
    page = client.get(f"/studio/courses/quiz-course/preview/lessons/{lesson.id}").get_data(as_text=True)
    assert "Single?" in page and 'type="radio"' in page and 'type="checkbox"' in page
    assert "Right." not in page  # feedback and correctness stay hidden until answered
    response = client.post(f"/studio/courses/quiz-course/preview/lessons/{lesson.id}",
                           data={f"q{single.id}": str(s[0]), f"q{multiple.id}": str(m[0])})  # fmt: skip
    page = response.get_data(as_text=True)
    assert "You scored 50%" in page and "passed" in page
    assert db.session.scalar(select(func.count(QuizAttempt.id))) == 0


def test_removing_or_reordering_choices_keeps_stored_answers_on_the_same_text(client, login, make_user):
    """Learners answered; the instructor removes the first choice, then swaps the other two. Each stored answer
    still means the choice the learner picked, so the pass rate does not turn right answers into wrong ones
    (found by exploratory testing)."""
    from lms.progress.analytics import quiz_pass_rates
    from lms.progress.services import record_quiz_attempt
    from tests.factories import enrol

    owner = make_user(role="instructor")
    course = make_course(owner, "Edited", slug="edited")
    lesson = add_quiz(lessons_of(course)[0], pass_mark=50, questions=(
        ("First reply?", [("Give a discount", False), ("Ask about the budget", True), ("Quote at once", False)]),
    ))  # fmt: skip
    [question] = lesson.questions
    discount, budget, quote = question.choices
    for choice in (budget, budget, quote):
        learner = make_user()
        enrol(learner, course)
        record_quiz_attempt(learner, lesson, 0, False, {question.id: {choice.id}})
    db.session.commit()
    assert quiz_pass_rates(course)[0]["correct"] == 2

    login(owner)
    edit = f"/studio/courses/edited/lessons/{lesson.id}/questions/{question.id}/edit"
    for choices in ([("Ask about the budget", True, ""), ("Quote at once", False, "")],
                    [("Quote at once", False, ""), ("Ask about the budget", True, "")]):  # fmt: skip
        client.post(edit, data=choice_data(prompt="First reply?", choices=choices))
        db.session.expire_all()
        ids = {c.text: c.id for c in question.choices}
        assert ids == {"Ask about the budget": budget.id, "Quote at once": quote.id}
        (row,) = quiz_pass_rates(course)
        assert (row["attempts"], row["correct"]) == (3, 2)

    reworded = [("Quote right away", False, ""), ("Ask about the budget", True, "")]
    client.post(edit, data=choice_data(prompt="First reply?", choices=reworded))
    db.session.expire_all()
    assert [c.id for c in question.choices] == [quote.id, budget.id]  # a reworded choice keeps its id


def test_questions_and_choices_lose_direction_controls(client, login, make_user):
    """A question's prompt is followed by "(choose all that apply)", and a choice's feedback is shown after the
    result: a right-to-left override in either turned the site's words round, as in titles (found by exploratory
    testing)."""
    owner = make_user(role="instructor")
    course = make_course(owner, "Authoring", slug="authoring")
    lesson = lessons_of(course)[0]
    login(owner)
    client.post(f"/studio/courses/authoring/lessons/{lesson.id}/questions/new",
                data=choice_data(prompt="Which \u202eare right?", kind="multiple",
                                 choices=[("Ask \u202efirst", True, "Yes\u2067: learn"), ("Listen", True, "")]))
    db.session.expire_all()
    [question] = lesson.questions
    assert question.prompt == "Which are right?"
    assert [(c.text, c.feedback) for c in question.choices] == [("Ask first", "Yes: learn"), ("Listen", "")]


@pytest.mark.parametrize(("pass_mark", "questions", "needed"),
                         [(67, 3, 3), (66, 3, 2), (50, 3, 2), (0, 3, 0), (100, 4, 4), (75, 4, 3), (80, 1, 1)])
def test_correct_answers_needed_is_what_grading_accepts(pass_mark, questions, needed):
    """What the studio tells the instructor comes from the grader itself: exactly `needed` right answers pass."""
    from lms.studio.services import correct_answers_needed, passes, quiz_score

    assert correct_answers_needed(pass_mark, questions) == needed
    assert passes(quiz_score(needed, questions), pass_mark)
    assert needed == 0 or not passes(quiz_score(needed - 1, questions), pass_mark)


def test_the_knowledge_check_editor_says_how_many_correct_answers_pass(client, login, make_user):
    """67% of 3 questions needs all 3, since scores round down (2 of 3 is 66%): the editor said only "67"."""
    owner = make_user(role="instructor")
    course = make_course(owner, "Thirds", slug="thirds")
    lesson = add_quiz(lessons_of(course)[0], pass_mark=67, questions=[(f"Q{i}", [("y", True), ("n", False)])
                                                                      for i in range(3)])  # fmt: skip
    login(owner)
    editor = f"/studio/courses/thirds/lessons/{lesson.id}/edit"
    page = client.get(editor).text
    assert "With 3 questions, passing needs 3 correct." in page
    field = re.search(r'<input[^>]*name="pass_mark"[^>]*>', page).group(0)
    assert "pass-mark-meaning" in re.search(r'aria-describedby="([^"]*)"', field).group(1)  # read out with the field
    response = client.post(f"/studio/courses/thirds/lessons/{lesson.id}/pass-mark", data={"pass_mark": "60"},
                           follow_redirects=True)  # fmt: skip
    assert "With 3 questions, passing needs 2 correct." in response.text
    assert "Learners now need 60% to complete this lesson. With 3 questions, passing needs 2 correct." in response.text
    lesson.pass_mark = None
    db.session.commit()
    page = client.get(editor).text
    assert "passing needs" not in page and 'aria-describedby=""' not in page
