"""Deleting a module or lesson from the studio: a confirmation page first, then delete it, or archive it
when learners have progress in it (their records are kept)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from lms.auth.forms import ButtonForm
from lms.extensions import db
from lms.notify import audit
from lms.studio import uploads


def confirm_and_remove(course, item, what, learners, remove):
    """GET shows who has progress in `item`; POST calls remove(item) -> (archived, file paths)."""
    form = ButtonForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        title = item.title
        archived, paths = remove(item)
        audit(current_user, f"{what}.archive" if archived else f"{what}.delete", course=course, detail=title)
        db.session.commit()
        uploads.remove_files(paths)
        outcome = "archived: learners' progress is kept." if archived else "deleted."
        flash(f"{what.capitalize()} “{title}” {outcome}", "success")
        return redirect(url_for("studio.course", slug=course.slug))
    return render_template("studio/confirm_delete.html", course=course, item=item, what=what,
                           learners=learners, form=form)  # fmt: skip
