"""Peers pages over HTTP: permissions for every action, the studio editor, people, connections, partners,
course reviews, wishes, and query-count guards (same number of queries for 5 and 50 rows)."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from lms.database import utcnow
from lms.extensions import db
from lms.models import (
    AuditEntry,
    Block,
    Connection,
    CourseReview,
    CourseWish,
    Enrolment,
    LessonProgress,
    Notification,
    Review,
    Submission,
)
from lms.peers import directory, feedback, services
from tests.factories import enrol, lessons_of, make_course
from tests.peers_helpers import course_with_assignment, learners, review_once, submit

CRITERIA_FORM = {
    "prompt": "Write the e-mail.", "reviews_required": "2",
    "criteria-0-title": "Clear ask", "criteria-0-level_1": "a", "criteria-0-level_2": "b",
    "criteria-0-level_3": "c", "criteria-0-level_4": "d",
    "criteria-1-title": "Tone", "criteria-1-level_1": "a", "criteria-1-level_2": "b",
    "criteria-1-level_3": "c", "criteria-1-level_4": "d",
}  # fmt: skip


@pytest.fixture
def world(app, make_user):
    owner = make_user(role="instructor", name="Olga Owner", email="owner@example.com")
    admin = make_user(role="admin", email="admin@example.com")
    course, lesson, assignment = course_with_assignment(owner)
    a, b = learners(make_user, course, 2)
    outsider = make_user(email="outsider@example.com", name="Otto Outsider")
    other_instructor = make_user(role="instructor", email="other@example.com")
    return {"owner": owner, "admin": admin, "course": course, "lesson": lesson, "assignment": assignment,
            "a": a, "b": b, "outsider": outsider, "other_instructor": other_instructor}  # fmt: skip


def finish_first_lesson(learner, course):
    """The learner has done the course's first lesson, which lets them review the course."""
    db.session.add(LessonProgress(user_id=learner.id, lesson_id=lessons_of(course)[0].id, course_id=course.id,
                                  completed_at=utcnow()))  # fmt: skip


def _status(client, login, user, method, url, data=None):
    client.post("/auth/logout")
    if user is not None:
        login(user)
    response = client.open(url, method=method, data=data or {})
    return response.status_code


def test_permissions_for_every_peers_action(world, client, login):
    w = world
    course, lesson = w["course"], w["lesson"]
    submit(w["a"], w["assignment"])
    submit(w["b"], w["assignment"])
    review = review_once(w["b"], w["assignment"])
    slot_id = review.submission_id and db.session.scalar(select(func.max(Submission.id)))  # any id works for 404s
    base = f"/courses/{course.slug}"
    practice = f"{base}/lessons/{lesson.id}/practice"
    studio = f"/studio/courses/{course.slug}"
    cases = [
        ("GET", practice, {None: 302, "outsider": 403, "a": 200, "owner": 200, "admin": 200}),
        ("POST", practice, {"outsider": 403, "owner": 403, "a": 302}),
        ("POST", f"{practice}/next-review", {"outsider": 403, "owner": 403, "a": 302}),
        ("GET", f"{studio}/lessons/{lesson.id}/assignment", {None: 302, "a": 403, "other_instructor": 403,
                                                             "owner": 200, "admin": 200}),
        ("GET", f"{studio}/reviews", {"a": 403, "other_instructor": 403, "owner": 200, "admin": 200}),
        ("GET", f"{studio}/submissions/{slot_id}", {"a": 403, "owner": 200}),
        ("POST", f"{studio}/peer-reviews/{review.id}/hide", {"a": 403, "b": 403, "outsider": 403}),
        ("POST", f"{base}/practice/reviews/{review.id}/reply", {"b": 403, "outsider": 403}),
        ("GET", f"{base}/people", {None: 302, "outsider": 403, "other_instructor": 403, "a": 200, "owner": 200,
                                   "admin": 200}),
        ("POST", f"{base}/people/{w['b'].id}/connect", {"outsider": 403, "admin": 403, "a": 302}),
        ("POST", f"{base}/people/{w['outsider'].id}/connect", {"a": 404}),
        ("POST", f"{base}/partner", {"outsider": 403, "admin": 403, "a": 302}),
        ("GET", f"{base}/reviews/mine", {None: 302, "outsider": 403, "a": 403}),
        ("POST", f"{base}/reviews/{1}/hide", {"a": 403, "other_instructor": 403}),
        ("GET", "/wishes/", {None: 302, "a": 200, "outsider": 200}),
        ("POST", "/wishes/999/status", {"a": 403, "owner": 404}),
    ]
    for method, url, expected in cases:
        for who, code in expected.items():
            user = w[who] if who else None
            assert _status(client, login, user, method, url) == code, (method, url, who)


def test_lesson_of_another_course_is_404(world, client, login, make_user):
    other = make_course(world["owner"], "Other course")
    enrol(world["a"], other)
    login(world["a"])
    assert client.get(f"/courses/{other.slug}/lessons/{world['lesson'].id}/practice").status_code == 404
    client.post("/auth/logout")
    login(world["owner"])
    assert client.get(f"/studio/courses/{other.slug}/lessons/{world['lesson'].id}/assignment").status_code == 404


def test_studio_editor_saves_rubric_and_refuses_bad_input(world, client, login):
    course, lesson = world["course"], lessons_of(world["course"])[1]
    login(world["owner"])
    url = f"/studio/courses/{course.slug}/lessons/{lesson.id}/assignment"
    bad = client.post(url, data={**CRITERIA_FORM, "criteria-1-title": "", "criteria-1-level_1": "",
                                 "criteria-1-level_2": "", "criteria-1-level_3": "", "criteria-1-level_4": ""})
    assert bad.status_code == 200 and "2 to 5 criteria" in bad.get_data(as_text=True)
    assert services.assignment_for_lesson(lesson.id) is None, "nothing half-saved"
    assert client.post(url, data={**CRITERIA_FORM, "reviews_required": "9"}).status_code == 200
    assert client.post(url, data=CRITERIA_FORM).status_code == 302
    saved = services.assignment_for_lesson(lesson.id)
    assert [c.title for c in saved.criteria] == ["Clear ask", "Tone"] and saved.reviews_required == 2


def test_editing_a_scored_rubric_keeps_each_score_on_its_criterion(world, client, login):
    """Peers scored with a three-criterion rubric. Clearing the first criterion in the editor moved every later
    criterion's scores onto another title and deleted the last one's: now a criterion keeps its id (and its
    scores) where it stands, and one that peers scored cannot be cleared (found by exploratory testing)."""
    from lms.models import ReviewScore

    course, lesson, assignment = world["course"], world["lesson"], world["assignment"]
    login(world["owner"])
    url = f"/studio/courses/{course.slug}/lessons/{lesson.id}/assignment"
    third = {"criteria-2-title": "Next step", "criteria-2-level_1": "a", "criteria-2-level_2": "b",
             "criteria-2-level_3": "c", "criteria-2-level_4": "d"}  # fmt: skip
    assert client.post(url, data={**CRITERIA_FORM, **third}).status_code == 302
    ask, tone, step = assignment.criteria
    submit(world["a"], assignment)
    submit(world["b"], assignment)
    review = review_once(world["b"], assignment)
    for row in db.session.scalars(select(ReviewScore).where(ReviewScore.review_id == review.id)):
        row.score = {ask.id: 1, tone.id: 2, step.id: 4}[row.criterion_id]
    db.session.commit()

    cleared = {f"criteria-0-{name}": "" for name in ("title", "level_1", "level_2", "level_3", "level_4")}
    refused = client.post(url, data={**CRITERIA_FORM, **third, **cleared})
    assert refused.status_code == 200
    assert "Peers have already scored “Clear ask”" in refused.text
    db.session.expire_all()
    assert [(c.id, c.title) for c in assignment.criteria] == [(ask.id, "Clear ask"), (tone.id, "Tone"),
                                                              (step.id, "Next step")]  # fmt: skip
    scores = dict(db.session.execute(select(ReviewScore.criterion_id, ReviewScore.score)).all())
    assert scores == {ask.id: 1, tone.id: 2, step.id: 4}

    reworded = {"criteria-1-title": "Warm tone"}
    assert client.post(url, data={**CRITERIA_FORM, **third, **reworded}).status_code == 302
    db.session.expire_all()
    assert [(c.id, c.title) for c in assignment.criteria] == [(ask.id, "Clear ask"), (tone.id, "Warm tone"),
                                                              (step.id, "Next step")]  # fmt: skip


def test_learners_submit_and_review_over_http(world, client, login):
    w = world
    url = f"/courses/{w['course'].slug}/lessons/{w['lesson'].id}/practice"
    login(w["a"])
    assert client.post(url, data={"body": "", "action": "submit"}).status_code == 200
    client.post(url, data={"body": "My **answer**", "action": "submit"})
    submit(w["b"], w["assignment"], text="Dear client, thanks for asking.")
    response = client.post(url + "/next-review")
    assert "/practice/slots/" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert w["b"].display_name not in page, "the author stays anonymous to the reviewer"
    criteria = w["assignment"].criteria
    bad = client.post(response.headers["Location"], data={"comment": "short"})
    assert bad.status_code == 200 and "Choose a score" in bad.get_data(as_text=True)
    data = {f"criterion_{c.id}": "4" for c in criteria} | {"comment": "Warm, concrete and a clear ask. Well done!"}
    assert client.post(response.headers["Location"], data=data).status_code == 302
    assert db.session.scalar(select(func.count(CourseReview.id))) == 0
    assert services.reviews_given(w["a"], w["assignment"]) == 1


def test_the_review_deadline_says_its_day_in_the_reviewers_zone(world, client, login):
    """The review page said "Please finish by 01:30" for a slot ending after the reviewer's midnight (or days away,
    with a longer slot), which reads as a time already gone today."""
    w = world
    w["a"].timezone = "America/Los_Angeles"
    submit(w["b"], w["assignment"])
    slot = services.allocate_review(w["a"], w["assignment"])
    db.session.commit()
    zone = ZoneInfo("America/Los_Angeles")
    today = datetime.now(zone).date()
    url = f"/courses/{w['course'].slug}/practice/slots/{slot.id}"
    login(w["a"])
    for local, shown in [(datetime.combine(today, time(23, 59)), "23:59"),
                         (datetime.combine(today + timedelta(days=1), time(1, 30)), "01:30 tomorrow"),
                         (datetime.combine(today + timedelta(days=3), time(9, 0)),
                          f"{today + timedelta(days=3):%a %d %b}, 09:00")]:  # fmt: skip
        slot.expires_at = local.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)
        db.session.commit()
        page = client.get(url).get_data(as_text=True)
        assert f"Please finish by {shown} (America/Los_Angeles);" in page


def test_the_lesson_offers_mark_as_done_only_once_the_practice_task_allows_it(world, client, login, make_user):
    """Until the practice response is in and enough peers are reviewed, the lesson says what is left and links
    to the task, instead of a "Mark as done" button that could only be refused."""
    course, lesson, assignment = world["course"], world["lesson"], world["assignment"]
    lesson_url = f"/learn/{course.slug}/lessons/{lesson.id}"
    login(world["a"])
    page = client.get(lesson_url).get_data(as_text=True)
    assert "Mark as done" not in page
    assert "Submit your practice response and review 2 peers to finish this lesson." in page
    assert 'href="#practice-panel-title"' in page and 'id="practice-panel-title"' in page
    submit(world["a"], assignment)
    assert "Review 2 more peers to finish this lesson." in client.get(lesson_url).get_data(as_text=True)
    (c,) = learners(make_user, course, 1, prefix="third")
    for peer in (world["b"], c):
        submit(peer, assignment)
        review_once(world["a"], assignment)
    page = client.get(lesson_url).get_data(as_text=True)
    assert "Mark as done" in page and "to finish this lesson" not in page
    assert client.post(f"{lesson_url}/done").status_code == 302


def test_the_data_export_holds_what_the_peer_features_keep_about_me_and_nothing_of_others(world, client, login):
    """Practice responses and feedback (without who gave it), reviews, wishes and votes, blocks and reports made:
    the learner's own. A block or report made about them would tell who made it, so it stays out."""
    import json

    course, assignment, a, b = world["course"], world["assignment"], world["a"], world["b"]
    submit(a, assignment)
    submit(b, assignment)
    review_once(b, assignment, comment="Warm and clear; name the budget earlier.")
    finish_first_lesson(a, course)
    feedback.save_course_review(course, a, 4, "Practical and short.")
    wish = feedback.propose_wish(a, "Pricing retainers", "Clients keep asking for monthly plans.")
    directory.block(a, world["outsider"])
    directory.block(b, a)
    db.session.commit()
    login(a)
    data = json.loads(client.get("/progress/my-data.json").get_data(as_text=True))
    assert [s["user_id"] for s in data["practice_submissions"]] == [a.id]
    received = data["peer_reviews_received"]
    assert [r["comment_md"] for r in received] == ["Warm and clear; name the budget earlier."]
    assert "reviewer_id" not in received[0], "reviewers stay anonymous to the author"
    assert data["peer_reviews_given"] == []
    assert [r["text"] for r in data["course_reviews"]] == ["Practical and short."]
    assert [w["title"] for w in data["course_wishes"]] == ["Pricing retainers"]
    assert [v["wish_id"] for v in data["course_wish_votes"]] == [wish.id]
    assert [x["blocked_id"] for x in data["blocks_made"]] == [world["outsider"].id], "not who blocked me"
    client.post("/auth/logout")
    login(b)
    data = json.loads(client.get("/progress/my-data.json").get_data(as_text=True))
    assert [r["comment_md"] for r in data["peer_reviews_given"]] == ["Warm and clear; name the budget earlier."]


def test_people_skill_search_matches_skills_not_letters_inside_other_skills(world, client, login, make_user):
    """Looking for "go" (the language) listed everyone with "negotiation" too: a skill search finds skills, or words
    in them, by their beginning."""
    course = world["course"]
    for email, name, skills in (("jonas@example.com", "Jonas Go", "negotiation, go, postgres"),
                                ("priya@example.com", "Priya Pipelines", "negotiation, python, data pipelines"),
                                ("ux@example.com", "Uma Ux", "interaction design, React Native")):
        enrol(make_user(email=email, name=name, profile_visible=True, skills=skills), course)
    login(world["a"])

    def found(skill):
        page = client.get(f"/courses/{course.slug}/people", query_string={"skill": skill}).get_data(as_text=True)
        return {name for name in ("Jonas Go", "Priya Pipelines", "Uma Ux") if f">{name}</a>" in page}

    assert found("go") == {"Jonas Go"}
    assert found("negot") == found("Negotiation") == {"Jonas Go", "Priya Pipelines"}
    assert found("pipelines") == found("data pip") == {"Priya Pipelines"}
    assert found("react") == found("native") == {"Uma Ux"}
    assert found("act") == found("tion") == set()
    assert found("%") == found("_") == set()


def test_people_list_visibility_search_block_and_queries(world, client, login, make_user, count_queries):
    course = world["course"]
    viewer = world["a"]

    def add_people(n, start):
        for i in range(start, start + n):
            person = make_user(email=f"p{i}@example.com", name=f"Peer {i:03}", profile_visible=True,
                               headline="Freelance dev", skills="negotiation, react", timezone="Europe/Berlin")
            enrol(person, course)
            db.session.add(LessonProgress(user_id=person.id, lesson_id=lessons_of(course)[0].id,
                                          course_id=course.id, completed_at=utcnow()))
        db.session.commit()

    viewer.profile_visible = True
    hidden = make_user(email="hidden@example.com", name="Hidden Hanna", profile_visible=False)
    enrol(hidden, course)
    add_people(5, 0)
    login(viewer)
    url = f"/courses/{course.slug}/people"
    with count_queries() as small:
        page = client.get(url).get_data(as_text=True)
    assert "Peer 000" in page and "Hidden Hanna" not in page and "50% through" in page
    add_people(45, 5)
    with count_queries() as large:
        assert client.get(url).status_code == 200
    assert small.count == large.count
    assert "Peer 001" not in client.get(url + "?skill=python").get_data(as_text=True)
    assert "Peer 001" in client.get(url + "?skill=negot").get_data(as_text=True)

    blocked = db.session.scalar(select(directory.User).where(directory.User.email == "p1@example.com"))
    assert client.post(f"/courses/{course.slug}/people/{blocked.id}/block").status_code == 302
    assert f'id="person-{blocked.id}"' not in client.get(url).get_data(as_text=True)
    client.post("/auth/logout")
    login(blocked)
    assert f'id="person-{viewer.id}"' not in client.get(url).get_data(as_text=True), "hidden both ways"
    client.post(f"/courses/{course.slug}/people/{viewer.id}/connect")
    assert db.session.scalar(select(func.count(Connection.id))) == 0, "a blocked peer cannot send requests"
    assert client.get(f"/auth/people/{viewer.id}").status_code == 404, "nor open the blocker's profile"
    # Nor call them by @mention: the blocker is not notified (in a thread they do not follow).
    from lms.discussion import services as discussion

    thread = discussion.create_thread(course, world["owner"], title="Rates", body="Share yours.")
    discussion.add_reply(course, thread, blocked, body=f"@{viewer.display_name.replace(' ', '')} what do you think?")
    db.session.commit()
    assert not db.session.scalars(select(Notification).where(Notification.user_id == viewer.id)).all()
    client.post("/auth/logout")
    login(viewer)
    # The blocker still meets the name in old threads: its link says whom they blocked, and nothing more of them
    # (it was a dead 404 link before).
    page = client.get(f"/auth/people/{blocked.id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and f"You blocked {blocked.display_name}" in text
    assert 'href="/people/connections"' in text and "Member since" in text
    assert blocked.headline not in text and "negotiation" not in text.lower().split("<main")[1]
    client.post("/auth/logout")
    login(world["admin"])
    assert client.get(f"/auth/people/{blocked.id}").status_code == 200, "admins see every profile"


def test_connect_accept_shows_website_and_report_is_audited(world, client, login, make_user):
    course = world["course"]
    a, b = world["a"], world["b"]
    a.profile_visible = b.profile_visible = True
    b.website = "https://bea.example.com"
    db.session.commit()
    login(a)
    url = f"/courses/{course.slug}/people"
    assert "bea.example.com" not in client.get(url).get_data(as_text=True)
    client.post(f"/courses/{course.slug}/people/{b.id}/connect")
    client.post("/auth/logout")
    login(b)
    connection = db.session.scalar(select(Connection))
    assert client.post(f"/people/connections/{connection.id}/accept").status_code == 302
    client.post("/auth/logout")
    login(a)
    assert "bea.example.com" in client.get(url).get_data(as_text=True)
    assert client.post(f"/courses/{course.slug}/people/{b.id}/report").status_code == 302
    client.post(f"/courses/{course.slug}/people/{b.id}/report")
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "peer.report")) == 1
    assert db.session.scalar(select(func.count(Notification.id)).where(Notification.kind == "peer_report")) >= 2


def test_admins_read_the_people_list_a_report_links_to_but_take_no_part(world, client, login, make_user):
    course, a, b, admin = world["course"], world["a"], world["b"], world["admin"]
    a.profile_visible = True
    hidden = make_user(email="hidden@example.com", name="Hidden Hanna", profile_visible=False)
    enrol(hidden, course)
    db.session.commit()
    login(a)
    client.post(f"/courses/{course.slug}/people/{b.id}/report")
    client.post("/auth/logout")
    login(admin)
    report = db.session.scalar(select(Notification).where(Notification.user_id == admin.id,
                                                          Notification.kind == "peer_report"))  # fmt: skip
    response = client.get(report.url)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, "the admin can follow the report to the course's people"
    assert f'id="person-{a.id}"' in page and "Hidden Hanna" not in page, "the list staff see: visible learners"
    assert "read-only" in page
    actions = (f"/people/{a.id}/connect", f"/people/{a.id}/block", f"/people/{a.id}/report", f"{course.slug}/partner")
    assert not [action for action in actions if action in page], "no buttons that would only answer 403"
    base = f"/courses/{course.slug}"
    for url in (f"{base}/people/{a.id}/connect", f"{base}/people/{a.id}/block", f"{base}/people/{a.id}/report",
                f"{base}/partner", f"{base}/partner/cancel"):  # fmt: skip
        assert client.post(url).status_code == 403, url
    assert db.session.scalar(select(func.count(Connection.id))) == 0
    assert db.session.scalar(select(func.count(Block.blocker_id))) == 0
    assert client.get(f"/auth/people/{a.id}").status_code == 200, "and open a listed person's profile"
    enrol(admin, course)  # an admin who is also a learner of the course takes part like any other
    assert f"/people/{a.id}/connect" in client.get(f"{base}/people").get_data(as_text=True)
    assert client.post(f"{base}/people/{a.id}/connect").status_code == 302


def test_partner_matching_pairs_closest_goal_and_timezone(world, make_user):
    course = world["course"]
    me = make_user(email="me@example.com", timezone="Europe/Berlin", weekly_goal_minutes=60)
    near = make_user(email="near@example.com", timezone="Europe/Paris", weekly_goal_minutes=90)
    far = make_user(email="far@example.com", timezone="Pacific/Auckland", weekly_goal_minutes=600)
    for person in (me, near, far):
        enrol(person, course)
    directory.request_partner(course, far)
    directory.request_partner(course, near)
    db.session.commit()
    own = directory.request_partner(course, me)
    db.session.commit()
    assert own.matched_with_id == near.id
    assert directory.partner_request(course, near).matched_with_id == me.id
    assert directory.partner_request(course, far).matched_at is None
    kinds = db.session.scalars(select(Notification.user_id).where(Notification.kind == "study_partner")).all()
    assert sorted(kinds) == sorted([me.id, near.id])


def test_the_course_page_shows_the_newest_visible_reviews_with_their_authors(world, client, login):
    course, a, b = world["course"], world["a"], world["b"]
    outsider = world["outsider"]
    enrol(outsider, course)
    now = utcnow()
    db.session.add_all([
        CourseReview(course_id=course.id, user_id=a.id, rating=4, text="Clear and short.",
                     instructor_reply="Glad it helped!", created_at=now - timedelta(days=2)),
        CourseReview(course_id=course.id, user_id=b.id, rating=2, text="Too basic for me.", created_at=now),
        CourseReview(course_id=course.id, user_id=outsider.id, rating=1, text="Buy my course!",
                     created_at=now - timedelta(days=1), hidden_at=now, hidden_reason="Spam"),
    ])  # fmt: skip
    db.session.commit()
    login(a)
    page = client.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert "<strong>3.0</strong>" in page and "from 2 reviews<" in page  # the hidden one counts for nothing
    assert "Buy my course!" not in page
    newest, older = page.index("Too basic for me."), page.index("Clear and short.")
    assert newest < older
    assert f"<strong>{b.display_name}</strong>" in page[:newest] and f"<strong>{a.display_name}</strong>" in page[newest:]
    assert "Glad it helped!" in page[older:]
    assert "Edit your review" in page or "You reviewed this course." in page  # Lea's own review is known


def test_course_reviews_after_half_and_moderation(world, client, login):
    course, a = world["course"], world["a"]
    login(a)
    assert client.get(f"/courses/{course.slug}/reviews/mine").status_code == 403
    empty = feedback.course_reviews_summary(course, a)
    assert (empty["count"], empty["average"], empty["recent"], empty["own"]) == (0, None, [], False)
    finish_first_lesson(a, course)
    db.session.commit()
    assert client.post(f"/courses/{course.slug}/reviews/mine", data={"rating": "7"}).status_code == 200
    assert client.post(f"/courses/{course.slug}/reviews/mine", data={"rating": "4", "text": "Useful."}).status_code == 302
    client.post(f"/courses/{course.slug}/reviews/mine", data={"rating": "5", "text": "Even better."})
    assert db.session.scalar(select(func.count(CourseReview.id))) == 1
    summary = feedback.course_reviews_summary(course, a)
    assert summary["average"] == 5.0 and summary["count"] == 1 and summary["own"] is True
    review = feedback.own_course_review(course, a)
    assert review.text == "Even better."
    # The course's reviews page (which lists the reviews itself) shows the average and the count too.
    page = client.get(f"/courses/{course.slug}/reviews").get_data(as_text=True)
    assert "<strong>5.0</strong>" in page and "from 1 review<" in page and "Even better." in page
    client.post("/auth/logout")
    login(world["owner"])
    client.post(f"/courses/{course.slug}/reviews/{review.id}/reply", data={"reply": "Thanks, Lea!"})
    client.post(f"/courses/{course.slug}/reviews/{review.id}/hide", data={"reason": "Spam"})
    hidden = feedback.course_reviews_summary(course, a)
    assert hidden["count"] == 0 and hidden["average"] is None and hidden["recent"] == []
    assert hidden["own"] is True, "its author still finds a hidden review"
    assert feedback.course_reviews_summary(course, world["b"])["own"] is False
    db.session.refresh(review)
    assert review.instructor_reply == "Thanks, Lea!" and review.hidden_reason == "Spam"
    # Its author is told, and still reads it with the reason, on the reviews page and where they edit it.
    told = db.session.scalar(
        select(Notification).where(Notification.user_id == a.id, Notification.kind == "moderation")
    )
    assert told.message == f"A moderator hid your review of {course.title}: Spam"
    client.post("/auth/logout")
    login(a)
    page = client.get(f"/courses/{course.slug}/reviews").get_data(as_text=True)
    assert "A moderator hid your review from other learners: Spam." in page and "Even better." in page
    assert "Thanks, Lea!" in page, "the reply she was notified about is there too"
    assert "No reviews are shown to learners yet." in page
    assert "A moderator hid this review" in client.get(f"/courses/{course.slug}/reviews/mine").get_data(as_text=True)
    client.post("/auth/logout")
    login(world["b"])
    page = client.get(f"/courses/{course.slug}/reviews").get_data(as_text=True)
    assert "Even better." not in page and "Spam" not in page and "No reviews yet." in page
    client.post("/auth/logout")
    login(world["owner"])
    client.post(f"/courses/{course.slug}/reviews/{review.id}/unhide")
    messages = db.session.scalars(select(Notification.message).where(Notification.user_id == a.id)
                                  .order_by(Notification.id)).all()  # fmt: skip
    assert messages[-1] == f"Your review of {course.title} is shown again."


def test_a_learner_the_staff_removed_cannot_review_and_an_earlier_review_stays_as_it_was(world, client, login):
    course, a, b = world["course"], world["a"], world["b"]
    for learner in (a, b):  # both finished the course
        enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == learner.id))
        enrolment.completed_at = utcnow()
    db.session.commit()
    login(b)
    client.post(f"/courses/{course.slug}/reviews/mine", data={"rating": "5", "text": "Loved it."})
    client.post("/auth/logout")
    login(world["owner"])
    for learner in (a, b):
        enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == learner.id))
        assert client.post(f"/courses/{course.slug}/roster/{enrolment.id}/remove").status_code == 302
    for learner in (a, b):
        client.post("/auth/logout")
        login(learner)
        response = client.post(f"/courses/{course.slug}/reviews/mine", data={"rating": "1", "text": "Revenge."})
        assert response.status_code == 403
        assert "The course staff removed you from this course, so you cannot review it." in response.text
        page = client.get(f"/courses/{course.slug}").text
        if learner is a:  # b's course page says "You reviewed this course."
            assert "removed you from this course, so you cannot review it" in page
    assert [(r.user_id, r.rating, r.text) for r in db.session.scalars(select(CourseReview))] == [
        (b.id, 5, "Loved it.")]  # fmt: skip


def test_a_review_is_labelled_edited_only_after_its_author_changes_it(world, client, login):
    """Not when new, not when staff reply or hide it, not for a fix right after publishing: when its author
    changes the rating or text later."""
    from datetime import timedelta

    course, a = world["course"], world["a"]
    finish_first_lesson(a, course)
    db.session.commit()
    login(a)
    client.post(f"/courses/{course.slug}/reviews/mine", data={"rating": "4", "text": "Useful."})
    client.post(f"/courses/{course.slug}/reviews/mine", data={"rating": "4", "text": "Useful!"})  # a quick fix
    reviews_page = f"/courses/{course.slug}/reviews"
    assert "Useful!" in client.get(reviews_page).get_data(as_text=True)
    assert "(edited)" not in client.get(reviews_page).get_data(as_text=True)
    review = feedback.own_course_review(course, a)
    review.created_at = review.updated_at = utcnow() - timedelta(hours=1)  # published an hour ago
    db.session.commit()
    client.post("/auth/logout")
    login(world["owner"])
    client.post(f"/courses/{course.slug}/reviews/{review.id}/reply", data={"reply": "Thanks!"})
    assert "(edited)" not in client.get(reviews_page).get_data(as_text=True), "a staff reply is no edit"
    client.post("/auth/logout")
    login(a)
    client.post(f"/courses/{course.slug}/reviews/mine", data={"rating": "4", "text": "Useful!"})  # nothing changed
    assert "(edited)" not in client.get(reviews_page).get_data(as_text=True)
    assert "earlier version" not in client.get(reviews_page).get_data(as_text=True)
    client.post(f"/courses/{course.slug}/reviews/mine", data={"rating": "5", "text": "Useful, and it stuck."})
    assert "(edited)" in client.get(reviews_page).get_data(as_text=True)
    # The reply stays, but no longer reads as an answer to the new text.
    page = client.get(reviews_page).get_data(as_text=True)
    assert "Thanks!" in page and "(to an earlier version of this review)" in page
    course_page = client.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert "Instructor's reply (to an earlier version of this review)" in course_page


def test_review_and_wish_pages_past_the_last_say_so_instead_of_none_yet(world, client, login):
    """Page 30 of a course's reviews said "4.5 from 2 reviews" and "No reviews yet."; page 40 of the wishes told a
    learner "No wishes yet. Be the first" under a list that has some."""
    course, a = world["course"], world["a"]
    finish_first_lesson(a, course)
    feedback.save_course_review(course, a, 4, "Useful.")
    feedback.propose_wish(a, "Handling scope creep", "Agencies keep adding pages.")
    db.session.commit()
    login(a)
    reviews = client.get(f"/courses/{course.slug}/reviews?page=30").get_data(as_text=True)
    assert "No reviews yet" not in reviews and "There is no page 30: 1 review fits on 1 page." in reviews
    assert f'href="/courses/{course.slug}/reviews?page=1">Go to the last page</a>' in reviews
    wishes = client.get("/wishes/?page=40").get_data(as_text=True)
    assert "No wishes yet" not in wishes and "There is no page 40: 1 wish fits on 1 page." in wishes
    assert 'href="/wishes/?page=1">Go to the last page</a>' in wishes


def test_wish_titles_lose_direction_controls(world, client, login):
    login(world["a"])
    response = client.post("/wishes/", data={"title": "\u202e\u3164\u3164\u3164\u3164\u3164",
                                             "why": "Agencies keep adding pages."})  # fmt: skip
    assert response.status_code == 200 and db.session.scalar(select(CourseWish)) is None
    client.post("/wishes/", data={"title": "Handling \u202escope creep", "why": "Agencies keep adding pages."})
    assert db.session.scalar(select(CourseWish.title)) == "Handling scope creep"


def test_wishes_vote_once_and_instructor_notifies_voters(world, client, login, make_user, count_queries):
    a, b, owner = world["a"], world["b"], world["owner"]
    login(a)
    assert client.post("/wishes/", data={"title": "x", "why": ""}).status_code == 200
    client.post("/wishes/", data={"title": "Handling scope creep", "why": "Agencies keep adding pages."})
    wish = db.session.scalar(select(CourseWish))
    assert wish.vote_count == 1
    client.post("/auth/logout")
    login(b)
    client.post(f"/wishes/{wish.id}/vote")
    db.session.refresh(wish)
    assert wish.vote_count == 2
    client.post(f"/wishes/{wish.id}/vote")
    db.session.refresh(wish)
    assert wish.vote_count == 1, "voting again takes the vote back"
    client.post(f"/wishes/{wish.id}/vote")
    client.post("/auth/logout")
    login(owner)
    assert client.post(f"/wishes/{wish.id}/status", data={"status": "available", "course_id": "0"}).status_code == 302
    db.session.refresh(wish)
    assert wish.status == "open"
    client.post(f"/wishes/{wish.id}/status", data={"status": "available", "course_id": str(world["course"].id)})
    db.session.refresh(wish)
    assert wish.status == "available" and wish.course_id == world["course"].id
    told = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "course_wish")))
    assert told == {a.id, b.id}

    def add(n, start):
        for i in range(start, start + n):
            feedback.propose_wish(a, f"Wish number {i}", "Because it would help me a lot.")
        db.session.commit()

    add(4, 0)
    with count_queries() as small:
        client.get("/wishes/")
    add(45, 4)
    with count_queries() as large:
        assert client.get("/wishes/").status_code == 200
    assert small.count == large.count


def test_review_queue_queries_do_not_grow(world, client, login, make_user, count_queries):
    course, assignment, owner = world["course"], world["assignment"], world["owner"]
    from datetime import timedelta

    def add(n, start):
        for i in range(start, start + n):
            person = make_user(email=f"q{i}@example.com")
            enrol(person, course)
            submit(person, assignment, at=utcnow() - timedelta(hours=60))
        for i in range(start, start + n, 3):
            reviewer = db.session.scalar(select(directory.User).where(directory.User.email == f"q{i}@example.com"))
            review_once(reviewer, assignment)
        services.assign_overdue_reviews()
        db.session.commit()

    add(5, 0)
    login(owner)
    with count_queries() as small:
        page = client.get(f"/studio/courses/{course.slug}/reviews").get_data(as_text=True)
    assert "2 days 12 h" in page
    add(45, 5)
    with count_queries() as large:
        assert client.get(f"/studio/courses/{course.slug}/reviews").status_code == 200
    assert small.count == large.count
    assert db.session.scalar(select(func.count(Block.blocker_id))) == 0


def test_a_learner_out_of_the_people_lists_keeps_their_profile_to_connections(world, client, login, make_user):
    """Turning "show me in people lists" off hides more than the lists: other learners see only the name on the
    profile (which posts link to), and cannot send a connection request; connections, the person themselves,
    admins and anyone the person asked still can. Instructors' profiles stay public."""
    course, a, b, admin, owner = world["course"], world["a"], world["b"], world["admin"], world["owner"]
    b.headline, b.bio, b.skills = "Negotiation nerd", "Ten years of client work.", "pricing"
    owner.headline = "Coach for freelancers"
    a.profile_visible, b.profile_visible = True, False
    db.session.commit()
    login(a)
    profile = client.get(f"/auth/people/{b.id}").text
    assert b.display_name in profile and "keeps their profile for the peers they are connected with" in profile
    assert "Negotiation nerd" not in profile and "Ten years" not in profile and "pricing" not in profile
    assert "Coach for freelancers" in client.get(f"/auth/people/{owner.id}").text
    response = client.post(f"/courses/{course.slug}/people/{b.id}/connect", follow_redirects=True)
    assert f"{b.display_name} does not take connection requests." in response.text
    assert db.session.scalar(select(func.count(Connection.id))) == 0
    assert not db.session.scalar(select(Notification).where(Notification.user_id == b.id,
                                                            Notification.kind == "connection_request"))  # fmt: skip

    client.post("/auth/logout")
    login(b)
    own = client.get(f"/auth/people/{b.id}").text
    assert "Negotiation nerd" in own and "Other learners see only your name here" in own
    client.post(f"/courses/{course.slug}/people/{a.id}/connect")  # b asks a, who is listed
    client.post("/auth/logout")
    login(a)
    accepted = client.post(f"/courses/{course.slug}/people/{b.id}/connect", follow_redirects=True)
    assert f"You are now connected with {b.display_name}." in accepted.text, "answering their request works"
    assert "Negotiation nerd" in client.get(f"/auth/people/{b.id}").text, "connections see the whole profile"
    client.post("/auth/logout")
    login(admin)
    assert "Ten years of client work." in client.get(f"/auth/people/{b.id}").text


def test_a_deactivated_accounts_name_links_to_a_page_that_says_it_is_gone(world, client, login, make_user):
    """Posts and the course page link their authors' names: a deactivated account's link gave "Page not found".
    It now says the account is no longer active, and shows nothing else (admins still see it in full)."""
    b, admin = world["b"], world["admin"]
    b.headline, b.profile_visible, b.active = "Negotiation nerd", True, False
    db.session.commit()
    login(world["a"])
    page = client.get(f"/auth/people/{b.id}")
    assert page.status_code == 200
    assert b.display_name in page.text and "This account is no longer active." in page.text
    assert "Negotiation nerd" not in page.text
    client.post("/auth/logout")
    login(admin)
    assert "Negotiation nerd" in client.get(f"/auth/people/{b.id}").text


def test_block_asks_first_and_the_blocker_can_unblock(world, client, login):
    course, a, b = world["course"], world["a"], world["b"]
    a.profile_visible = b.profile_visible = True
    db.session.commit()
    login(a)
    people = f"/courses/{course.slug}/people"
    page = client.get(people).get_data(as_text=True)
    assert f'href="/courses/{course.slug}/people/{b.id}/block"' in page, "Block opens a confirmation, not a POST"
    confirm = client.get(f"/courses/{course.slug}/people/{b.id}/block")
    text = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and f"Block {b.display_name}?" in text and "unblock them later" in text
    assert client.head(f"/courses/{course.slug}/people/{b.id}/block").status_code == 200  # HEAD answers as GET
    assert db.session.scalar(select(func.count(Block.blocker_id))) == 0, "asking is not blocking"

    client.post(f"/courses/{course.slug}/people/{b.id}/block")
    assert f'id="person-{b.id}"' not in client.get(people).get_data(as_text=True)
    connections = client.get("/people/connections").get_data(as_text=True)
    assert "Blocked people" in connections and b.display_name in connections
    assert f"/people/blocked/{b.id}/unblock" in connections

    client.post("/auth/logout")
    login(b)
    assert "Blocked people" not in client.get("/people/connections").get_data(as_text=True), "not who blocked me"
    client.post(f"/people/blocked/{a.id}/unblock")
    assert db.session.scalar(select(func.count(Block.blocker_id))) == 1, "the blocked person cannot lift it"

    client.post("/auth/logout")
    login(a)
    response = client.post(f"/people/blocked/{b.id}/unblock", follow_redirects=True)
    assert f"{b.display_name} is unblocked" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Block.blocker_id))) == 0
    assert f'id="person-{b.id}"' in client.get(people).get_data(as_text=True)
    assert "Blocked people" not in client.get("/people/connections").get_data(as_text=True)


def test_a_declined_requester_cannot_ask_again_but_the_decliner_can(world, client, login):
    course, a, b = world["course"], world["a"], world["b"]
    a.profile_visible = b.profile_visible = True
    db.session.commit()
    people = f"/courses/{course.slug}/people"

    def requests_to(user):
        return db.session.scalar(select(func.count(Notification.id)).where(
            Notification.user_id == user.id, Notification.kind == "connection_request"))  # fmt: skip

    login(a)
    client.post(f"{people}/{b.id}/connect")
    connection = db.session.scalar(select(Connection))
    client.post("/auth/logout")
    login(b)
    client.post(f"/people/connections/{connection.id}/decline")
    client.post("/auth/logout")
    login(a)
    for _ in range(3):
        page = client.post(f"{people}/{b.id}/connect", follow_redirects=True).get_data(as_text=True)
        assert f"{b.display_name} declined your connection request" in page
    assert requests_to(b) == 1, "asked once, told once"
    db.session.expire_all()
    assert db.session.get(Connection, connection.id).status == "declined"
    page = client.get(people).get_data(as_text=True)
    assert f"{people}/{b.id}/connect" not in page and "Request declined" in page

    client.post("/auth/logout")
    login(b)
    assert f"{people}/{a.id}/connect" in client.get(people).get_data(as_text=True), "the decliner may ask later"
    client.post(f"{people}/{a.id}/connect")
    db.session.expire_all()
    assert db.session.get(Connection, connection.id).status == "pending" and requests_to(a) == 1


def test_a_partner_who_left_can_be_replaced_and_a_pairing_can_be_ended(world, client, login, make_user):
    from lms.enrolment.services import withdraw

    course, a, b = world["course"], world["a"], world["b"]
    directory.request_partner(course, b)
    db.session.commit()
    assert directory.request_partner(course, a).matched_with_id == b.id
    withdraw(course, b)
    db.session.commit()
    [c] = learners(make_user, course, 1, prefix="carla")
    directory.request_partner(course, c)
    db.session.commit()

    login(a)
    people = f"/courses/{course.slug}/people"
    page = client.get(people).get_data(as_text=True)
    assert f"Your study partner, {b.display_name}, is no longer taking this course." in page
    assert "Match me with someone else" in page and "Your study partner: " not in page
    page = client.post(f"/courses/{course.slug}/partner", follow_redirects=True).get_data(as_text=True)
    assert f"Your study partner: <strong>{c.display_name}</strong>" in page and "End this pairing" in page
    assert f'data-confirm="End your study pairing with {c.display_name}?' in page, "ending a pairing asks first"
    assert directory.partner_request(course, b) is None, "the pairing with the partner who left is gone both sides"

    page = client.post(f"/courses/{course.slug}/partner/end", follow_redirects=True).get_data(as_text=True)
    assert "Your study pairing has ended." in page and "Match me with a partner" in page
    assert directory.partner_request(course, a) is None and directory.partner_request(course, c) is None
    told = db.session.scalars(select(Notification.message).where(Notification.user_id == c.id,
                                                                 Notification.kind == "study_partner")).all()  # fmt: skip
    assert any(f"{a.display_name} ended your study pairing" in message for message in told)


def test_a_reviewer_reads_the_authors_reply_and_helpful_mark_under_reviews_you_gave(world, client, login):
    course, a, b = world["course"], world["a"], world["b"]
    assignment = world["assignment"]
    assignment.reviews_required = 1
    db.session.commit()
    submit(a, assignment, text="Dear client, could we agree on 30% off?")
    submit(b, assignment)
    review = review_once(b, assignment, comment="Clear ask. Name the budget you have in mind.")
    review_once(a, assignment)
    login(a)
    client.post(f"/courses/{course.slug}/practice/reviews/{review.id}/helpful")
    client.post(f"/courses/{course.slug}/practice/reviews/{review.id}/reply", data={"reply": "Thanks, the budget tip worked!"})
    client.post("/auth/logout")

    login(b)
    link = db.session.scalar(select(Notification.url).where(Notification.user_id == b.id,
                                                            Notification.kind == "peer_review_reply"))  # fmt: skip
    assert link.endswith(f"#review-{review.id}")
    page = client.get(link.split("#")[0]).get_data(as_text=True)
    given = page.split("Reviews you gave", 1)[1]
    assert f'id="review-{review.id}"' in given and "Name the budget you have in mind." in given
    assert "Thanks, the budget tip worked!" in given and "Marked helpful" in given
    assert a.display_name not in page, "the author stays anonymous to the reviewer"


def test_a_wish_already_on_the_list_is_refused_with_a_vote_for_it(world, client, login):
    a, b = world["a"], world["b"]
    login(a)
    client.post("/wishes/", data={"title": "Handling scope creep", "why": "Agencies keep adding pages."})
    wish = db.session.scalar(select(CourseWish))
    client.post("/auth/logout")
    login(b)
    response = client.post("/wishes/", data={"title": "  handling   SCOPE creep ", "why": "Clients ask for more and more."})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "is already on the list. Vote for it instead" in page
    assert f"/wishes/{wish.id}/vote" in page and "Clients ask for more and more." in page, "what was typed stays"
    assert db.session.scalar(select(func.count(CourseWish.id))) == 1
    client.post(f"/wishes/{wish.id}/vote")
    db.session.refresh(wish)
    assert wish.vote_count == 2
    page = client.post("/wishes/", data={"title": "Handling scope creep", "why": "Still need it."}).get_data(as_text=True)
    assert "You already voted for it." in page


def test_a_people_page_past_the_end_says_so_and_links_to_the_last_page(world, client, login):
    course, a, b = world["course"], world["a"], world["b"]
    b.profile_visible = True
    db.session.commit()
    login(a)
    page = client.get(f"/courses/{course.slug}/people?page=5&skill=").get_data(as_text=True)
    assert "There is no page 5: 1 visible learner fits on 1 page." in page
    assert f'href="/courses/{course.slug}/people?page=1' in page and "Go to the last page" in page
    assert "Nobody has made their profile visible" not in page


def test_an_edited_instructor_reply_tells_the_reviewer_once(world, client, login):
    """A typo fixed in a reply is no news; a reply to a review its author since rewrote is."""
    course, a = world["course"], world["a"]
    finish_first_lesson(a, course)
    db.session.commit()
    login(a)
    client.post(f"/courses/{course.slug}/reviews/mine", data={"rating": "4", "text": "Useful."})
    review = feedback.own_course_review(course, a)
    review.created_at = review.updated_at = utcnow() - timedelta(hours=1)
    db.session.commit()

    def replies_told():
        return db.session.scalar(select(func.count(Notification.id)).where(
            Notification.user_id == a.id, Notification.kind == "course_review_reply"))  # fmt: skip

    client.post("/auth/logout")
    login(world["owner"])
    client.post(f"/courses/{course.slug}/reviews/{review.id}/reply", data={"reply": "Thanks, Lea!"})
    client.post(f"/courses/{course.slug}/reviews/{review.id}/reply", data={"reply": "Thanks, Lea! (typo)"})
    assert replies_told() == 1
    client.post("/auth/logout")
    login(a)
    client.post(f"/courses/{course.slug}/reviews/mine", data={"rating": "5", "text": "Useful, and it stuck."})
    client.post("/auth/logout")
    login(world["owner"])
    client.post(f"/courses/{course.slug}/reviews/{review.id}/reply", data={"reply": "Glad it stuck!"})
    assert replies_told() == 2


def test_saving_a_wish_unchanged_says_nobody_was_told(world, client, login):
    a, owner = world["a"], world["owner"]
    wish = feedback.propose_wish(a, "Handling scope creep", "Agencies keep adding pages.")
    db.session.commit()
    login(owner)
    page = client.post(f"/wishes/{wish.id}/status", data={"status": "planned"}, follow_redirects=True)
    assert "Wish updated; its voters have been told." in page.get_data(as_text=True)
    page = client.post(f"/wishes/{wish.id}/status", data={"status": "planned"}, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "voters have been told" not in text and "already planned" in text
    assert db.session.scalar(select(func.count(Notification.id)).where(Notification.kind == "course_wish")) == 1


def test_a_peer_review_the_staff_hid_stays_out_of_the_authors_data_export(world, client, login):
    """The practice page no longer shows a review the staff hid (an abusive one): the data export must not hand its
    text to the author either."""
    import json

    assignment, a, b = world["assignment"], world["a"], world["b"]
    submit(a, assignment)
    submit(b, assignment)
    review_once(b, assignment, comment="You are hopeless at this.")
    db.session.commit()
    abusive = db.session.scalar(select(Review).where(Review.reviewer_id == b.id))
    login(a)
    data = json.loads(client.get("/progress/my-data.json").get_data(as_text=True))
    assert [r["comment_md"] for r in data["peer_reviews_received"]] == ["You are hopeless at this."]
    services.hide_review(abusive, world["owner"], "Abusive")
    db.session.commit()
    data = json.loads(client.get("/progress/my-data.json").get_data(as_text=True))
    assert data["peer_reviews_received"] == []
