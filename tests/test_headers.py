"""Response headers on every response of every route (CSP without inline scripts, nosniff, Referrer-Policy,
no framing, HSTS only over HTTPS), and templates without inline scripts or event-handler attributes."""

import re
from pathlib import Path

import pytest

from tests.security_routes import app_routes, send
from tests.security_world import reset_world

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STATIC_JS = Path(__file__).resolve().parent.parent / "static" / "js"


def policy(header):
    """{"script-src": ["'self'"], ...} from a Content-Security-Policy header."""
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def assert_secure_headers(response, where, https=False):
    headers = response.headers
    csp = policy(headers.get("Content-Security-Policy", ""))
    scripts = csp.get("script-src", csp.get("default-src"))
    assert scripts, f"{where}: no script policy"
    assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "https:", "http:"} & set(scripts), where
    assert csp.get("object-src") == ["'none'"], where
    assert csp.get("frame-ancestors") == ["'none'"], where
    assert csp.get("base-uri") == ["'self'"], where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("Referrer-Policy") in ("strict-origin-when-cross-origin", "no-referrer", "same-origin"), where
    hsts = headers.get("Strict-Transport-Security")
    if https:
        assert hsts and int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 15552000, where
    else:
        assert hsts is None, f"{where}: HSTS over plain HTTP"


def test_every_route_answers_with_the_security_headers(app):
    world = reset_world()
    checked = 0
    for key in sorted(app_routes(app)):
        method = key.split(" ", 1)[0]
        # GETs by a visitor of each kind; writes only as an anonymous visitor (refused before any write).
        visitors = ("anonymous", "learner", "owner", "admin") if method == "GET" else ("anonymous",)
        for visitor in visitors:
            response, path = send(app, world, visitor, key)
            assert response.status_code < 500, (key, visitor, response.status_code)
            assert_secure_headers(response, f"{visitor} {key} {path}")
            checked += 1
    assert checked > 200


def test_error_pages_files_and_static_have_the_headers(app, client):
    world = reset_world()
    for path in ("/no-such-page", "/courses/no-such-course", "/learn/x/lessons/99999999999999",
                 "/static/css/app.css", "/static/js/app.js", "/healthz"):  # fmt: skip
        assert_secure_headers(client.get(path), path)
    assert_secure_headers(client.post("/healthz"), "405")
    upload = world.courses["A"].upload
    response, path = send(app, world, "owner", "GET studio.serve_upload")
    assert response.status_code == 200 and upload.stored_name in path
    assert_secure_headers(response, path)


def test_hsts_only_over_https(app):
    client = app.test_client()
    for path in ("/", "/courses/", "/auth/login", "/no-such-page"):
        assert_secure_headers(client.get(path, base_url="https://localhost"), path, https=True)
        assert_secure_headers(client.get(path), path, https=False)


@pytest.mark.parametrize("app_config", [{"PREFERRED_URL_SCHEME": "https"}])
def test_behind_https_the_cookies_are_secure(app, make_user):
    from tests.conftest import PASSWORD

    user = make_user()
    client = app.test_client()
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD, "remember": "y"},
                           base_url="https://localhost")  # fmt: skip
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies and all("Secure" in cookie and "HttpOnly" in cookie for cookie in cookies)


@pytest.mark.parametrize("app_config", [{"PROXY_FIX_X_FOR": 1}])
def test_behind_a_tls_proxy_the_app_knows_it_is_https(app, outbox):
    client = app.test_client()
    response = client.get("/auth/login", headers={"X-Forwarded-Proto": "https"})
    assert response.headers.get("Strict-Transport-Security"), "HSTS when the proxy says the visitor used HTTPS"
    assert "Strict-Transport-Security" not in client.get("/auth/login").headers
    client.post("/auth/register", headers={"X-Forwarded-Proto": "https"}, data={
        "display_name": "New", "email": "new@example.com", "password": "a long passphrase",
        "confirm": "a long passphrase"})  # fmt: skip
    assert "https://localhost/auth/register/confirm/" in outbox()[-1].get_content(), "links in mail are https"


def test_without_the_proxy_setting_x_forwarded_proto_is_ignored(app):
    response = app.test_client().get("/auth/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers


def _templates():
    return sorted(TEMPLATES.rglob("*.html"))


def test_templates_have_no_inline_scripts_or_event_handlers():
    assert len(_templates()) > 50
    problems = []
    for path in _templates():
        source = path.read_text()
        for match in re.finditer(r"<script\b[^>]*>", source, re.IGNORECASE):
            tag = match.group(0)
            if not re.search(r"""\bsrc=["']\{\{ url_for\('static', filename='js/[\w.-]+\.js'\) \}\}["']""", tag):
                problems.append(f"{path.name}: {tag}")
            closing = source.find("</script>", match.end())
            if source[match.end() : closing].strip():
                problems.append(f"{path.name}: inline script body")
        for match in re.finditer(r"<[a-zA-Z][^>]*?\son[a-z]+\s*=", source):
            problems.append(f"{path.name}: event handler in {match.group(0)[:80]}")
        for match in re.finditer(r"""(?:href|src|action)\s*=\s*["']\s*javascript:""", source, re.IGNORECASE):
            problems.append(f"{path.name}: javascript: URL {match.group(0)}")
        if re.search(r"<style\b", source, re.IGNORECASE):
            problems.append(f"{path.name}: <style> block (use the area's CSS file)")
    assert problems == []


def test_scripts_in_static_do_not_build_html_from_strings():
    """Our JS must not turn text into markup (innerHTML/outerHTML/insertAdjacentHTML/document.write/eval)."""
    problems = []
    for path in sorted(STATIC_JS.glob("*.js")):
        source = path.read_text()
        for pattern in (r"\.innerHTML\s*=", r"\.outerHTML\s*=", r"insertAdjacentHTML", r"document\.write",
                        r"\beval\(", r"new Function\("):  # fmt: skip
            if re.search(pattern, source):
                problems.append(f"{path.name}: {pattern}")
    assert problems == []
