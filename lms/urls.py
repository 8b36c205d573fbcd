"""Redirect targets that never leave the site."""

from urllib.parse import urlsplit

from flask import request, url_for


def safe_next(target, default_endpoint="main.index"):
    """`target` if it is a path on this site, else the default page (no open redirects)."""
    if target:
        target = target.strip()
        parts = urlsplit(target)
        if (
            target.startswith("/")
            and not target.startswith("//")
            and "\\" not in target
            and not parts.scheme
            and not parts.netloc
            and not any(ord(ch) < 32 for ch in target)
        ):
            return target
    return url_for(default_endpoint)


def next_from_request(default_endpoint="main.index"):
    return safe_next(request.args.get("next") or request.form.get("next"), default_endpoint)
