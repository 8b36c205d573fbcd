"""Practice assignments: give-one-get-one allocation (also under concurrency), feedback visibility, the
turnaround promise (overdue work goes to staff exactly once), the lesson-done rule and anonymity."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.database import utcnow
from lms.extensions import db
from lms.models import Assignment, Review, ReviewAssignment, Submission, User
from lms.peers import services
from lms.peers.matching import choose_submission
from tests.peers_helpers import course_with_assignment, learners, review_once, scores_for, submit


def _review_pairs():
    return db.session.execute(select(Review.reviewer_id, Submission.user_id).join(Submission)).all()


def test_five_learners_two_reviews_each_get_exactly_two(app, make_user):
    owner = make_user(role="instructor")
    course, lesson, assignment = course_with_assignment(owner)
    people = learners(make_user, course, 5)
    for person in people:
        submit(person, assignment)
    for _ in range(2):
        for person in people:
            assert review_once(person, assignment) is not None
    for person in people:
        assert review_once(person, assignment) is None, "nothing left once every response has its 2 reviews"

    counts = Counter(author for _, author in _review_pairs())
    assert sorted(counts.values()) == [2] * 5
    pairs = _review_pairs()
    assert all(reviewer != author for reviewer, author in pairs), "no self-review"
    assert len(set(pairs)) == len(pairs) == 10, "no duplicates"
    assert all(services.completion_blocker(p, lesson) is None for p in people)


def test_allocation_prefers_fewest_reviews_then_longest_waiting(app, make_user):
    owner = make_user(role="instructor")
    course, lesson, assignment = course_with_assignment(owner)
    a, b, c, d = learners(make_user, course, 4)
    start = utcnow() - timedelta(hours=5)
    for offset, person in enumerate((a, b, c)):
        submit(person, assignment, at=start + timedelta(hours=offset))
    first = services.allocate_review(d, assignment)
    assert first.submission.user_id == a.id, "the oldest response first"
    db.session.commit()
    second = services.allocate_review(c, assignment)
    assert second.submission.user_id == b.id, "then the oldest one with fewer reviews"


def test_reviewer_keeps_open_slot_and_abandoned_slot_frees_its_place(app, make_user, app_config):
    owner = make_user(role="instructor")
    course, lesson, assignment = course_with_assignment(owner, required=1)
    author, slow, quick = learners(make_user, course, 3)
    submit(author, assignment)
    slot = services.allocate_review(slow, assignment)
    db.session.commit()
    assert services.allocate_review(slow, assignment).id == slot.id, "asking again returns the same slot"
    assert services.allocate_review(quick, assignment) is None, "the only place is taken"
    later = utcnow() + timedelta(hours=3)
    taken = services.allocate_review(quick, assignment, now=later)
    db.session.commit()
    assert taken is not None and taken.submission_id == slot.submission_id, "the expired slot gave its place back"
    services.submit_review(taken, quick, scores_for(assignment), "Clear ask; warm tone. Maybe name the budget.")
    db.session.commit()
    db.session.refresh(slot)
    try:
        services.submit_review(slot, slow, scores_for(assignment), "A late review that is no longer needed.")
        raise AssertionError("a late review must not exceed what is needed")
    except services.PeerError as error:
        assert "expired" in str(error)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Review.id))) == 1


def test_submission_is_frozen_once_a_review_starts(app, make_user):
    owner = make_user(role="instructor")
    course, lesson, assignment = course_with_assignment(owner)
    author, reviewer = learners(make_user, course, 2)
    draft = services.save_submission(author, assignment, "First draft", submit=False)
    db.session.commit()
    assert draft.submitted_at is None
    assert services.allocate_review(reviewer, assignment) is None, "drafts are never handed out"
    services.save_submission(author, assignment, "Final answer", submit=True)
    db.session.commit()
    services.allocate_review(reviewer, assignment)
    db.session.commit()
    try:
        services.save_submission(author, assignment, "Sneaky change", submit=True)
        raise AssertionError("editing after the first review started must fail")
    except services.PeerError:
        db.session.rollback()
    assert db.session.scalar(select(Submission.body_md).where(Submission.user_id == author.id)) == "Final answer"


def _concurrent_round(app, user_ids, assignment_id, results):
    barrier = threading.Barrier(len(user_ids))

    def worker(user_id):
        with app.app_context():
            try:
                user = db.session.get(User, user_id)
                assignment = db.session.get(Assignment, assignment_id)
                barrier.wait(timeout=10)
                slot = services.allocate_review(user, assignment)
                db.session.commit()
                if slot is not None:
                    services.submit_review(slot, user, scores_for(assignment), "Concise and friendly; good ask.")
                    db.session.commit()
                results.append((user_id, slot.submission_id if slot else None))
            except Exception as error:  # surfaced in the main thread below
                results.append((user_id, error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(uid,)) for uid in user_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)


def test_concurrent_review_requests_never_over_allocate(app, make_user):
    """Every learner asks for a response at the same moment (twice); on PostgreSQL these really race."""
    owner = make_user(role="instructor")
    course, lesson, assignment = course_with_assignment(owner)
    people = learners(make_user, course, 5)
    for person in people:
        submit(person, assignment)
    ids = [p.id for p in people]
    assignment_id = assignment.id
    db.session.remove()  # the workers use their own sessions and connections
    results = []
    for _ in range(2):
        _concurrent_round(app, ids, assignment_id, results)
    errors = [r for r in results if isinstance(r[1], Exception)]
    assert not errors, errors
    assert all(submission_id is not None for _, submission_id in results), results

    pairs = _review_pairs()
    assert sorted(Counter(author for _, author in pairs).values()) == [2] * 5
    assert all(reviewer != author for reviewer, author in pairs)
    assert len(set(pairs)) == len(pairs) == 10
    assert db.session.scalar(select(func.count(ReviewAssignment.id))) == 10
    assert set(db.session.scalars(select(Submission.reviews_claimed))) == {2}


def test_lookahead_never_strands_the_last_reviewer():
    # 3 learners, 2 reviews each: after A->B and B->A, greedy would hand C nothing but... C must get A or B,
    # and the look-ahead must not give A's second review to B's submission if that strands someone.
    needs = {1: 2, 2: 2, 3: 2}
    capacity = {10: 2, 20: 2, 30: 2}
    author = {10: 1, 20: 2, 30: 3}
    done = set()
    for reviewer in (1, 2, 1, 3, 2, 3):
        ordered = sorted((s for s in capacity if capacity[s] and author[s] != reviewer and (reviewer, s) not in done),
                         key=lambda s: (2 - capacity[s], s))
        choice = choose_submission(reviewer, ordered, {r: n for r, n in needs.items() if n},
                                   {s: c for s, c in capacity.items() if c},
                                   lambda r, s: author[s] != r and (r, s) not in done)
        assert choice is not None, f"reviewer {reviewer} was stranded"
        capacity[choice] -= 1
        needs[reviewer] -= 1
        done.add((reviewer, choice))
    assert set(capacity.values()) == {0}


def test_feedback_visible_only_after_giving_enough_reviews(app, make_user, client, login):
    owner = make_user(role="instructor")
    course, lesson, assignment = course_with_assignment(owner)
    a, b, c = learners(make_user, course, 3)
    for person in (a, b, c):
        submit(person, assignment)
    review_once(b, assignment, comment="SECRET-FEEDBACK-FROM-B: strong opening, clear ask.")
    review_once(c, assignment, comment="Feedback from C: clear ask and a friendly close.")
    login(a)
    url = f"/courses/{course.slug}/lessons/{lesson.id}/practice"
    page = client.get(url).get_data(as_text=True)
    assert "SECRET-FEEDBACK-FROM-B" not in page and "review 2 more peers to unlock" in page
    review_once(a, assignment)
    review_once(a, assignment)
    page = client.get(url).get_data(as_text=True)
    assert "SECRET-FEEDBACK-FROM-B" in page and "Peer reviewer 1" in page
    assert b.display_name not in page and c.display_name not in page, "reviewers stay anonymous"


def test_the_practice_page_counts_extra_reviews_and_says_when_the_lesson_is_done(app, make_user, client, login):
    """More reviews than required read "3 peer reviews given (2 needed)", not "3 of 2"; once the lesson is
    marked done the page says it is complete rather than that it can be marked complete."""
    from lms.progress.services import mark_lesson_done

    owner = make_user(role="instructor")
    course, lesson, assignment = course_with_assignment(owner, required=2)
    a, *others = learners(make_user, course, 5)
    for person in (a, *others):
        submit(person, assignment)
    login(a)
    url = f"/courses/{course.slug}/lessons/{lesson.id}/practice"
    for _ in range(2):
        review_once(a, assignment)
    page = client.get(url).text
    assert "<strong>2</strong> of 2 peer reviews given" in page and "this lesson can be marked complete" in page
    review_once(a, assignment)
    mark_lesson_done(a, lesson)
    db.session.commit()
    page = client.get(url).text
    assert "of 2 peer reviews given" not in page and "<strong>3</strong> peer reviews given (2 needed)" in page
    assert "Done: this lesson is complete." in page and "can be marked complete" not in page


def test_completion_blocker_until_submitted_and_reviewed(app, make_user):
    owner = make_user(role="instructor")
    course, lesson, assignment = course_with_assignment(owner, required=1)
    a, b = learners(make_user, course, 2)
    assert services.completion_blocker(a, lesson) == "Submit your practice response and review 1 peer to finish this lesson."
    services.save_submission(a, assignment, "draft", submit=False)
    db.session.commit()
    assert services.completion_blocker(a, lesson).startswith("Submit your practice response")
    submit(a, assignment)
    assert services.completion_blocker(a, lesson) == "Review 1 more peer to finish this lesson."
    submit(b, assignment)
    review_once(a, assignment)
    assert services.completion_blocker(a, lesson) is None
    assert services.completion_blocker(owner, lesson) is None, "staff are never blocked"
    from tests.factories import lessons_of

    other = lessons_of(course)[1]
    assert services.completion_blocker(a, other) is None, "lessons without an assignment are not blocked"
    panel = services.assignment_panel(a, lesson)
    assert panel["state"] == "submitted" and panel["reviews_given"] == 1 and panel["feedback_visible"]
    assert services.assignment_panel(a, other) is None


# As cron runs it: no request and no SERVER_NAME, so every link in the notices must be built without one.
@pytest.mark.parametrize("app_config", [{"SERVER_NAME": None}])
def test_overdue_submissions_go_to_staff_queue_exactly_once(app, make_user, runner, outbox):
    owner = make_user(role="instructor", name="Olga Owner", email="owner@example.com")
    course, lesson, assignment = course_with_assignment(owner, required=1)
    late, fresh, done, reviewer = learners(make_user, course, 4)
    old = utcnow() - timedelta(hours=49)
    submit(late, assignment, at=old)
    submit(done, assignment, at=old)
    submit(fresh, assignment)
    # `done` got its review in time, so it never goes to staff.
    slot = services.allocate_review(reviewer, assignment)
    assert slot.submission.user_id == done.id or slot.submission.user_id == late.id
    target = db.session.get(Submission, slot.submission_id)
    services.submit_review(slot, reviewer, scores_for(assignment), "Good, clear and friendly. Name the budget.")
    db.session.commit()

    result = runner.invoke(args=["assign-overdue-reviews"])
    assert result.exit_code == 0 and "1 overdue submission(s)" in result.output
    moved = db.session.scalars(select(Submission).where(Submission.sent_to_staff_at.is_not(None))).all()
    assert [s.id for s in moved] != [target.id] and len(moved) == 1
    first_stamp = moved[0].sent_to_staff_at
    assert runner.invoke(args=["assign-overdue-reviews"]).output.startswith("0 ")
    db.session.expire_all()
    assert db.session.get(Submission, moved[0].id).sent_to_staff_at == first_stamp
    staff_mail = [m for m in outbox() if m["To"] == "owner@example.com"]
    assert len(staff_mail) == 1, "staff are told once"
    assert f"1 practice response in {course.title} waited too long for peer reviews and needs a staff review." in (
        staff_mail[0].get_body().get_content())
    assert f"/studio/courses/{course.slug}/reviews" in staff_mail[0].get_body().get_content()

    queue = services.review_queue(course, owner)
    assert [row["submission"].id for row in queue] == [moved[0].id] and queue[0]["waited_hours"] >= 49
    services.staff_review(owner, moved[0], scores_for(assignment), "Staff feedback: a solid first attempt.")
    db.session.commit()
    assert services.review_queue(course, owner) == [], "a staff review counts towards the requirement"


def test_review_emails_never_name_the_reviewer(app, make_user, outbox):
    owner = make_user(role="instructor")
    course, lesson, assignment = course_with_assignment(owner, required=1)
    author = make_user(email="author@example.com", name="Ann Author")
    reviewer = make_user(email="rev@example.com", name="Rita Reviewer")
    from tests.factories import enrol

    enrol(author, course)
    enrol(reviewer, course)
    submit(author, assignment)
    submit(reviewer, assignment)
    review_once(reviewer, assignment)
    [message] = [m for m in outbox() if m["To"] == "author@example.com"]
    text = message["Subject"] + message.get_content()
    assert "Rita" not in text and "rev@example.com" not in text and "A peer reviewed" in text


def test_hidden_review_frees_a_place_and_disappears_for_the_author(app, make_user):
    owner = make_user(role="instructor")
    course, lesson, assignment = course_with_assignment(owner, required=1)
    author, rude, kind = learners(make_user, course, 3)
    submit(author, assignment)
    review = review_once(rude, assignment, comment="This is rubbish and so are you, honestly.")
    services.hide_review(review, owner, "Insulting")
    db.session.commit()
    submission = services.submission_of(author, assignment)
    assert services.labelled_reviews(submission) == []
    assert submission.review_count == 0 and submission.reviews_claimed == 0
    assert services.reviews_given(rude, assignment) == 0, "a hidden review does not count for its reviewer"
    assert review_once(kind, assignment) is not None, "another peer can fill the freed place"


def test_responses_of_learners_who_left_are_not_handed_out_or_sent_to_staff(app, make_user):
    from lms.enrolment.services import remove, withdraw
    from lms.models import Enrolment

    owner = make_user(role="instructor")
    course, lesson, assignment = course_with_assignment(owner, required=1)
    gone, removed, staying, reviewer = learners(make_user, course, 4)
    old = utcnow() - timedelta(hours=60)
    # The two who left submitted first, so "oldest first" would hand them out ahead of the active learner.
    submit(gone, assignment, at=old - timedelta(hours=2))
    submit(removed, assignment, at=old - timedelta(hours=1))
    submit(staying, assignment, at=old)
    withdraw(course, gone)
    remove(course, db.session.scalar(select(Enrolment).where(Enrolment.user_id == removed.id)), owner)
    db.session.commit()

    slot = services.allocate_review(reviewer, assignment)
    db.session.commit()
    assert slot.submission.user_id == staying.id
    services.submit_review(slot, reviewer, scores_for(assignment), "Clear ask; a warmer opening would help.")
    db.session.commit()
    assert review_once(make_user_enrolled(make_user, course), assignment) is None, "nobody left to review"

    assert services.assign_overdue_reviews() == 0, "nobody is waiting for the responses of people who left"
    db.session.commit()
    assert services.review_queue(course, owner) == []


def make_user_enrolled(make_user, course):
    [person] = learners(make_user, course, 1, prefix="latecomer")
    return person


@pytest.mark.parametrize("blocker", ["author", "reviewer"])
def test_a_block_takes_back_a_review_slot_already_handed_between_the_two(app, make_user, client, login, blocker):
    """Blocking promises that the two are not handed each other's practice responses: a slot handed out before
    the block is given back (its place goes to another peer), and the reviewer can no longer open or send it."""
    from lms.peers import directory

    owner = make_user(role="instructor")
    course, lesson, assignment = course_with_assignment(owner, required=1)
    author, reviewer, other = learners(make_user, course, 3)
    submit(author, assignment)
    submit(reviewer, assignment)
    slot = services.allocate_review(reviewer, assignment)
    db.session.commit()
    assert slot.submission.user_id == author.id
    if blocker == "author":
        directory.block(author, reviewer, course)
    else:
        directory.block(reviewer, author, course)
    db.session.commit()
    login(reviewer)
    page = client.get(f"/courses/{course.slug}/practice/slots/{slot.id}", follow_redirects=True)
    assert f"My answer, by {author.display_name}." not in page.get_data(as_text=True)
    client.post(f"/courses/{course.slug}/practice/slots/{slot.id}",
                data={f"criterion_{c.id}": "3" for c in assignment.criteria} | {"comment": "A long enough review."})
    assert db.session.scalar(select(func.count(Review.id))) == 0
    assert services.open_slot(reviewer, assignment) is None
    taken = services.allocate_review(other, assignment)
    assert taken is not None and taken.submission.user_id == author.id, "the place went back to the response"
