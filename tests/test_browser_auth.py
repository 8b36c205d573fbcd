"""In Chromium: register through the e-mailed link, log out, log in; screenshots at desktop and phone widths."""

import re

import pytest
from playwright.sync_api import expect

from lms.mail import read_outbox

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "timezone_id": "Pacific/Auckland"}  # a learner far from UTC


def test_register_logout_login(live_server, page, screenshot):
    base = live_server.url
    page.goto(base + "/")
    page.get_by_role("link", name="Sign up").click()
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    screenshot(page, "register-desktop")

    page.get_by_label("Display name").fill("Bea Browser")
    page.get_by_label("E-mail").fill("bea@example.com")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Repeat password").fill("short")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Use at least 10 characters")).to_be_visible()
    assert page.get_by_label("Password", exact=True).get_attribute("aria-invalid") == "true"

    page.get_by_label("Password", exact=True).fill("a long passphrase")
    page.get_by_label("Repeat password").fill("a long passphrase")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()

    [message] = read_outbox(live_server.app.config["MAIL_OUTBOX"])
    link = re.search(r"(/auth/register/confirm/\S+)", message.get_content()).group(1)
    page.goto(base + link)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_text("Welcome to Sparetime, Bea Browser!")).to_be_visible()

    page.get_by_role("link", name="Bea Browser").click()
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
    expect(page.get_by_label("Time zone")).to_have_value("Pacific/Auckland")  # the browser's, not UTC
    screenshot(page, "profile-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "profile-phone")
    page.set_viewport_size({"width": 1280, "height": 800})

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are logged out")).to_be_visible()

    page.goto(base + "/auth/login")
    screenshot(page, "login-desktop")
    page.get_by_label("E-mail").fill("bea@example.com")
    page.get_by_label("Password").fill("wrong password!")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("do not match an account")).to_be_visible()
    page.get_by_label("Password").fill("a long passphrase")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Welcome back, Bea Browser.")).to_be_visible()


def test_login_and_register_fit_a_phone(live_server, browser, screenshot):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    for path, name in [("/auth/login", "login-phone"), ("/auth/register", "register-phone")]:
        page.goto(live_server.url + path)
        screenshot(page, name)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_role("button", name="Menu").click()
    expect(page.locator("#site-nav").get_by_role("link", name="Log in")).to_be_visible()
    context.close()
