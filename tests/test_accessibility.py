"""Accessibility in Chromium: axe-core (tests/vendor/axe.min.js, WCAG 2.0/2.1 A and AA rules) on every main
page for anonymous visitors, the demo learner, instructor and admin: no serious or critical violations.
Also checked on every page: headings in order from one h1, one main landmark, labelled navigation,
images with alt text, and invalid fields pointing at their error text."""

import pytest
from playwright.sync_api import expect

from tests.journey_helpers import (  # noqa: F401  (patient_expect is a fixture)
    HEADING_CHECK,
    LANDMARK_CHECK,
    axe_violations,
    demo_password,
    log_in,
    patient_expect,
    pages_by_visitor,
    seed_demo_pages,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]


def test_every_main_page_passes_axe_and_structure_checks(live_server, browser):
    pages = seed_demo_pages(live_server.app)
    problems = {}
    seen = []
    for name, page in pages_by_visitor(browser, live_server.url, live_server.app, pages):
        seen.append(name)
        found = axe_violations(page)
        found += [f"headings: {p}" for p in page.evaluate(HEADING_CHECK)]
        found += [f"structure: {p}" for p in page.evaluate(LANDMARK_CHECK)]
        if found:
            problems[name] = found
    report = "\n".join(f"{name}:\n  " + "\n  ".join(lines) for name, lines in problems.items())
    print(report)
    assert seen == list(pages)
    assert not problems, report


def test_form_errors_are_announced_next_to_their_fields(live_server, browser):
    """Forms re-rendered with errors: each invalid field says so and points at its error text."""
    pages = seed_demo_pages(live_server.app)
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    base = live_server.url

    page.goto(base + "/auth/register")
    page.get_by_role("button", name="Create account").click()
    _assert_errors_described(page)

    log_in(page, base, "instructor@example.com", demo_password(live_server.app))
    page.goto(base + "/studio/courses/new")
    page.get_by_role("button", name="Create draft course").click()
    _assert_errors_described(page)

    page.goto(base + pages["lesson-editor"][1])
    page.get_by_label("Title", exact=True).fill("")
    page.get_by_role("button", name="Save lesson").click()
    _assert_errors_described(page)
    page.once("dialog", lambda dialog: dialog.accept())  # the refused edit is unsaved: logging out asks first
    page.get_by_role("button", name="Log out").click()

    log_in(page, base, "learner@example.com", demo_password(live_server.app))
    page.goto(base + pages["new-thread"][1])
    page.get_by_role("button", name="Post thread").click()
    _assert_errors_described(page)

    # An unanswered knowledge check: each question's group points at its own error.
    page.goto(base + pages["lesson"][1])
    page.locator(".quiz-form button[type=submit]").click()
    expect(page.locator(".quiz .form-errors")).to_be_visible()
    groups = page.locator("fieldset.question.field-error")
    assert groups.count() >= 1
    for i in range(groups.count()):
        error_id = groups.nth(i).get_attribute("aria-describedby")
        expect(page.locator(f"#{error_id}")).to_have_class("error")
    assert axe_violations(page) == []
    context.close()


def _assert_errors_described(page):
    expect(page.locator(".form-errors")).to_be_visible()
    invalid = page.locator("[aria-invalid=true]")
    assert invalid.count() >= 1
    assert page.evaluate(LANDMARK_CHECK) == []
    assert axe_violations(page) == []
