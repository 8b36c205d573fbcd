"""Discussion pages: board, search, threads, replies and the author's own actions.

Every handler: load the course from the URL -> check access -> load objects OF THAT COURSE -> act.
Moderation handlers live in moderation_views.py on the same blueprint.

Opening a thread (GET) moves the reader's read mark forward: an idempotent write that makes unread
marks work without JavaScript.
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from lms.auth.forms import ButtonForm
from lms.database import autocommit_reads
from lms.discussion import queries, services
from lms.discussion.access import (
    load_course,
    load_lesson,
    load_post,
    load_thread,
    load_thread_for_reader,
    post_anchor_url,
    require_author,
    thread_url,
)
from lms.discussion.forms import EditPostForm, ReplyForm, ReportForm, ThreadForm
from lms.discussion.moderation import report_post
from lms.discussion.moderation_views import add_moderation_routes
from lms.discussion.people import byline, label_for_everyone
from lms.extensions import db
from lms.models.discussion import Post
from lms.security import query_int, whole_number

bp = Blueprint("discussion", __name__)
add_moderation_routes(bp)


# --- Board and search --------------------------------------------------------------------------------------


@bp.get("/courses/<slug>/discussion/")
@autocommit_reads
@login_required
def board(slug):
    course, viewer = load_course(slug)
    if request.args.get("q", "").strip():
        return search(slug)
    filter_ = request.args.get("filter", "all")
    filter_ = filter_ if filter_ in queries.FILTERS else "all"
    sort = request.args.get("sort", "recent")
    sort = sort if sort in queries.SORTS else "recent"
    lesson = load_lesson(course, query_int("lesson"))
    page, rows = queries.board_page(
        course, viewer, filter_=filter_, sort=sort, lesson_id=lesson.id if lesson else None,
        page=query_int("page", 1),
    )  # fmt: skip
    return render_template(
        "discussion/board.html", course=course, viewer=viewer, page=page, rows=rows, filter=filter_, sort=sort,
        lesson=lesson, lessons=queries.course_lessons(course),
        following_board=services.is_following_board(course, current_user),
    )  # fmt: skip


@bp.get("/courses/<slug>/discussion/search")
@login_required
def search(slug):
    course, viewer = load_course(slug)
    query = request.args.get("q", "").strip()[:200]
    results = queries.search_page(course, viewer, query, query_int("page", 1)) if query else None
    return render_template("discussion/search.html", course=course, viewer=viewer, query=query, results=results)


@bp.post("/courses/<slug>/discussion/follow")
@login_required
def follow_board(slug):
    course, viewer = load_course(slug)
    if not ButtonForm().validate_on_submit():
        abort(400)
    follow = not services.is_following_board(course, current_user)
    services.set_board_follow(course, current_user, follow)
    db.session.commit()
    flash("You will hear about every new post on this board." if follow else "You no longer follow this board.",
          "success")  # fmt: skip
    return redirect(url_for("discussion.board", slug=course.slug))


# --- Threads ----------------------------------------------------------------------------------------------


@bp.route("/courses/<slug>/discussion/new", methods=["GET", "POST"])
@login_required
def new_thread(slug):
    course, viewer = load_course(slug)
    lessons = queries.course_lessons(course)
    form = ThreadForm()
    form.set_lessons(lessons)
    if request.method == "GET" and load_lesson(course, query_int("lesson")):
        form.lesson_id.data = query_int("lesson")
    status = 200
    if form.validate_on_submit():
        lesson = load_lesson(course, form.lesson_id.data)
        try:
            thread = services.create_thread(
                course, current_user, title=form.title.data, body=form.body.data, kind=form.kind.data,
                lesson=lesson, anonymous=form.anonymous.data,
            )  # fmt: skip
        except services.PostingTooFast as error:
            form.body.errors.append(str(error))
            status = 429
        else:
            db.session.commit()
            flash("Your thread is up. You will be notified about replies.", "success")
            return redirect(thread_url(course, thread))
    elif request.method == "POST":
        status = 400
    return render_template("discussion/new_thread.html", course=course, form=form), status


@bp.get("/courses/<slug>/discussion/threads/<int:thread_id>")
@autocommit_reads  # its one write, the read mark, is a single upsert
@login_required
def thread(slug, thread_id):
    course, viewer = load_course(slug)
    thread, last_read, following = load_thread_for_reader(course, thread_id, current_user)
    if request.args.get("jump") == "unread":
        unread = queries.first_unread_post(thread, last_read)
        if unread is not None:
            return redirect(post_anchor_url(course, thread, unread))
        return redirect(thread_url(course, thread))
    # The anonymous author of a thread replies anonymously by default, so a reply does not unmask them.
    form = ReplyForm(formdata=None, anonymous=thread.anonymous and thread.author_id == viewer.user_id)
    return render_thread(course, viewer, thread, form, last_read=last_read, following=following)


def render_thread(course, viewer, thread, reply_form, *, last_read=None, following=None, status=200):
    page_number = query_int("page", 1)
    page, top, replies = queries.thread_page(thread, viewer, page_number)
    if following is None:
        following = services.is_following(thread, current_user)
    html = render_template(
        "discussion/thread.html", course=course, viewer=viewer, thread=thread, page=page, top=top, replies=replies,
        form=reply_form, following=following,
        thread_byline=byline(thread.author, thread.anonymous, viewer),
    )  # fmt: skip
    # Mark read after rendering: the commit would expire every loaded post and reload each one. The mark is the
    # highest post id read, so the accepted answer, shown on top of page 1 but in its place among the replies
    # perhaps pages later, moves it only once the reader reaches the last page: before that, the replies in
    # between would count as read unseen ("jump to first unread" skipped them). The last page counts it even
    # though only page 1 shows it: when it is the newest post, no page would ever count it, and the thread
    # stayed unread for good. A page past the end shows nothing, so it counts nothing.
    shown = [view.post.id for view in top if not view.is_accepted] + [view.post.id for view in replies]
    if thread.accepted_post_id and not page.has_next and (top or replies):
        shown.append(thread.accepted_post_id)
    if shown and (last_read is None or max(shown) > last_read):
        services.mark_read(thread, current_user, max(shown), last_read=last_read)
        db.session.commit()
    return html, status


@bp.route("/courses/<slug>/discussion/threads/<int:thread_id>/reply", methods=["GET", "POST"])
@login_required
def reply(slug, thread_id):
    course, viewer = load_course(slug)
    thread = load_thread(course, thread_id)
    if thread.locked and not viewer.is_staff:
        flash(f"This thread is locked: {thread.lock_reason or 'no new replies'}.", "error")
        return redirect(thread_url(course, thread))
    form = ReplyForm()
    quoted = None
    showing_form = request.method in ("GET", "HEAD")  # HEAD (link checkers, previews) answers as GET does
    quoted_id = query_int("quote") if showing_form else whole_number(form.quoted_post_id.data)
    if quoted_id:
        quoted = load_post(course, thread, quoted_id)
        # Not a hidden post either, not even for its author or staff (who can read it): quoting it would put
        # what a moderator took down back in front of everyone.
        if quoted.deleted_at or quoted.hidden_at:
            quoted = None
    if showing_form:
        # Anonymous authors reply anonymously by default, as on the thread page, also when quoting themselves.
        form.anonymous.data = any(item is not None and item.anonymous and item.author_id == viewer.user_id
                                  for item in (thread, quoted))  # fmt: skip
        if quoted is not None:
            form.body.data = services.quote_markdown(quoted, label_for_everyone(quoted.author, quoted.anonymous))
            form.quoted_post_id.data = str(quoted.id)
        return render_template("discussion/reply.html", course=course, thread=thread, form=form, quoted=quoted)
    if not form.validate_on_submit():
        return render_template("discussion/reply.html", course=course, thread=thread, form=form, quoted=quoted), 400
    try:
        post = services.add_reply(course, thread, current_user, body=form.body.data, anonymous=form.anonymous.data,
                                  quoted_post=quoted, author_is_staff=viewer.is_staff)  # fmt: skip
    except services.PostingTooFast as error:
        form.body.errors.append(str(error))
        return render_template("discussion/reply.html", course=course, thread=thread, form=form, quoted=quoted), 429
    except services.DiscussionError as error:
        flash(str(error), "error")
        return redirect(thread_url(course, thread))
    db.session.commit()
    return redirect(post_anchor_url(course, thread, post))


@bp.get("/courses/<slug>/discussion/posts/<int:post_id>")
@login_required
def goto_post(slug, post_id):
    """Permalink for notifications and search: the right page of the thread, at the post."""
    course, viewer = load_course(slug)
    post = db.get_or_404(Post, post_id)
    thread = load_thread(course, post.thread_id)
    return redirect(post_anchor_url(course, thread, post))


@bp.post("/courses/<slug>/discussion/threads/<int:thread_id>/follow")
@login_required
def follow_thread(slug, thread_id):
    course, viewer = load_course(slug)
    thread = load_thread(course, thread_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    if services.is_following(thread, current_user):
        services.unfollow_thread(thread, current_user)
        if services.is_following_board(course, current_user):  # which tells them of every post, this one's too
            flash("You no longer follow this thread, but you still follow the whole board, so you will still hear "
                  "about its replies. Unfollow the board to stop.", "success")  # fmt: skip
        else:
            flash("You no longer follow this thread.", "success")
    else:
        services.follow_thread(thread, current_user)
        flash("You will be notified about new replies.", "success")
    db.session.commit()
    return redirect(thread_url(course, thread))


# --- A post's own actions -----------------------------------------------------------------------------------


@bp.route("/courses/<slug>/discussion/threads/<int:thread_id>/posts/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit_post(slug, thread_id, post_id):
    course, viewer = load_course(slug)
    thread = load_thread(course, thread_id)
    post = load_post(course, thread, post_id)
    require_author(post)
    if post.deleted_at is not None or (thread.locked and not viewer.is_staff):
        abort(403, "This post can no longer be edited.")
    if post.hidden_at is not None and not viewer.is_staff:
        # Its author still sees it, but an edit (of the thread's title, above all) would reach everyone.
        abort(403, "A moderator hid this post, so it can no longer be edited. You can still delete it.")
    is_opening = post.id == thread.first_post_id
    title_renamed = is_opening and not viewer.is_staff and services.renamed_by_moderator(thread)
    edits_title = is_opening and not title_renamed
    form = EditPostForm(data={"title": thread.title, "body": post.body_md} if request.method == "GET" else None)
    if edits_title and request.method == "POST" and not form.title.data:
        form.title.errors = ["Please give your thread a title."]
    elif form.validate_on_submit():
        services.edit_post(course, thread, post, current_user, body=form.body.data,
                           title=form.title.data if edits_title else None)  # fmt: skip
        db.session.commit()
        flash("Your changes are saved.", "success")
        return redirect(post_anchor_url(course, thread, post))
    status = 400 if request.method == "POST" else 200
    return render_template("discussion/edit_post.html", course=course, thread=thread, post=post, form=form,
                           edits_title=edits_title, title_renamed=title_renamed), status  # fmt: skip


@bp.post("/courses/<slug>/discussion/threads/<int:thread_id>/posts/<int:post_id>/delete")
@login_required
def delete_post(slug, thread_id, post_id):
    course, viewer = load_course(slug)
    thread = load_thread(course, thread_id)
    post = load_post(course, thread, post_id)
    require_author(post)
    if thread.locked and not viewer.is_staff:  # as for edits: a locked thread stays as the staff left it
        abort(403, "This thread is locked, so its posts can no longer be changed.")
    if not ButtonForm().validate_on_submit():
        abort(400)
    services.delete_post(course, thread, post)
    db.session.commit()
    flash("Your post was removed. Replies to it stay in the thread.", "success")
    return redirect(post_anchor_url(course, thread, post))


def _visible_to(viewer, post):
    return post.deleted_at is None and (post.hidden_at is None or viewer.is_staff or post.author_id == viewer.user_id)


@bp.post("/courses/<slug>/discussion/threads/<int:thread_id>/posts/<int:post_id>/vote")
@login_required
def vote(slug, thread_id, post_id):
    course, viewer = load_course(slug)
    thread = load_thread(course, thread_id)
    post = load_post(course, thread, post_id)
    if not _visible_to(viewer, post):
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        services.toggle_vote(post, current_user)
    except services.DiscussionError as error:
        flash(str(error), "error")
    db.session.commit()
    return redirect(post_anchor_url(course, thread, post))


@bp.post("/courses/<slug>/discussion/threads/<int:thread_id>/posts/<int:post_id>/accept")
@login_required
def accept(slug, thread_id, post_id):
    course, viewer = load_course(slug)
    thread = load_thread(course, thread_id)
    post = load_post(course, thread, post_id)
    if not (viewer.is_staff or (thread.author_id == viewer.user_id and thread.author_id is not None)):
        abort(403, "Only the person who asked, or course staff, can accept an answer.")
    if thread.locked and not viewer.is_staff:  # as for edits and deletes: a locked thread stays as staff left it
        abort(403, "This thread is locked, so its accepted answer can no longer be changed.")
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        accepted = services.set_accepted(course, thread, post, current_user)
    except services.DiscussionError as error:
        flash(str(error), "error")
    else:
        flash("Marked as the accepted answer." if accepted else "The answer is no longer marked as accepted.",
              "success")  # fmt: skip
    db.session.commit()
    return redirect(post_anchor_url(course, thread, post))


@bp.route("/courses/<slug>/discussion/threads/<int:thread_id>/posts/<int:post_id>/report", methods=["GET", "POST"])
@login_required
def report(slug, thread_id, post_id):
    course, viewer = load_course(slug)
    thread = load_thread(course, thread_id)
    post = load_post(course, thread, post_id)
    if not _visible_to(viewer, post) or post.author_id == viewer.user_id:
        abort(404)
    form = ReportForm()
    if form.validate_on_submit():
        report_post(course, post, current_user, form.reason.data)
        db.session.commit()
        flash("Thank you. The course staff will look at this post.", "success")
        return redirect(post_anchor_url(course, thread, post))
    status = 400 if request.method == "POST" else 200
    return render_template("discussion/report.html", course=course, thread=thread, post=post, form=form), status


