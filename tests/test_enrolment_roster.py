"""The roster: who may see it, approve/decline/remove, search, CSV export (formula-safe) and query counts."""

import csv
import io

import pytest
from sqlalchemy import select

from lms.database import utcnow
from lms.enrolment.roster import safe_cell
from lms.extensions import db
from lms.models import AuditEntry, Enrolment, LessonProgress
from tests.factories import enrol, lessons_of, make_course


@pytest.fixture
def login(client, login):
    def switch(user):
        client.post("/auth/logout")
        return login(user)

    return switch


@pytest.fixture
def owner(make_user):
    return make_user(email="owner@example.com", name="Olga Owner", role="instructor")


@pytest.fixture
def course(owner):
    return make_course(owner, "Leading", policy="approval", capacity=2, modules=((5, 5),))


def test_roster_permissions(client, login, make_user, owner, course):
    assert client.get("/courses/leading/roster").status_code == 302  # anonymous: log in first
    learner = make_user(email="lea@example.com")
    enrol(learner, course)
    login(learner)
    assert client.get("/courses/leading/roster").status_code == 403
    assert client.get("/courses/leading/roster.csv").status_code == 403
    other_teacher = make_user(email="other@example.com", role="instructor")
    make_course(other_teacher, "Other course")
    login(other_teacher)
    assert client.get("/courses/leading/roster").status_code == 403
    assert client.get("/courses/leading/roster.csv").status_code == 403
    enrolment = db.session.scalar(select(Enrolment))
    assert client.post(f"/courses/leading/roster/{enrolment.id}/remove").status_code == 403
    assert db.session.scalar(select(Enrolment.status)) == "active"
    login(make_user(email="admin@example.com", role="admin"))
    assert client.get("/courses/leading/roster").status_code == 200
    login(owner)
    assert client.get("/courses/leading/roster").status_code == 200
    assert client.get("/courses/nope/roster").status_code == 404


def test_roster_lists_sections_with_dates_and_progress(client, login, make_user, owner, course):
    active = make_user(email="anna@example.com", name="Anna Active")
    pending = make_user(email="pete@example.com", name="Pete Pending")
    gone = make_user(email="wanda@example.com", name="Wanda Withdrawn")
    enrol(active, course)
    enrol(pending, course, status="pending")
    enrol(gone, course, status="withdrawn")
    lesson = lessons_of(course)[0]
    db.session.add(LessonProgress(user_id=active.id, lesson_id=lesson.id, course_id=course.id, completed_at=utcnow()))
    db.session.commit()
    login(owner)
    html = client.get("/courses/leading/roster").text
    enrolled_part = html[html.index('id="section-active"'):html.index('id="section-pending"')]
    assert "Anna Active" in enrolled_part and "50%" in enrolled_part
    pending_part = html[html.index('id="section-pending"'):html.index('id="section-waitlisted"')]
    assert "Pete Pending" in pending_part and "Approve" in pending_part
    ended_part = html[html.index('id="section-ended"'):]
    assert "Wanda Withdrawn" in ended_part and "Withdrawn" in ended_part

    found = client.get("/courses/leading/roster?q=PETE").text
    assert "Pete Pending" in found and "Anna Active" not in found
    assert "Nobody here matches" in client.get("/courses/leading/roster?q=%25").text


def test_remove_asks_for_confirmation_then_promotes_waitlist(client, login, make_user, owner, course, outbox):
    first, second = make_user(email="a@example.com", name="Ann"), make_user(email="b@example.com")
    waiting = make_user(email="w@example.com", name="Walt Waiting")
    enrol(first, course)
    enrol(second, course)
    enrol(waiting, course, status="waitlisted")
    target = db.session.scalar(select(Enrolment).where(Enrolment.user_id == first.id))
    login(owner)
    confirm = client.get(f"/courses/leading/roster/{target.id}/remove")
    assert confirm.status_code == 200 and "Remove Ann from Leading?" in confirm.text
    db.session.refresh(target)
    assert target.status == "active"

    response = client.post(f"/courses/leading/roster/{target.id}/remove", follow_redirects=True)
    assert "Ann was removed from the course." in response.text
    db.session.refresh(target)
    assert target.status == "removed"
    promoted = db.session.scalar(select(Enrolment).where(Enrolment.user_id == waiting.id))
    assert promoted.status == "active"
    db.session.refresh(course)
    assert course.enrolled_count == 2
    subjects = {m["To"]: m["Subject"] for m in outbox()}
    assert "removed you" in subjects["a@example.com"] and "seat opened" in subjects["w@example.com"]
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.target_id == target.id)) == "enrolment.remove"


def test_ids_of_another_course_are_not_reachable(client, login, make_user, owner, course):
    other = make_course(owner, "Other", policy="approval")
    someone = make_user()
    enrol(someone, other, status="pending")
    foreign = db.session.scalar(select(Enrolment).where(Enrolment.course_id == other.id))
    login(owner)
    assert client.post(f"/courses/leading/roster/{foreign.id}/approve").status_code == 404
    assert client.get(f"/courses/leading/roster/{foreign.id}/remove").status_code == 404
    db.session.refresh(foreign)
    assert foreign.status == "pending"


def test_approving_twice_explains(client, login, make_user, owner, course):
    someone = make_user()
    enrolment = enrol(someone, course, status="pending")
    login(owner)
    client.post(f"/courses/leading/roster/{enrolment.id}/approve")
    again = client.post(f"/courses/leading/roster/{enrolment.id}/approve", follow_redirects=True)
    assert "Only pending requests can be approved." in again.text


def test_csv_export_is_complete_and_formula_safe(client, login, make_user, owner, course):
    evil = make_user(email="evil@example.com", name="=HYPERLINK(\"http://x\")")
    plus = make_user(email="plus@example.com", name="+1 trick")
    enrol(evil, course)
    enrol(plus, course, status="pending")
    login(owner)
    response = client.get("/courses/leading/roster.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert 'filename="roster-leading.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["Name", "E-mail", "Status", "Requested (UTC)", "Enrolled (UTC)", "Ended (UTC)", "Progress %",
                       "Account"]  # the page shows these in the viewer's zone; the file says which zone it uses
    by_email = {row[1]: row for row in rows[1:]}
    enrolled_at = db.session.scalar(select(Enrolment.enrolled_at).where(Enrolment.user_id == evil.id))
    assert by_email["evil@example.com"][4] == f"{enrolled_at:%Y-%m-%d %H:%M}"
    assert by_email["evil@example.com"][0] == "'=HYPERLINK(\"http://x\")"
    assert by_email["evil@example.com"][2] == "active" and by_email["evil@example.com"][6] == "0"
    assert by_email["plus@example.com"][0] == "'+1 trick" and by_email["plus@example.com"][2] == "pending"
    assert by_email["plus@example.com"][7] == "active"


def test_deactivated_learners_are_marked_on_the_roster_and_in_its_csv(client, login, make_user, owner, course):
    """A deactivated learner keeps their seat (reactivated, they carry on) and a waitlisted one is passed over;
    the roster says so, so staff can free the seat by removing them."""
    course.capacity = 5
    gone = make_user(email="gone@example.com", name="Gina Gone", active=False)
    waiting = make_user(email="waiting@example.com", name="Wes Waiting", active=False)
    here = make_user(email="here@example.com", name="Hana Here")
    for learner, status in ((gone, "active"), (waiting, "waitlisted"), (here, "active")):
        enrol(learner, course, status=status)
    login(owner)
    page = client.get("/courses/leading/roster").text
    assert page.count("Account deactivated") == 2
    row = lambda name: page[page.index(name):page.index("</tr>", page.index(name))]  # noqa: E731
    assert "Account deactivated</strong>: still holds a seat until removed" in row("Gina Gone")
    assert "Account deactivated</strong>: passed over when a seat frees" in row("Wes Waiting")
    assert "Account deactivated" not in row("Hana Here")
    rows = list(csv.reader(io.StringIO(client.get("/courses/leading/roster.csv").text)))
    assert {row[1]: row[7] for row in rows[1:]} == {
        "gone@example.com": "deactivated", "waiting@example.com": "deactivated", "here@example.com": "active"}


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_safe_cell_neutralises_formulas(value):
    assert safe_cell(value) == "'" + value
    assert safe_cell("Plain name") == "Plain name"


def test_roster_query_count_does_not_grow_with_learners(client, login, make_user, owner, course, count_queries):
    course.capacity = None
    db.session.commit()

    def add_learners(n, start):
        for i in range(start, start + n):
            enrol(make_user(email=f"l{i}@example.com"), course, status=("active", "pending", "waitlisted")[i % 3])

    add_learners(3, 0)
    login(owner)
    counts = []
    for extra in (0, 12):
        add_learners(extra, 100)
        with count_queries() as counter:
            assert client.get("/courses/leading/roster").status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]


def test_a_request_that_lapsed_when_enrolment_opened_is_not_shown_as_waiting(client, login, make_user, owner, course):
    """The course switched from approval to open: the learner is offered "Enrol", so the staff must not be asked
    to decide a request that no longer stands."""
    pete = make_user(email="pete@example.com", name="Pete Pending")
    enrol(pete, course, status="pending")
    course.enrolment_policy = "open"
    db.session.commit()
    login(owner)
    html = client.get("/courses/leading/roster").text
    pending_part = html[html.index('id="section-pending"'):html.index('id="section-waitlisted"')]
    assert "Pete Pending" not in pending_part and "Nobody here yet." in pending_part
    ended_part = html[html.index('id="section-ended"'):]
    assert "Pete Pending" in ended_part and "Request lapsed: the course no longer asks for approval" in ended_part
    assert "Approve" not in html
    csv_rows = client.get("/courses/leading/roster.csv").text.splitlines()
    assert any(row.startswith("Pete Pending,pete@example.com,lapsed,") for row in csv_rows), csv_rows
    course.enrolment_policy = "approval"
    db.session.commit()
    csv_rows = client.get("/courses/leading/roster.csv").text.splitlines()
    assert any(row.startswith("Pete Pending,pete@example.com,pending,") for row in csv_rows), csv_rows
    html = client.get("/courses/leading/roster").text
    assert "Pete Pending" in html[html.index('id="section-pending"'):html.index('id="section-waitlisted"')]


def test_declining_asks_first(client, login, make_user, owner, course):
    """Declining tells the learner, and a waitlisted one loses their place: the roster asks before either
    (found by exploratory testing)."""
    enrol(make_user(name="Pia Pending"), course, status="pending")
    waiting = enrol(make_user(name="Walt Waiting"), course, status="waitlisted")
    waiting.requested_at = utcnow()
    db.session.commit()
    login(owner)
    page = client.get("/courses/leading/roster").text
    assert 'data-confirm="Decline Pia Pending’s request to join? They are told."' in page
    assert 'data-confirm="Take Walt Waiting off the waitlist? They lose their place and are told."' in page


def test_a_removed_learner_can_be_let_back_in(client, login, make_user, owner, course, outbox):
    """A removed learner is told to contact the staff to rejoin, but the roster had no way to let them back:
    removing by mistake was final. "Let back in" restores their place, with their progress and drip clock, or
    puts them on the waitlist when the course is full (found by exploratory testing)."""
    ann = make_user(email="ann@example.com", name="Ann")
    enrolment = enrol(ann, course)
    started = enrolment.enrolled_at
    login(owner)
    client.post(f"/courses/leading/roster/{enrolment.id}/remove")
    page = client.get("/courses/leading/roster").text
    ended_part = page[page.index('id="section-ended"'):]
    assert f'action="/courses/leading/roster/{enrolment.id}/readmit"' in ended_part and "Let back in" in ended_part

    response = client.post(f"/courses/leading/roster/{enrolment.id}/readmit", follow_redirects=True)
    assert "Ann is enrolled again." in response.text
    db.session.refresh(enrolment)
    db.session.refresh(course)
    assert enrolment.status == "active" and enrolment.enrolled_at == started and course.enrolled_count == 1
    assert any(m["To"] == "ann@example.com" and "let you back" in m["Subject"] for m in outbox())
    assert db.session.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc())) == "enrolment.readmit"
    again = client.post(f"/courses/leading/roster/{enrolment.id}/readmit", follow_redirects=True)
    assert "Only removed learners can be let back in." in again.text

    client.post(f"/courses/leading/roster/{enrolment.id}/remove")
    for email in ("b@example.com", "c@example.com"):
        enrol(make_user(email=email), course)
    response = client.post(f"/courses/leading/roster/{enrolment.id}/readmit", follow_redirects=True)
    assert "Ann is back on the waitlist (no free seat)." in response.text
    db.session.refresh(enrolment)
    assert enrolment.status == "waitlisted"
