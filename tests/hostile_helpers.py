"""Hostile-input helpers: an XSS payload corpus and an HTML checker that finds anything executable.

The checker parses with the standard library's html.parser (no new dependency) and reports every element or
attribute a browser could run: scripts that are not our own /static/js/ files, on* handlers, script-capable
URLs (javascript:, data:, vbscript: after unescaping and removing whitespace/control characters), frames
outside the allow-listed video hosts, srcdoc, <object>/<embed>/<base>/<meta http-equiv>, <style> blocks
and CSS expressions.
"""

import re
from html.parser import HTMLParser

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(1)">',
    "<body onload=alert(1)>",
    "<input onfocus=alert(1) autofocus>",
    '<a href="javascript:alert(1)">js</a>',
    "[md](javascript:alert(1))",
    "[md](JaVaScRiPt:alert(1))",
    "[md](&#106;avascript:alert(1))",
    "[md](&#x6A;&#x61;vascript&colon;alert(1))",
    "[md](java\tscript:alert(1))",
    '<a href="java\tscript:alert(1)">tab</a>',
    '<a href="jav&#x09;ascript:alert(1)">ent</a>',
    '<a href="java\nscript:alert(1)">nl</a>',
    '<a href=" &#14;  javascript:alert(1)">ctl</a>',
    "[md](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[md](vbscript:msgbox(1))",
    "![img](javascript:alert(1))",
    "![img](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
    "<svg><script>alert(1)</script></svg>",
    "<svg onload=alert(1)>",
    '<svg><a xlink:href="javascript:alert(1)"><text>svg</text></a></svg>',
    '<math><mi xlink:href="javascript:alert(1)">math</mi></math>',
    '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>',
    '<iframe src="javascript:alert(1)"></iframe>',
    "<style>*{background:url(javascript:alert(1))}</style>",
    '<p style="width:expression(alert(1))">css</p>',
    '<base href="javascript:alert(1)//">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<button formaction="javascript:alert(1)">go</button>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    "<<script>script>alert(1)<</script>/script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    '<a href="https://x.test" onclick="alert(1)">click</a>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "javascript:alert(1)",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
]

DANGEROUS_SCHEMES = ("javascript:", "data:", "vbscript:")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "srcset",
                  "cite", "longdesc", "ping", "manifest", "codebase", "dynsrc", "lowsrc"}  # fmt: skip
EMBED_HOSTS = ("https://www.youtube-nocookie.com/", "https://player.vimeo.com/")
FORBIDDEN_TAGS = {"object", "embed", "base", "applet", "frame", "frameset", "style", "portal"}
_SQUEEZE = re.compile(r"[\x00-\x20\x7f]+")


def normalized_url(value):
    """What a browser would treat as the scheme: entities already decoded by the parser, whitespace and
    control characters removed (browsers drop tabs and newlines inside URLs), lower case."""
    return _SQUEEZE.sub("", value or "").lower()


class ExecutableFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []

    def _flag(self, tag, message):
        self.problems.append(f"line {self.getpos()[0]} <{tag}>: {message}")

    def handle_starttag(self, tag, attrs):
        self._check(tag, attrs)

    def handle_startendtag(self, tag, attrs):
        self._check(tag, attrs)

    def _check(self, tag, attrs):
        values = dict(attrs)
        if tag == "script":
            src = values.get("src") or ""
            if not src.startswith("/static/js/"):
                self._flag(tag, f"script that is not one of ours (src={src!r})")
        if tag in FORBIDDEN_TAGS:
            self._flag(tag, "forbidden element")
        if tag == "link" and not (values.get("href") or "").startswith("/static/"):
            self._flag(tag, f"link to {values.get('href')!r}")
        if tag == "meta" and "http-equiv" in values:
            self._flag(tag, "meta http-equiv")
        if tag == "iframe":
            src = values.get("src") or ""
            if not src.startswith(EMBED_HOSTS):
                self._flag(tag, f"frame from a host that is not allow-listed: {src!r}")
            if "srcdoc" in values:
                self._flag(tag, "iframe srcdoc")
        if tag == "math":
            self._flag(tag, "MathML from user content")
        for name, value in attrs:
            if name.startswith("on"):
                self._flag(tag, f"event handler {name}={value!r}")
            if name in URL_ATTRIBUTES and normalized_url(value).startswith(DANGEROUS_SCHEMES):
                self._flag(tag, f"script-capable URL {name}={value!r}")
            if name == "style" and value and re.search(r"expression|javascript:|url\(", normalized_url(value)):
                self._flag(tag, f"style with script/URL: {value!r}")
            if name in ("srcdoc", "xmlns:xlink") and tag != "svg":
                self._flag(tag, f"{name} attribute")


def executable_parts(html):
    finder = ExecutableFinder()
    finder.feed(html)
    finder.close()
    return finder.problems


def assert_nothing_executable(html, where=""):
    problems = executable_parts(html)
    assert not problems, f"{where}: " + "; ".join(problems[:10])
