"""The peer directory of a course: people, connection requests, block, report and study partners.

Only the course's active learners and its staff see a course's people and act there; admins may read the
list too (for moderation: peer reports link them to it) but do not connect, block, report or pair up there.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from lms.extensions import db
from lms.models import Connection, User
from lms.peers import directory
from lms.peers.blueprint import bp, load_course
from lms.peers.forms import ButtonForm
from lms.security import query_int


def _load_member_course(slug):
    course = load_course(slug)
    if not directory.takes_part(current_user, course):
        abort(403)
    return course


def _load_peer(course, user_id):
    """Another member of this course who has not blocked (and is not blocked by) the viewer."""
    person = db.session.get(User, user_id)
    if person is None or person.id == current_user.id or not directory.is_course_member(person, course):
        abort(404)
    return person


@bp.route("/courses/<slug>/people")
@login_required
def people(slug):
    course = load_course(slug)
    takes_part = directory.takes_part(current_user, course)
    if not directory.may_read_people(current_user, taking_part=takes_part):
        abort(403)
    page = query_int("page", 1)
    # The same list the course staff see: only learners who chose to be visible.
    listing = directory.people_page(course, current_user, skill=request.args.get("skill", "")[:60], page=page)
    own_request = directory.partner_request(course, current_user) if takes_part else None
    partner_gone = own_request is not None and own_request.matched_at is not None \
        and not directory.partner_still_here(course, own_request)
    return render_template("peers/people.html", course=course, listing=listing, own_request=own_request,
                           partner_gone=partner_gone, takes_part=takes_part, form=ButtonForm())  # fmt: skip


def _back(course):
    return redirect(url_for("peers.people", slug=course.slug, skill=request.args.get("skill") or None))


@bp.route("/courses/<slug>/people/<int:user_id>/connect", methods=["POST"])
@login_required
def connect(slug, user_id):
    course = _load_member_course(slug)
    person = _load_peer(course, user_id)
    if directory.is_blocked_between(current_user.id, person.id):
        abort(404)
    if ButtonForm().validate_on_submit():
        try:
            connection = directory.request_connection(current_user, person, course)
        except directory.DirectoryError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(f"You are now connected with {person.display_name}." if connection.status == "accepted"
                  else f"Connection request sent to {person.display_name}.", "success")  # fmt: skip
    return _back(course)


@bp.route("/courses/<slug>/people/<int:user_id>/block", methods=["GET", "POST"])
@login_required
def block(slug, user_id):
    """GET asks first (blocking also ends a connection and a study pairing); POST blocks."""
    course = _load_member_course(slug)
    person = _load_peer(course, user_id)
    form = ButtonForm()
    if request.method in ("GET", "HEAD"):
        return render_template("peers/block.html", course=course, person=person, form=form,
                               skill=request.args.get("skill") or None)  # fmt: skip
    if form.validate_on_submit():
        directory.block(current_user, person, course)
        db.session.commit()
        flash(f"{person.display_name} is blocked: you will not see each other in peer pages. "
              "You can unblock them from your connections page.", "success")  # fmt: skip
    return _back(course)


@bp.route("/courses/<slug>/people/<int:user_id>/report", methods=["POST"])
@login_required
def report(slug, user_id):
    course = _load_member_course(slug)
    person = _load_peer(course, user_id)
    if ButtonForm().validate_on_submit():
        directory.report(current_user, person, course)
        db.session.commit()
        flash("Thank you. The course staff will look into it.", "success")
    return _back(course)


@bp.route("/courses/<slug>/partner", methods=["POST"])
@login_required
def match_partner(slug):
    course = _load_member_course(slug)
    if ButtonForm().validate_on_submit():
        own = directory.request_partner(course, current_user)
        db.session.commit()
        if own.matched_with is not None:
            flash(f"Meet your study partner: {own.matched_with.display_name}.", "success")
        else:
            flash("You are on the list. We will tell you as soon as a partner is found.", "success")
    return _back(course)


@bp.route("/courses/<slug>/partner/end", methods=["POST"])
@login_required
def end_partner(slug):
    course = _load_member_course(slug)
    if ButtonForm().validate_on_submit() and directory.end_partnership(course, current_user) is not None:
        db.session.commit()
        flash("Your study pairing has ended. You can ask for a new partner whenever you like.", "success")
    return _back(course)


@bp.route("/courses/<slug>/partner/cancel", methods=["POST"])
@login_required
def cancel_partner(slug):
    course = _load_member_course(slug)
    if ButtonForm().validate_on_submit():
        directory.cancel_partner_request(course, current_user)
        db.session.commit()
        flash("You are no longer waiting for a study partner.", "success")
    return _back(course)


@bp.route("/people/connections")
@login_required
def connections():
    incoming, accepted = directory.my_connections(current_user)
    blocked = directory.people_blocked_by(current_user)
    return render_template("peers/connections.html", incoming=incoming, accepted=accepted, blocked=blocked,
                           form=ButtonForm())  # fmt: skip


@bp.route("/people/blocked/<int:user_id>/unblock", methods=["POST"])
@login_required
def unblock(user_id):
    # Only the viewer's own block is lifted, so any user id is safe here: nothing else can change.
    person = db.session.get(User, user_id)
    if ButtonForm().validate_on_submit() and person is not None and directory.unblock(current_user, person):
        db.session.commit()
        flash(f"{person.display_name} is unblocked. You can see each other in peer pages again.", "success")
    return redirect(url_for("peers.connections"))


@bp.route("/people/connections/<int:connection_id>/<any(accept, decline):answer>", methods=["POST"])
@login_required
def answer_connection(connection_id, answer):
    connection = db.session.get(Connection, connection_id)
    if connection is None or current_user.id not in (connection.user_a_id, connection.user_b_id):
        abort(404)
    if ButtonForm().validate_on_submit():
        try:
            directory.respond_to_connection(connection, current_user, accept=answer == "accept")
        except directory.DirectoryError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash("Connected." if answer == "accept" else "Request declined.", "success")
    return redirect(url_for("peers.connections"))
