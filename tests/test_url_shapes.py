"""Templates build URLs with lms.url_shapes.fast_url_for: it must give exactly what Flask's url_for gives, for
every route of the app and every mix of path and query values."""

import itertools

import pytest
from flask import url_for
from werkzeug.routing import AnyConverter, IntegerConverter

from lms.url_shapes import fast_url_for

SAMPLES = {int: [0, 7, 2_147_483_647], str: ["client-communication", "a", "x_y.z~1", "css/app.css"]}


def _values_for(rule):
    """Every combination of sample values for the rule's arguments, plus a query-string value."""
    names = sorted(rule.arguments)
    choices = []
    for name in names:
        converter = rule._converters[name]
        if isinstance(converter, IntegerConverter):
            choices.append(SAMPLES[int])
        elif isinstance(converter, AnyConverter):
            choices.append(sorted(converter.items))
        else:
            choices.append(SAMPLES[str])
    for combo in itertools.product(*choices):
        yield dict(zip(names, combo, strict=True))
        yield {**dict(zip(names, combo, strict=True)), "page": 2, "jump": "unread"}
        yield {**dict(zip(names, combo, strict=True)), "jump": None, "page": 3}  # None is left out, as in Flask


def test_same_urls_as_flask_for_every_route(app):
    checked = 0
    with app.test_request_context("/"):
        for rule in app.url_map.iter_rules():
            if rule.endpoint == "static":
                continue
            for values in _values_for(rule):
                assert fast_url_for(rule.endpoint, **values) == url_for(rule.endpoint, **values), (rule, values)
                assert fast_url_for(rule.endpoint, **values) == url_for(rule.endpoint, **values)  # from the memo
                checked += 1
    assert checked > 300


@pytest.mark.parametrize("values", [
    {"q": "rates & scope"},  # needs quoting
    {"q": "café"},
    {"next": "/courses/?a=1"},
    {"next": "/courses/negotiation/"},  # plain, with slashes: takes the memo, same URL
    {"page": None},  # dropped by Flask
    {"flag": True},
    {"_anchor": "post-3"},
])  # fmt: skip
def test_values_that_need_encoding_go_through_flask(app, values):
    with app.test_request_context("/"):
        assert fast_url_for("enrolment.catalog", **values) == url_for("enrolment.catalog", **values)


def test_none_values_share_the_shape_without_them(app):
    """The board links each thread with jump=None unless it has unread posts: that must not leave the memo."""
    with app.test_request_context("/"):
        url = fast_url_for("discussion.thread", slug="negotiation", thread_id=5, jump=None)
        assert url == url_for("discussion.thread", slug="negotiation", thread_id=5) == "/courses/negotiation/discussion/threads/5"
        shapes = app.extensions["lms.url_shapes"]
        assert ("", "discussion.thread", ("slug", "thread_id")) in shapes


def test_links_in_pages_keep_working(client, make_user, login):
    login(make_user())
    page = client.get("/courses/").get_data(as_text=True)
    assert 'href="/courses/"' in page or "href=\"/courses/?" in page
    assert client.get("/no-such-page").status_code == 404


def test_static_files_take_the_memo(app):
    """The layout links seven static files on every page."""
    with app.test_request_context("/"):
        assert fast_url_for("static", filename="css/app.css") == url_for("static", filename="css/app.css")
        assert ("", "static", ("filename",)) in app.extensions["lms.url_shapes"]


def test_outside_a_request_it_is_flasks_url_for(app):
    """Cron jobs render e-mails with only an app context: links there are absolute, as Flask builds them."""
    assert fast_url_for("enrolment.course_page", slug="client-communication") == url_for(
        "enrolment.course_page", slug="client-communication"
    )
    assert fast_url_for("enrolment.course_page", slug="x").startswith("http://localhost/")
