"""Studio views for modules: add, edit (drip, prerequisite), move, delete-or-archive, restore, and reorder."""

import json

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from lms.auth.forms import ButtonForm
from lms.extensions import db
from lms.notify import audit
from lms.studio import structure
from lms.studio.access import module_of, staff_course
from lms.studio.blueprint import bp
from lms.studio.forms import ModuleForm, MoveForm, ReorderForm
from lms.studio.removal import confirm_and_remove
from lms.studio.services import StudioError


def _module_fields(form):
    return dict(title=form.title.data, summary=form.summary.data or "", drip_days=form.drip_days.data,
                opens_on=form.opens_on.data, requires_previous=form.requires_previous.data)  # fmt: skip


@bp.route("/courses/<slug>/modules/new", methods=["GET", "POST"])
@login_required
def new_module(slug):
    course = staff_course(slug)
    form = ModuleForm()
    if form.validate_on_submit():
        module = structure.add_module(course, **_module_fields(form))
        db.session.commit()
        flash(f"Module “{module.title}” added.{structure.opening_note(module, current_user)}", "success")
        return redirect(url_for("studio.course", slug=course.slug, _anchor=f"module-{module.id}"))
    return render_template("studio/module_form.html", course=course, module=None, form=form)


@bp.route("/courses/<slug>/modules/<int:module_id>/edit", methods=["GET", "POST"])
@login_required
def edit_module(slug, module_id):
    course = staff_course(slug)
    module = module_of(course, module_id)
    form = ModuleForm(obj=module if request.method == "GET" else None)
    if form.validate_on_submit():
        structure.update_module(module, **_module_fields(form))
        db.session.commit()
        flash(f"Module saved.{structure.opening_note(module, current_user)}", "success")
        return redirect(url_for("studio.course", slug=course.slug, _anchor=f"module-{module.id}"))
    return render_template("studio/module_form.html", course=course, module=module, form=form)


@bp.post("/courses/<slug>/modules/<int:module_id>/move")
@login_required
def move_module(slug, module_id):
    course = staff_course(slug)
    module = module_of(course, module_id)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    structure.move_module(course, module, form.direction.data)
    db.session.commit()
    return redirect(url_for("studio.course", slug=course.slug, _anchor=f"module-{module.id}"))


@bp.route("/courses/<slug>/modules/<int:module_id>/delete", methods=["GET", "POST"])
@login_required
def delete_module(slug, module_id):
    course = staff_course(slug)
    module = module_of(course, module_id)
    learners = structure.learners_with_progress([lesson.id for lesson in module.lessons])
    return confirm_and_remove(course, module, "module", learners, structure.remove_module)


@bp.post("/courses/<slug>/modules/<int:module_id>/restore")
@login_required
def restore_module(slug, module_id):
    course = staff_course(slug)
    module = module_of(course, module_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    structure.restore(module)
    audit(current_user, "module.restore", course=course, detail=module.title)
    db.session.commit()
    flash(f"Module “{module.title}” restored.", "success")
    return redirect(url_for("studio.course", slug=course.slug, _anchor=f"module-{module.id}"))


@bp.post("/courses/<slug>/reorder")
@login_required
def reorder(slug):
    """The drag-and-drop enhancement posts the whole new order here as JSON in a form field."""
    course = staff_course(slug)
    form = ReorderForm()
    wants_json = request.accept_mimetypes.best == "application/json"
    if not form.validate_on_submit():
        abort(400)
    try:
        order = json.loads(form.order.data)
        if not isinstance(order, list):
            raise StudioError("The new order could not be read.")
        structure.apply_order(course, order)
    except (ValueError, StudioError) as error:
        db.session.rollback()
        message = str(error) if isinstance(error, StudioError) else "The new order could not be read."
        if wants_json:
            return jsonify(ok=False, message=message), 400
        flash(message, "error")
        return redirect(url_for("studio.course", slug=course.slug))
    db.session.commit()
    if wants_json:
        return jsonify(ok=True, message="New order saved.")
    flash("New order saved.", "success")
    return redirect(url_for("studio.course", slug=course.slug))
