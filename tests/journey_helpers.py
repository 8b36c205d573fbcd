"""Helpers for the real-browser journeys, the phone-width checks and the axe-core accessibility scan:
the demo data seeded into a live server, the URL of every main page resolved from it, logging in, and
page checks (no sideways scrolling, a visible focus ring, headings in order)."""

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.extensions import db

AXE = Path(__file__).with_name("vendor") / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
DEMO_COURSE = "client-communication"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture
def patient_expect():
    """Other test runs share this 2-core machine: give assertions 15 s instead of Playwright's 5 s."""
    expect.set_options(timeout=15_000)
    yield
    expect.set_options(timeout=5_000)


def seed_demo_pages(app):
    """Seed the demo and return {name: (who, path)} for every main page, `who` being None (anonymous),
    "learner", "instructor" or "admin". A module of the demo course is made to open next week so the
    learner meets a locked lesson."""
    from flask import url_for

    from lms.demo import seed_demo
    from lms.models import Certificate, Course, Lesson, Module, User
    from lms.models.discussion import Thread

    with app.app_context():
        seed_demo()
        db.session.commit()
        course = db.session.scalar(select(Course).where(Course.slug == DEMO_COURSE))
        last_module = db.session.scalar(
            select(Module).where(Module.course_id == course.id).order_by(Module.position.desc()).limit(1)
        )
        last_module.opens_on = (last_module.opens_on or _today()) + timedelta(days=7)
        db.session.commit()
        lessons = list(db.session.scalars(
            select(Lesson).where(Lesson.course_id == course.id, Lesson.archived_at.is_(None)).order_by(Lesson.id)
        ))  # fmt: skip
        quiz = next(lesson for lesson in lessons if lesson.pass_mark is not None and lesson.module_id != last_module.id)
        locked = next(lesson for lesson in lessons if lesson.module_id == last_module.id)
        thread = db.session.scalar(select(Thread).where(Thread.course_id == course.id).order_by(Thread.id))
        learner = db.session.scalar(select(User).where(User.email == "learner@example.com"))
        certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == learner.id))
        from lms.models import Assignment

        assignment = db.session.scalar(select(Assignment).where(Assignment.course_id == course.id))
        slug = course.slug
        with app.test_request_context():
            pages = {
                "home": (None, url_for("main.index")),
                "register": (None, url_for("auth.register")),
                "login": (None, url_for("auth.login")),
                "catalog": (None, url_for("enrolment.catalog")),
                "course-page": (None, url_for("enrolment.course_page", slug=slug)),
                "certificate": (None, url_for("progress.verify_certificate", code=certificate.code)),
                "error-404": (None, "/no-such-page"),
                "dashboard": ("learner", url_for("main.index")),
                "catalog-learner": ("learner", url_for("enrolment.catalog")),
                "course-home": ("learner", url_for("lessons.course_home", slug=slug)),
                "lesson": ("learner", url_for("lessons.lesson", slug=slug, lesson_id=quiz.id)),
                "locked-lesson": ("learner", url_for("lessons.lesson", slug=slug, lesson_id=locked.id)),
                "certificates": ("learner", url_for("progress.certificates")),
                "board": ("learner", url_for("discussion.board", slug=slug)),
                "thread": ("learner", url_for("discussion.thread", slug=slug, thread_id=thread.id)),
                "new-thread": ("learner", url_for("discussion.new_thread", slug=slug)),
                "people": ("learner", url_for("peers.people", slug=slug)),
                "wishes": ("learner", url_for("peers.wishes")),
                "practice": ("learner", url_for("peers.practice", slug=slug, lesson_id=assignment.lesson_id)),
                "notifications": ("learner", url_for("notifications.index")),
                "profile": ("learner", url_for("auth.profile")),
                "studio": ("instructor", url_for("studio.index")),
                "studio-course": ("instructor", url_for("studio.course", slug=slug)),
                "studio-settings": ("instructor", url_for("studio.edit_course", slug=slug)),
                "lesson-editor": ("instructor", url_for("studio.edit_lesson", slug=slug, lesson_id=quiz.id)),
                "studio-preview": ("instructor", url_for("studio.preview", slug=slug)),
                "studio-preview-lesson": ("instructor",
                                          url_for("studio.preview_lesson", slug=slug, lesson_id=quiz.id)),
                "analytics": ("instructor", url_for("progress.analytics", slug=slug)),
                "roster": ("instructor", url_for("enrolment.roster", slug=slug)),
                "review-queue": ("instructor", url_for("peers.review_queue", slug=slug)),
                "admin-users": ("admin", url_for("admin.users")),
                "audit-log": ("admin", url_for("admin.audit_log")),
            }
        db.session.remove()
    return pages


def _today():
    from lms.database import utcnow

    return utcnow().date()


def demo_password(app):
    return app.config["DEMO_PASSWORD"]


def log_in(page, base, email, password):
    page.goto(base + "/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    # the log-out form exists once logged in (on a phone it sits inside the collapsed menu)
    expect(page.locator("form[action$='/auth/logout']")).to_be_attached()


def pages_by_visitor(browser, base, app, pages, viewport=DESKTOP):
    """Yield (name, page) after opening each page as its visitor, one browser context per visitor."""
    for who in (None, "learner", "instructor", "admin"):
        names = [name for name, (visitor, _) in pages.items() if visitor == who]
        if not names:
            continue
        # bypass_csp: the app's CSP (script-src 'self') would block axe's injected script tag
        context = browser.new_context(viewport=viewport, bypass_csp=True)
        page = context.new_page()
        if who:
            log_in(page, base, f"{who}@example.com", demo_password(app))
        try:
            for name in names:
                page.goto(base + pages[name][1])
                yield name, page
        finally:
            context.close()


def scrolls_sideways(page):
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


def focus_is_visible(page):
    """The focused element draws a focus indicator: an outline or a box-shadow ring."""
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            if (!el || el === document.body) return false;
            const s = getComputedStyle(el);
            const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
            return outline || (s.boxShadow && s.boxShadow !== 'none');
        }"""
    )


HEADING_CHECK = """() => {
    const shown = h => h.offsetParent !== null;
    const levels = [...document.querySelectorAll('main :is(h1, h2, h3, h4, h5, h6)')].filter(shown)
        .map(h => [Number(h.tagName[1]), h.textContent.trim().slice(0, 60)]);
    const problems = [];
    if (!levels.length || levels[0][0] !== 1) {
        problems.push('first heading is not an h1: ' + JSON.stringify(levels[0]));
    }
    const h1s = document.querySelectorAll('h1').length;
    if (h1s !== 1) problems.push(h1s + ' h1s');
    for (let i = 1; i < levels.length; i++) {
        const [level, text] = levels[i], previous = levels[i - 1][0];
        if (level > previous + 1) problems.push(`skips from h${previous} to h${level}: ${text}`);
    }
    return problems;
}"""


LANDMARK_CHECK = """() => {
    const problems = [];
    const labelled = el => el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
    const mains = document.querySelectorAll('main, [role=main]');
    if (mains.length !== 1) problems.push(mains.length + ' main landmarks');
    const navs = [...document.querySelectorAll('nav, [role=navigation]')];
    const unlabelledNavs = navs.filter(n => !labelled(n));
    if (navs.length > 1 && unlabelledNavs.length) problems.push(unlabelledNavs.length + ' unlabelled nav landmarks');
    const asides = [...document.querySelectorAll('aside')].filter(a => !labelled(a));
    if (asides.length > 1) problems.push(asides.length + ' unlabelled asides');
    document.querySelectorAll('img:not([alt])').forEach(img => problems.push('img without alt: ' + img.src));
    // pictures in written content (lessons, posts) carry meaning: they need a description, not alt=""
    document.querySelectorAll('.prose img[alt=""]')
        .forEach(img => problems.push('content img with empty alt: ' + img.src));
    // A td or th given another display (a flex box, say) stops being a cell: its borders leave its row's.
    document.querySelectorAll('table td, table th').forEach(cell => {
        const display = getComputedStyle(cell).display;
        if (display !== 'table-cell' && display !== 'none') problems.push('table cell shown as ' + display);
    });
    document.querySelectorAll('[aria-invalid=true]').forEach(el => {
        const ids = (el.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean);
        const described = ids.map(id => document.getElementById(id)).filter(Boolean);
        if (!described.some(d => d.classList.contains('error'))) {
            problems.push('invalid field without described error: ' + el.name);
        }
    });
    return problems;
}"""


# Rules outside the WCAG tags that are checked too, whatever their impact: two landmarks of one name (a section
# and its table's scroll region, say) leave a screen-reader user two identical stops in the landmark list.
AXE_EXTRA_RULES = ["landmark-unique"]


def axe_violations(page):
    """Serious and critical WCAG 2.1 A/AA violations on the page, and any of AXE_EXTRA_RULES, as readable lines."""
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """async ([tags, rules]) => [
            ...(await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations,
            ...(await axe.run(document, {runOnly: {type: 'rule', values: rules}})).violations,
        ]""",
        [AXE_TAGS, AXE_EXTRA_RULES],
    )
    lines = []
    for violation in violations:
        if violation["impact"] not in ("serious", "critical") and violation["id"] not in AXE_EXTRA_RULES:
            continue
        targets = "; ".join(", ".join(node["target"]) for node in violation["nodes"][:4])
        lines.append(f"{violation['id']} ({violation['impact']}, {len(violation['nodes'])}x): {targets}")
    return lines
