"""XSS: every payload of the corpus goes through every user-writable field by the real forms (HTTP POSTs),
then every page that shows it (and every page linked from those) is parsed: nothing executable may appear.

Fields that refuse a payload (e.g. control characters in a title) are re-submitted with the control
characters replaced by spaces, so each page still shows a hostile value.
"""

import re
from urllib.parse import quote, urlsplit

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.models import (
    Choice,
    Course,
    CourseReview,
    CourseWish,
    Lesson,
    Module,
    Post,
    PostReport,
    Question,
    Review,
    Submission,
    Thread,
    Upload,
)
from tests.conftest import PASSWORD
from tests.hostile_helpers import PAYLOADS, assert_nothing_executable, executable_parts
from tests.studio_helpers import PDF, file

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SKIP_CRAWL = ("/static/", "/studio/files/", "/auth/logout", "/studio/courses/new")
SKIP_SUFFIXES = (".csv", ".json", "/export")


@pytest.fixture
def app_config():
    return {"POSTING_LIMIT": "10000 per minute"}


def _sanitized(value):
    return re.sub(r"[\x00-\x1f]", " ", value) if isinstance(value, str) else value


def _fresh(row):
    db.session.refresh(row)
    return row


def _padded(payload, minimum):
    return payload if len(payload) >= minimum else payload + " — " + "x" * minimum


class Hostile:
    """Builds a course world through the forms, with one payload in every writable field."""

    def __init__(self, app, make_user, payload, long_text=None):
        # long_text goes into the long Markdown fields (lesson body, description, prompts, posts, reviews).
        self.app, self.x, self.md = app, payload, long_text or payload
        self.owner = make_user("owner@example.com", "Owner", role="instructor")
        self.ana = make_user("ana@example.com", "Ana")
        self.ben = make_user("ben@example.com", "Ben")
        self.admin = make_user("admin@example.com", "Admin", role="admin")
        self.clients = {}
        for name in ("owner", "ana", "ben", "admin"):
            client = app.test_client()
            response = client.post("/auth/login", data={"email": getattr(self, name).email, "password": PASSWORD})
            assert response.status_code == 302
            self.clients[name] = client

    def post(self, who, url, data, saved, **kwargs):
        """POST; if the form refused the payload, retry with control characters replaced. `saved()` says
        whether the write landed."""
        make = data if callable(data) else (lambda: data)
        response = self.clients[who].post(url, data=make(), **kwargs)
        assert response.status_code < 500, (url, response.status_code)
        if not saved():
            clean = {k: _sanitized(v) for k, v in make().items()}
            response = self.clients[who].post(url, data=clean, **kwargs)
            assert saved(), (url, response.status_code, response.get_data(as_text=True)[:3000])
        return response

    def build(self):
        x, md = self.x, self.md
        db_get = db.session.scalar
        for who in ("owner", "ana", "ben"):
            user = getattr(self, who)
            self.post(who, "/auth/profile", {
                "display_name": x, "headline": x, "bio": x, "skills": x, "website": "https://example.com/" + quote(x),
                "timezone": "UTC", "weekly_goal_minutes": "60", "email_preference": "immediately",
                "profile_visible": "y"}, lambda u=user: (db.session.refresh(u), u.headline != "")[1])  # fmt: skip

        # The studio: course, module, two lessons, quiz, attachment, practice assignment; then publish.
        course_form = {"title": x, "slug": "", "summary": x, "description": md, "outcomes": x, "level": "intro",
                       "skills": x, "enrolment_policy": "open", "enrolment_key": "", "capacity": "",
                       "enrol_opens_at": "", "enrol_closes_at": "", "cover_alt": ""}  # fmt: skip
        self.post("owner", "/studio/courses/new", course_form, lambda: db_get(select(Course.id)) is not None)
        self.course = course = db_get(select(Course))
        studio = f"/studio/courses/{course.slug}"
        self.post("owner", f"{studio}/modules/new", {"title": x, "summary": x},
                  lambda: db_get(select(Module.id)) is not None)  # fmt: skip
        module = db_get(select(Module))
        for n in (1, 2):
            self.post("owner", f"{studio}/modules/{module.id}/lessons/new",
                      {"title": x, "module_id": str(module.id), "body": md, "minutes_authored": "", "video_embed": "",
                       "video_minutes": ""},
                      lambda n=n: len(db.session.scalars(select(Lesson.id)).all()) == n)  # fmt: skip
        self.lesson, self.lesson2 = db.session.scalars(select(Lesson).order_by(Lesson.id)).all()
        base = f"{studio}/lessons/{self.lesson.id}"
        self.post("owner", f"{base}/questions/new",
                  {"prompt": x, "kind": "single", "choices-0-text": x, "choices-0-is_correct": "y",
                   "choices-0-feedback": x, "choices-1-text": "B " + x, "choices-1-feedback": x},
                  lambda: db_get(select(Question.id)) is not None)  # fmt: skip
        self.clients["owner"].post(f"{base}/pass-mark", data={"pass_mark": "50"})
        assert db.session.get(Lesson, self.lesson.id).pass_mark == 50
        # As a browser sends it (quotes and line breaks percent-encoded); the app keeps only the last path part.
        name = x.replace('"', "%22").replace("\n", "%0A").replace("\r", "%0D") + ".pdf"
        self.post("owner", f"{base}/attachments", lambda: {"file": file(PDF, name)},
                  lambda: db_get(select(Upload.id)) is not None, content_type="multipart/form-data")  # fmt: skip
        parts = ("title", "level_1", "level_2", "level_3", "level_4")
        criteria = {f"criteria-{i}-{f}": x for i in (0, 1) for f in parts}
        self.post("owner", f"{studio}/lessons/{self.lesson.id}/assignment",
                  {"prompt": md, "reviews_required": "1", **criteria},
                  self._has_assignment)  # fmt: skip
        self.clients["owner"].post(f"{studio}/status", data={"status": "published"})
        db.session.refresh(course)
        assert course.status == "published"

        # Learners: enrol, quiz, practice, reviews and replies, course reviews, wishes.
        for who in ("ana", "ben"):
            assert self.clients[who].post(f"/courses/{course.slug}/enrol").status_code == 302
        question = db_get(select(Question))
        right = db_get(select(Choice.id).where(Choice.question_id == question.id, Choice.is_correct.is_(True)))
        learn = f"/learn/{course.slug}/lessons"
        for who in ("ana", "ben"):
            answer = {f"question-{question.id}": str(right)}
            response = self.clients[who].post(f"{learn}/{self.lesson.id}/quiz", data=answer)
            assert response.status_code == 302
            self.attempt_url = response.headers["Location"]
            self.clients[who].post(f"{learn}/{self.lesson2.id}/done")
        practice = f"/courses/{course.slug}/lessons/{self.lesson.id}/practice"
        for n, who in enumerate(("ana", "ben"), start=1):
            self.post(who, practice, {"body": md, "action": "submit"},
                      lambda n=n: len(db.session.scalars(select(Submission.id)).all()) == n)  # fmt: skip
        for n, who in enumerate(("ben", "ana"), start=1):
            slot = self.clients[who].post(practice + "/next-review").headers["Location"]
            page = self.clients[who].get(slot)  # the open review shows the prompt and the peer's response
            assert page.status_code == 200
            assert_nothing_executable(page.get_data(as_text=True), slot)
            criteria_ids = [c.id for c in self._assignment().criteria]
            self.post(who, slot, {"comment": _padded(md, 25), **{f"criterion_{c}": "3" for c in criteria_ids}},
                      lambda n=n: len(db.session.scalars(select(Review.id)).all()) == n)  # fmt: skip
        ana_review = db_get(select(Review).join(Submission).where(Submission.user_id == self.ana.id))
        self.post("ana", f"/courses/{course.slug}/practice/reviews/{ana_review.id}/reply", {"reply": x},
                  lambda: (db.session.refresh(ana_review), bool(ana_review.reply_md))[1])  # fmt: skip
        ben_review = db_get(select(Review).join(Submission).where(Submission.user_id == self.ben.id))
        self.staff_submission_url = f"{studio}/submissions/{ben_review.submission_id}"
        self.post("owner", f"{studio}/peer-reviews/{ben_review.id}/hide", {"reason": x},
                  lambda: (db.session.refresh(ben_review), ben_review.hidden_at is not None)[1])  # fmt: skip
        for n, who in enumerate(("ana", "ben"), start=1):
            self.post(who, f"/courses/{course.slug}/reviews/mine", {"rating": "4", "text": x},
                      lambda n=n: len(db.session.scalars(select(CourseReview.id)).all()) == n)  # fmt: skip
        ana_course_review, ben_course_review = db.session.scalars(select(CourseReview).order_by(CourseReview.id))
        self.post("owner", f"/courses/{course.slug}/reviews/{ana_course_review.id}/reply", {"reply": x},
                  lambda: _fresh(ana_course_review).instructor_reply != "")  # fmt: skip
        self.post("owner", f"/courses/{course.slug}/reviews/{ben_course_review.id}/hide", {"reason": x},
                  lambda: _fresh(ben_course_review).hidden_at is not None)  # fmt: skip
        self.post("ana", "/wishes/", {"title": _padded(x, 5), "why": _padded(x, 10)},
                  lambda: db_get(select(CourseWish.id)) is not None)  # fmt: skip
        self.clients["ana"].post(f"/courses/{course.slug}/people/{self.ben.id}/connect")
        from lms.models import Connection

        connection = db_get(select(Connection))
        if connection is not None:
            self.clients["ben"].post(f"/people/connections/{connection.id}/accept")

        # Discussion: thread, reply, edit, report, lock, hide, resolve.
        board = f"/courses/{course.slug}/discussion"
        self.post("ana", f"{board}/new", {"title": x, "kind": "question", "lesson_id": str(self.lesson.id), "body": md},
                  lambda: db_get(select(Thread.id)) is not None)  # fmt: skip
        self.thread = thread = db_get(select(Thread))
        self.post("ben", f"{board}/threads/{thread.id}/reply", {"body": md + " @Ana"},
                  lambda: db_get(select(Post.id).where(Post.id != thread.first_post_id)) is not None)  # fmt: skip
        reply = db_get(select(Post).where(Post.id != thread.first_post_id))
        self.post("ben", f"{board}/threads/{thread.id}/reply", {"body": "Second: " + x},
                  lambda: len(db.session.scalars(select(Post.id)).all()) == 3)  # fmt: skip
        first = db.session.get(Post, thread.first_post_id)
        self.post("ana", f"{board}/threads/{thread.id}/posts/{first.id}/edit", {"title": x, "body": "Edited " + md},
                  lambda: (db.session.refresh(first), first.edited_at is not None)[1])  # fmt: skip
        self.post("ana", f"{board}/threads/{thread.id}/posts/{reply.id}/report", {"reason": x},
                  lambda: db_get(select(PostReport.id)) is not None)  # fmt: skip
        self.post("owner", f"{board}/threads/{thread.id}/lock", {"reason": x},
                  lambda: (db.session.refresh(thread), thread.locked)[1])  # fmt: skip
        self.post("owner", f"{board}/threads/{thread.id}/posts/{reply.id}/hide", {"reason": x},
                  lambda: (db.session.refresh(reply), reply.hidden_at is not None)[1])  # fmt: skip
        return self

    def _assignment(self):
        from lms.peers import services

        return services.assignment_for_lesson(self.lesson.id)

    def _has_assignment(self):
        return self._assignment() is not None

    def start_pages(self):
        c, x = self.course, quote(self.x)
        lesson, thread = self.lesson, self.thread
        studio, learn, board = f"/studio/courses/{c.slug}", f"/learn/{c.slug}", f"/courses/{c.slug}/discussion"
        question = db.session.scalar(select(Question))
        module = db.session.scalar(select(Module))
        common = ["/", "/courses/", f"/courses/?q={x}", f"/courses/{c.slug}", f"/courses/{c.slug}/reviews",
                  f"{board}/", f"{board}/threads/{thread.id}", f"{board}/search?q={x}", f"/courses/{c.slug}/people",
                  "/notifications/", "/wishes/", "/auth/profile", f"/auth/people/{self.ana.id}",
                  f"/auth/people/{self.ben.id}", f"/auth/people/{self.owner.id}"]  # fmt: skip
        learner = [f"{learn}/", f"{learn}/lessons/{lesson.id}", f"{learn}/lessons/{self.lesson2.id}", self.attempt_url,
                   f"/courses/{c.slug}/lessons/{lesson.id}/practice", "/people/connections", "/progress/certificates",
                   f"/courses/{c.slug}/reviews/mine"]  # fmt: skip
        return {
            "owner": common + ["/studio/", f"{studio}/", f"{studio}/settings", f"{studio}/modules/{module.id}/edit",
                               f"{studio}/lessons/{lesson.id}/edit",
                               f"{studio}/lessons/{lesson.id}/questions/{question.id}/edit",
                               f"{studio}/lessons/{lesson.id}/assignment", f"{studio}/preview",
                               f"{studio}/preview/lessons/{lesson.id}", f"/courses/{c.slug}/roster",
                               f"{studio}/analytics",
                               f"{studio}/reviews", self.staff_submission_url, f"{board}/reports", f"{studio}/staff",
                               f"{learn}/lessons/{lesson.id}"],
            "ana": common + learner,
            "ben": common + learner,
            "admin": ["/", f"/courses/{c.slug}", f"{board}/threads/{thread.id}", f"{board}/reports", "/admin/users",
                      f"/admin/users?q={x}", "/admin/audit", f"/admin/audit?q={x}"],
        }  # fmt: skip


def _crawl(client, start, limit=120, follow=True):
    """Fetch the start pages and the same-site pages they link to (one level deep); return {url: html}."""
    seen, pages, queue = set(), {}, [(url, 0) for url in start]
    while queue and len(pages) < limit:
        url, depth = queue.pop(0)
        path = urlsplit(url).path
        if url in seen or path.startswith(SKIP_CRAWL) or path.endswith(SKIP_SUFFIXES):
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code < 500, (url, response.status_code)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        pages[url] = html
        if depth == 0 and follow:
            for href in re.findall(r'href="(/[^"#]*)', html):
                queue.append((href.replace("&amp;", "&"), 1))
    return pages


def _check_world(world, outbox, follow=True):
    checked = 0
    for who, start in world.start_pages().items():
        pages = _crawl(world.clients[who], start, follow=follow)
        for url in start:
            path = urlsplit(url).path
            if not path.startswith(SKIP_CRAWL):
                assert url in pages, f"{who} could not open {url}"
        for url, html in pages.items():
            assert_nothing_executable(html, f"{who} {url}")
            checked += 1
    assert checked > (100 if follow else 60)
    # Some page shows the payload as text: the test really exercised it (escaped, or as sanitized Markdown).
    # E-mails are plain text only, with one-line headers.
    messages = outbox()
    assert messages, "posting and replying sends notification e-mails"
    for message in messages:
        assert message.get_content_type() == "text/plain"
        assert not any(part.get_content_type() == "text/html" for part in message.walk())
        assert "\n" not in message["Subject"] and "\r" not in message["Subject"]


# One payload per escaping context (text, double- and single-quoted attribute, raw HTML and Markdown links,
# SVG, frames, meta): each goes into every field of the world. Building a world through ~50 form posts takes
# seconds, so the rest of the corpus goes through every long Markdown field at once (next test) and through
# the sanitizer one by one (test_markdown_sanitizer_neutralises_every_payload).
REPRESENTATIVE = [PAYLOADS[i] for i in (0, 1, 2, 7, 11, 13, 23, 24, 25, 30)]


@pytest.mark.parametrize("payload", REPRESENTATIVE, ids=[f"p{i:02}" for i in range(len(REPRESENTATIVE))])
def test_payload_in_every_field_renders_harmless(app, make_user, outbox, payload):
    # The first payload also follows every link of those pages (one level), which finds pages not listed.
    _check_world(Hostile(app, make_user, payload).build(), outbox, follow=payload == REPRESENTATIVE[0])


def test_whole_corpus_in_every_markdown_field_renders_harmless(app, make_user, outbox):
    corpus = "\n\n".join(PAYLOADS)
    _check_world(Hostile(app, make_user, '<img src=x onerror="alert(1)">', long_text=corpus).build(), outbox)


@pytest.mark.parametrize("ugc", [False, True])
def test_markdown_sanitizer_neutralises_every_payload(ugc):
    from lms.content import render_markdown

    for payload in PAYLOADS + ["\n\n".join(PAYLOADS)]:
        contexts = (payload, f"Text before\n\n{payload}\n\nafter", f"> {payload}", f"* {payload}",
                    f"| a |\n|---|\n| {payload} |")
        for source in contexts:
            assert_nothing_executable(str(render_markdown(source, ugc=ugc)), repr(source))


def test_a_payload_is_visible_as_text_not_markup(app, make_user):
    world = Hostile(app, make_user, "<script>alert('xss')</script>").build()
    page = world.clients["ana"].get(f"/courses/{world.course.slug}/discussion/threads/{world.thread.id}")
    html = page.get_data(as_text=True)
    assert "&lt;script&gt;alert(" in html and "<script>alert(" not in html
    profile = world.clients["ben"].get(f"/auth/people/{world.ana.id}").get_data(as_text=True)
    assert "&lt;script&gt;" in profile


def test_the_checker_finds_what_it_must():
    """The checker itself: each of these snippets must be reported (otherwise the tests above prove nothing)."""
    bad = [
        "<script>alert(1)</script>", '<img src=x onerror="alert(1)">', '<a href="java&#x09;script:alert(1)">x</a>',
        '<a href=" JAVASCRIPT:alert(1)">x</a>', '<img src="data:image/svg+xml,x">', '<iframe src="https://evil.test/">',
        '<iframe src="https://www.youtube-nocookie.com/embed/x" srcdoc="x">', "<object data=x>", "<embed src=x>",
        '<base href="/">', '<meta http-equiv="refresh" content="0">', '<form action="vbscript:x">',
        '<button formaction="javascript:x">', '<svg><a xlink:href="javascript:x">', "<math><mi>x</mi></math>",
        "<style>x{}</style>", '<p style="width:expression(alert(1))">',
        '<script src="https://evil.test/x.js"></script>',
        '<link rel="stylesheet" href="https://evil.test/x.css">',
    ]  # fmt: skip
    for snippet in bad:
        assert executable_parts(snippet), snippet
    good = ('<script src="/static/js/app.js" defer></script><a href="https://x.test/?q=%3Cscript%3E">x</a>'
            '<iframe src="https://www.youtube-nocookie.com/embed/abc"></iframe><p>&lt;script&gt;</p>'
            '<img src="/studio/files/abc.png" alt="x"><svg viewBox="0 0 1 1"><path d="M0 0"/></svg>')  # fmt: skip
    assert executable_parts(good) == []


def test_profile_website_must_be_a_web_address(client, make_user, login):
    user = make_user()
    login(user)
    for website in ("javascript://example.com/%0Aalert(1)", "data://example.com/x", "vbscript://example.com/x"):
        data = {"display_name": "Ana", "website": website, "timezone": "UTC", "weekly_goal_minutes": "60",
                "email_preference": "never"}  # fmt: skip
        response = client.post("/auth/profile", data=data)
        assert response.status_code == 200 and "https://" in response.get_data(as_text=True)
        db.session.refresh(user)
        assert user.website == ""
    client.post("/auth/profile", data={"display_name": "Ana", "website": "https://ana.example.com", "timezone": "UTC",
                                       "weekly_goal_minutes": "60", "email_preference": "never"})  # fmt: skip
    db.session.refresh(user)
    assert user.website == "https://ana.example.com"


@pytest.mark.parametrize("title", ["Line one\nBcc: victim@example.com", "Tab\there\r\nX-Header: y"])
def test_a_title_with_line_breaks_never_breaks_an_email_header(app, make_user, outbox, title):
    from tests.factories import enrol, make_course

    owner = make_user("owner@example.com", "Owner", role="instructor")
    ana, ben = make_user("ana@example.com", "Ana"), make_user("ben@example.com", "Ben")
    course = make_course(owner, "Mail course", slug="mail-course")
    enrol(ana, course)
    enrol(ben, course)
    clients = {}
    for user in (ana, ben):
        clients[user.email] = app.test_client()
        clients[user.email].post("/auth/login", data={"email": user.email, "password": PASSWORD})
    board = "/courses/mail-course/discussion"
    clients[ana.email].post(f"{board}/new", data={"title": title, "kind": "discussion", "lesson_id": "0", "body": "Hi"})
    thread = db.session.scalar(select(Thread))
    if thread is None:  # refused as a title: fine, nothing to mail
        return
    response = clients[ben.email].post(f"{board}/threads/{thread.id}/reply", data={"body": "Reply to @Ana"})
    assert response.status_code == 302
    for message in outbox():
        assert "\n" not in message["Subject"] and "victim" not in (message["Bcc"] or "")


def test_stored_html_and_svg_files_are_never_served_inline(app, client, make_user, login):
    """Even a file that slipped past the upload checks (an old row, a manual import) downloads as an
    attachment with nosniff: the browser never renders it as a page or an image with scripts."""
    from lms.studio.uploads import store_bytes
    from tests.factories import make_course

    owner = make_user(role="instructor")
    course = make_course(owner, "Files", slug="files")
    login(owner)
    for data, ext, content_type in ((b"<script>alert(1)</script>", "html", "text/html"),
                                    (b'<svg onload="alert(1)"/>', "svg", "image/svg+xml"),
                                    (b"<script>alert(1)</script>", "pdf", "application/pdf")):  # fmt: skip
        upload = Upload(stored_name=store_bytes(data, ext), original_name=f"evil.{ext}", content_type=content_type,
                        size=len(data), kind="attachment", course_id=course.id)  # fmt: skip
        db.session.add(upload)
        db.session.commit()
        response = client.get(f"/studio/files/{upload.stored_name}")
        assert response.status_code == 200
        assert response.headers["Content-Disposition"].startswith("attachment"), ext
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_svg_and_html_uploads_are_refused_everywhere(client, make_user, login):
    from tests.studio_helpers import HTML, SVG

    owner = make_user(role="instructor")
    login(owner)
    data = {"title": "Covered", "slug": "", "summary": "", "description": "", "outcomes": "", "level": "intro",
            "skills": "", "enrolment_policy": "open", "enrolment_key": "", "capacity": "", "enrol_opens_at": "",
            "enrol_closes_at": "", "cover_alt": "A logo", "cover_image": file(SVG, "logo.svg")}  # fmt: skip
    response = client.post("/studio/courses/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 200 and "not accepted" in response.get_data(as_text=True)
    data["cover_image"] = file(HTML, "cover.png")
    response = client.post("/studio/courses/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 200 and "does not look like" in response.get_data(as_text=True)
    assert db.session.scalar(select(Course.id)) is None and db.session.scalar(select(Upload.id)) is None


def test_code_in_markdown_reads_as_written_and_bare_links_outside_code_become_links():
    """Code shows its <, & and quotes once escaped (the browser shows them as typed, not as `&quot;`), and only
    URLs outside code are linked, with the rel that says whether peers wrote it."""
    from lms.content import render_markdown

    inline = str(render_markdown('Compare `a < b && c == "d"` here'))
    assert '<code>a &lt; b &amp;&amp; c == &quot;d&quot;</code>' in inline
    fenced = str(render_markdown('```python\nprint("<b>not bold</b>")  # see https://example.com/x\n```', ugc=True))
    assert 'print(&quot;&lt;b&gt;not bold&lt;/b&gt;&quot;)  # see https://example.com/x' in fenced
    assert "<a " not in fenced
    linked = str(render_markdown("Read https://example.com/guide?a=1&b=2 first & then `code`", ugc=True))
    assert ('<a href="https://example.com/guide?a=1&amp;b=2" rel="nofollow ugc noopener">'
            'https://example.com/guide?a=1&amp;b=2</a> first &amp; then <code>code</code>') in linked


@pytest.mark.parametrize("ugc", [False, True])
def test_images_come_only_from_uploads_or_https_never_from_other_pages_of_the_site(ugc):
    """A reader's browser fetches an image with the reader's cookies: an image pointing at a lesson would open
    that lesson as every reader of the post and move their "Continue" point. Only uploaded files (a download)
    and https images are kept; `/\\evil.example` is `//evil.example` to a browser."""
    from lms.content import render_markdown

    for source in ('<img src="/learn/client-communication/lessons/8" alt="">', "![x](/learn/c/lessons/8)",
                   '<img src="/\\evil.example/x.png" alt="">', '<img src="/studio/files/../../learn/c/" alt="">',
                   "![x](/courses/c/withdraw)"):  # fmt: skip
        html = str(render_markdown(source, ugc=ugc))
        assert "src=" not in html, (source, html)
    kept = str(render_markdown("![chart](/studio/files/a1B2-c3.png) ![photo](https://images.example/p.jpg)", ugc=ugc))
    assert 'src="/studio/files/a1B2-c3.png"' in kept and 'src="https://images.example/p.jpg"' in kept


def test_table_column_alignment_survives_and_no_other_style_does():
    """`|:--|:-:|--:|` aligns a lesson table's columns; the cleaner used to empty every style (bleach has no CSS
    sanitizer of its own), so learners saw `style=""` and a right-aligned price column on the left."""
    from lms.content import render_markdown

    html = str(render_markdown("| Item | Note | Price |\n|:--|:-:|--:|\n| A | b | 10 |"))
    assert '<th style="text-align:left">Item</th>' in html and '<td style="text-align:right">10</td>' in html
    assert '<td style="text-align:center">b</td>' in html and 'style=""' not in html
    for hostile in ('<td style="text-align:right;background:url(https://x.test/)">x</td>',
                    '<td style="color:red">x</td>', '<p style="text-align:right">x</p>'):  # fmt: skip
        cleaned = str(render_markdown(f"<table><tr>{hostile}</tr></table>" if "<td" in hostile else hostile))
        assert "url(" not in cleaned and "color" not in cleaned and "<p style" not in cleaned, cleaned


MARKDOWN_FIELDS = [("lms.studio.forms", "CourseForm", "description"), ("lms.studio.forms", "LessonForm", "body"),
                   ("lms.discussion.forms", "ThreadForm", "body"), ("lms.discussion.forms", "ReplyForm", "body"),
                   ("lms.discussion.forms", "EditPostForm", "body"), ("lms.peers.forms", "AssignmentForm", "prompt"),
                   ("lms.peers.forms", "SubmissionForm", "body"), ("lms.peers.forms", "ReviewForm", "comment"),
                   ("lms.peers.forms", "ReplyForm", "reply")]  # fmt: skip


@pytest.mark.parametrize(("module", "form_name", "field"), MARKDOWN_FIELDS)
def test_every_markdown_field_names_an_image_that_would_not_show(app, module, form_name, field):
    """Every field rendered as Markdown refuses an http:// image, which would vanish without a word, and says which."""
    import importlib

    form_class = getattr(importlib.import_module(module), form_name)

    def errors_for(source):
        with app.test_request_context(method="POST", data={field: source}):
            form = form_class(meta={"csrf": False})
            for other in form:
                if getattr(other, "choices", ()) is None:  # the views fill in lessons and modules
                    other.choices = []
            form.validate()
            return form[field].errors

    source = "Before ![chart](http://cdn.example/chart.png) and ![ok](https://cdn.example/ok.png)"
    assert any("This image cannot be shown: http://cdn.example/chart.png" in e for e in errors_for(source))
    assert not any("image" in e for e in errors_for(source.replace("http:", "https:")))
