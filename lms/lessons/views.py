"""Taking a course: the course home, lesson pages, "Mark as done" and knowledge checks.

Every view loads the course by slug, checks that the lesson belongs to it (no lesson of another course is
reachable through this URL), then checks access before it does anything.
"""

from functools import cache

from flask import Blueprint, abort, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from lms.database import autocommit_reads
from lms.extensions import db
from lms.lessons import quiz as quizzes
from lms.lessons.services import (
    LOCKED_NOW,
    PREVIEW,
    TAKEN_OUT,
    CourseAccess,
    attachments_to_list,
    outline_after_completion,
)
from lms.models import Certificate, Course, Lesson, QuizAttempt, Upload
from lms.permissions import can_view_course_page, member_params, remember_membership, with_membership
from lms.progress import services as progress
from lms.security import query_int
from lms.syllabus import LessonInfo
from lms.templating import has_endpoint

bp = Blueprint("lessons", __name__)

EMBED_PREFIXES = ("https://www.youtube-nocookie.com/", "https://player.vimeo.com/")


# Statements every learner page runs, built once per process: a reused statement skips construction and
# cache-key work (about half the cost of a simple query here).
@cache
def _course_statement():
    return with_membership(select(Course).where(Course.slug == bindparam("slug")))


@cache
def _course_and_lesson_statement(with_module):
    statement = (
        select(Course, Lesson)
        .join(Lesson, Lesson.course_id == Course.id)
        .where(Course.slug == bindparam("slug"), Lesson.id == bindparam("lesson_id"))
    )
    if with_module:  # the lesson page names the lesson's module; the POST actions do not
        statement = statement.options(joinedload(Lesson.module))
    return with_membership(statement)


def _course_or_404(slug):
    """The course with the visitor's membership (for Access) in one query."""
    row = db.session.execute(_course_statement(), {"slug": slug, **member_params(current_user)}).first()
    if row is None:
        abort(404)
    course, is_staff, enrolment = row
    remember_membership(current_user, course, is_staff, enrolment)
    return course


def _course_and_lesson_or_404(slug, lesson_id, *, with_module=True):
    """The lesson, its course and the visitor's membership in one query; 404 unless the lesson belongs to the
    course in the URL."""
    params = {"slug": slug, "lesson_id": lesson_id, **member_params(current_user)}
    row = db.session.execute(_course_and_lesson_statement(with_module), params).first()
    if row is None:
        abort(404)
    course, lesson, is_staff, enrolment = row
    remember_membership(current_user, course, is_staff, enrolment)
    return course, lesson


def _send_to_course_page(course, message):
    if not can_view_course_page(current_user, course):
        abort(404)  # e.g. a draft: as on its course page, nobody outside learns that it exists
    if has_endpoint("enrolment.course_page"):
        flash(message, "info")
        return redirect(url_for("enrolment.course_page", slug=course.slug))
    abort(403)


def _wants_json():
    return request.accept_mimetypes.best == "application/json"


def _taken_out(course, lesson):
    """An enrolled learner came from a bookmark or a tab opened before the studio archived the lesson: say so and
    take them on to the course, rather than a "never existed" 404 page."""
    gone = f"“{lesson.title}” has been taken out of this course"
    if _wants_json():  # Mark done on the lesson page, which the learner stays on
        message = f"{gone}, so it can no longer be marked done."
        abort(make_response(jsonify({"ok": False, "message": message}), 404))
    flash(f"{gone}. Here is where you are now.", "info")
    abort(redirect(url_for("lessons.course_home", slug=course.slug)))


def _syllabus_entry(state):
    """The lesson as the in-memory syllabus knows it (lms/syllabus.py), or None (preview, archived lesson):
    it says whether the lesson has attachments or a practice task, so most lessons skip those queries."""
    return state.lesson if state is not None and isinstance(state.lesson, LessonInfo) else None


def _may_have_assignment(state):
    entry = _syllabus_entry(state)
    return entry is None or entry.has_assignment


def _locked_page(course, lesson, state):
    return render_template("lessons/locked.html", course=course, lesson=lesson, state=state), 403


@bp.get("/<slug>/")
@autocommit_reads
def course_home(slug):
    course = _course_or_404(slug)
    access = CourseAccess(current_user, course)
    if not access.can_take:
        return _send_to_course_page(course, "Enrol in this course to start its lessons.")
    enrolment = access.enrolment
    outline = access.outline
    resume = outline.continue_state(enrolment.last_lesson_id if enrolment else None)
    certificate = None
    if enrolment is not None and enrolment.completed_at is not None:
        certificate = db.session.scalar(
            select(Certificate).where(Certificate.user_id == current_user.id, Certificate.course_id == course.id)
        )
    return render_template(
        "lessons/course_home.html", course=course, outline=outline, resume=resume, enrolment=enrolment,
        is_staff=access.is_staff, certificate=certificate,
    )  # fmt: skip


@bp.get("/<slug>/lessons/<int:lesson_id>")
@autocommit_reads  # its one write pair (opened times, then the resume pointer) needs no transaction
def lesson(slug, lesson_id):
    course, lesson = _course_and_lesson_or_404(slug, lesson_id)
    access = CourseAccess(current_user, course)
    verdict = access.of(lesson)
    if verdict.kind == PREVIEW:
        return _render_lesson(course, lesson, None, None, access, preview=True)
    if not access.can_take:
        return _send_to_course_page(course, "Enrol in this course to open that lesson.")
    if verdict.kind == TAKEN_OUT:
        _taken_out(course, lesson)
    outline, state = verdict.outline, verdict.state
    if verdict.kind == LOCKED_NOW:
        return _locked_page(course, lesson, state)
    if access.enrolment is not None and state.status == "not_started":
        state.status = "in_progress"  # opening it now starts it
    page = _render_lesson(course, lesson, outline, state, access, attempt_id=query_int("attempt"))
    if access.enrolment is not None and progress.open_needs_recording(state.progress, access.enrolment, lesson):
        # Deliberately a write on GET: "resume where you left off" must work without JavaScript. It is a
        # single idempotent upsert (opened times) plus the enrolment's resume pointer, done after the page
        # is rendered so the commit does not expire what the template still reads.
        progress.record_lesson_open(current_user, lesson, access.enrolment)
        db.session.commit()
    return page


def _render_lesson(course, lesson, outline, state, access, *, preview=False, attempt_id=None, quiz_errors=None,
                   chosen=None, status=200):  # fmt: skip
    entry = _syllabus_entry(state)
    attachments = []
    if entry is None or entry.has_attachments:
        attachments = attachments_to_list(lesson, db.session.scalars(
            select(Upload).where(Upload.lesson_id == lesson.id, Upload.kind == "attachment").order_by(Upload.id)
        ))  # fmt: skip
    embed_url = lesson.video_embed_url if (lesson.video_embed_url or "").startswith(EMBED_PREFIXES) else ""
    questions = quizzes.questions_of(lesson) if lesson.has_quiz and not preview else []
    result = None
    if attempt_id and questions:
        attempt = db.session.get(QuizAttempt, attempt_id)
        if attempt is not None and attempt.user_id == current_user.id and attempt.lesson_id == lesson.id:
            result = quizzes.attempt_result(lesson, attempt)
            chosen = chosen or result["answers"]
    previous_state, next_state = outline.neighbours(lesson.id) if outline else (None, None)
    assignment_panel = threads = None
    if not preview and current_user.is_authenticated:
        from lms.discussion import services as discussion
        from lms.peers import services as peers

        assignment_panel = peers.assignment_panel(current_user, lesson) if _may_have_assignment(state) else None
        threads = discussion.recent_threads_for_lesson(lesson, current_user)
    return render_template(
        "lessons/lesson.html", course=course, lesson=lesson, outline=outline, state=state, access=access,
        preview=preview, attachments=attachments, embed_url=embed_url, questions=questions, result=result,
        quiz_errors=quiz_errors or {}, chosen=chosen or {}, previous_state=previous_state, next_state=next_state,
        assignment_panel=assignment_panel, threads=threads or [],
    ), status  # fmt: skip


def _load_for_action(slug, lesson_id):
    """Shared checks for the POST actions: lesson of this course, enrolled, not locked. The CSRF token was
    checked before the view ran (CSRFProtect guards every POST; tests/test_csrf_routes.py holds each route to it)."""
    course, lesson = _course_and_lesson_or_404(slug, lesson_id, with_module=False)
    access = CourseAccess(current_user, course)
    if not access.can_take:
        abort(403)
    verdict = access.of(lesson)
    if verdict.kind == TAKEN_OUT:
        _taken_out(course, lesson)
    return course, lesson, access, verdict.outline, verdict.state


def _refuse(course, lesson, message, status=409):
    if _wants_json():
        return jsonify({"ok": False, "message": message}), status
    flash(message, "error")
    return redirect(url_for("lessons.lesson", slug=course.slug, lesson_id=lesson.id))


@bp.post("/<slug>/lessons/<int:lesson_id>/done")
def mark_done(slug, lesson_id):
    course, lesson, access, outline, state = _load_for_action(slug, lesson_id)
    if not state.available:
        return _locked_page(course, lesson, state)
    if access.enrolment is None:
        return _refuse(course, lesson, "Staff preview: progress is recorded for enrolled learners only.")
    if not progress.has_passed_quiz(current_user, lesson):
        return _refuse(course, lesson, "Pass the knowledge check below to complete this lesson.")
    from lms.peers import services as peers

    blocker = peers.completion_blocker(current_user, lesson) if _may_have_assignment(state) else None
    if blocker:
        return _refuse(course, lesson, blocker)
    completion = progress.mark_lesson_done(current_user, lesson)
    # The reply is built before the commit, so the commit does not make every loaded object reload.
    response = _after_completion(course, lesson, access, outline, completion)
    db.session.commit()
    return response


def _after_completion(course, lesson, access, outline_before, completion):
    outline = outline_after_completion(current_user, course, access.enrolment, outline_before, lesson.id,
                                       completion.completed_at)  # fmt: skip
    following = outline.next_open(after_lesson_id=lesson.id) or outline.next_open()
    next_url = url_for("lessons.lesson", slug=course.slug, lesson_id=following.lesson.id) if following else None
    certificate_url = (
        url_for("progress.verify_certificate", code=completion.certificate.code) if completion.certificate else None
    )
    if _wants_json():
        return jsonify({
            "ok": True, "done": True, "percent": outline.percent, "remaining_minutes": outline.remaining_minutes,
            "next_url": next_url, "next_title": following.lesson.title if following else None,
            "course_completed": completion.course_completed or outline.is_complete,
            "certificate_url": certificate_url,
            "course_url": url_for("lessons.course_home", slug=course.slug),
        })  # fmt: skip
    if completion.course_completed:
        flash(f"You finished “{course.title}”. Your certificate is ready.", "success")
        return redirect(url_for("lessons.course_home", slug=course.slug))
    flash(f"“{lesson.title}” is done.", "success")
    return redirect(next_url or url_for("lessons.course_home", slug=course.slug))


@bp.post("/<slug>/lessons/<int:lesson_id>/quiz")
def submit_quiz(slug, lesson_id):
    course, lesson, access, outline, state = _load_for_action(slug, lesson_id)
    if not state.available:
        return _locked_page(course, lesson, state)
    if not lesson.has_quiz:
        abort(404)
    if access.enrolment is None:
        return _refuse(course, lesson, "Staff preview: quiz attempts are recorded for enrolled learners only.")
    questions = quizzes.questions_of(lesson)
    answers, errors = quizzes.read_answers(questions, request.form)
    if errors:
        return _render_lesson(course, lesson, outline, state, access, quiz_errors=errors, chosen=answers, status=400)
    score, passed, _feedback = quizzes.score_quiz(lesson, answers)
    attempt = progress.record_quiz_attempt(current_user, lesson, score, passed, answers)
    completion = None
    if passed:
        from lms.peers import services as peers

        blocker = peers.completion_blocker(current_user, lesson) if _may_have_assignment(state) else None
        if blocker:
            flash(blocker, "info")
        else:
            completion = progress.mark_lesson_done(current_user, lesson)
    db.session.commit()
    if completion is not None and completion.course_completed:
        flash(f"You finished “{course.title}”. Your certificate is ready.", "success")
    return redirect(
        url_for("lessons.lesson", slug=course.slug, lesson_id=lesson.id, attempt=attempt.id, _anchor="quiz-result")
    )
