"""Refresh docs/screenshots/: the main pages at desktop (1280x800) and phone (390x844) widths.

    .venv/bin/python scripts/screenshots.py

Builds a throwaway SQLite database with the demo data, serves the app on 127.0.0.1 (a free port) and drives
Debian's /usr/bin/chromium through Playwright.
"""

import logging
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402
from sqlalchemy import select  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from lms import create_app  # noqa: E402
from lms.extensions import db  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
MAX_HEIGHT = {"desktop": 2400, "phone": 2500}
DEMO_COURSE = "client-communication"


def build_app(workdir):
    from lms.demo import seed_demo

    app = create_app({"INSTANCE_PATH": str(workdir / "instance"), "SECRET_KEY": "screenshots",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'demo.sqlite'}"})  # fmt: skip
    with app.app_context():
        db.create_all()  # the models' own DDL hooks (search tables) run on create_all too
        seed_demo()
        db.session.commit()
    return app


def page_urls(app):
    """(name, who, path) for every main page, resolved from the demo data."""
    from flask import url_for

    from lms.models import Course, Lesson
    from lms.models.discussion import Thread

    with app.app_context(), app.test_request_context():
        course = db.session.scalar(select(Course).where(Course.slug == DEMO_COURSE))
        lesson = db.session.scalar(
            select(Lesson).where(Lesson.course_id == course.id, Lesson.pass_mark.is_not(None)).order_by(Lesson.id)
        ) or db.session.scalar(select(Lesson).where(Lesson.course_id == course.id).order_by(Lesson.id))
        thread = db.session.scalar(select(Thread).where(Thread.course_id == course.id).order_by(Thread.id))
        slug = course.slug
        return [
            ("home", None, url_for("main.index")),
            ("catalog", "learner", url_for("enrolment.catalog")),
            ("course-page", None, url_for("enrolment.course_page", slug=slug)),
            ("dashboard", "learner", url_for("main.index")),
            ("course-home", "learner", url_for("lessons.course_home", slug=slug)),
            ("lesson", "learner", url_for("lessons.lesson", slug=slug, lesson_id=lesson.id)),
            ("discussion-board", "learner", url_for("discussion.board", slug=slug)),
            ("discussion-thread", "learner", url_for("discussion.thread", slug=slug, thread_id=thread.id)),
            ("studio-editor", "instructor", url_for("studio.course", slug=slug)),
            ("studio-lesson-editor", "instructor", url_for("studio.edit_lesson", slug=slug, lesson_id=lesson.id)),
            ("analytics", "instructor", url_for("progress.analytics", slug=slug)),
        ]


def main():
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    OUT.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="lms-shots-"))
    app = build_app(workdir)
    urls = page_urls(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    password = app.config["DEMO_PASSWORD"]
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            for who in (None, "learner", "instructor"):
                for size_name, viewport in SIZES.items():
                    context = browser.new_context(viewport=viewport)
                    page = context.new_page()
                    if who:
                        page.goto(base + "/auth/login")
                        page.fill("#email", f"{who}@example.com")
                        page.fill("#password", password)
                        page.click("main button[type=submit]")
                        page.wait_for_url(lambda url: "/auth/login" not in url)
                    for name, needs, path in urls:
                        if needs != who:
                            continue
                        page.goto(base + path)
                        target = OUT / f"{name}-{size_name}.png"
                        # whole pages, but long phone pages stop after about three screens
                        height = min(page.evaluate("document.documentElement.scrollHeight"), MAX_HEIGHT[size_name])
                        page.screenshot(path=str(target), full_page=True,
                                        clip={"x": 0, "y": 0, "width": viewport["width"], "height": height})
                        print(f"saved {target.relative_to(ROOT)}")
                    context.close()
            browser.close()
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
