"""The one place where user-written Markdown becomes HTML: markdown-it-py, then a bleach allow-list."""

import html
import math
import re
import threading
from functools import partial

import bleach
from bleach.linkifier import LinkifyFilter
from markdown_it import MarkdownIt
from markupsafe import Markup
from wtforms.validators import ValidationError

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "del", "s",
        "ul", "ol", "li", "a", "img", "code", "pre", "blockquote",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title"],
    "img": ["src", "alt", "title"],
    "code": ["class"],
    "th": ["style"],
    "td": ["style"],
    "ol": ["start"],
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
_ALIGN_STYLE = re.compile(r"^text-align:(left|right|center)$")

_markdown = MarkdownIt("commonmark", {"linkify": False, "html": True}).enable("table").enable("strikethrough")


def _below_the_page_title(state):
    """`# Heading` becomes an h2: every page that shows Markdown has its own h1 (the lesson, course or thread
    title), and a second one breaks the outline screen readers navigate by. ## and below stay as written."""
    for token in state.tokens:
        if token.tag == "h1" and token.type in ("heading_open", "heading_close"):
            token.tag = "h2"


_markdown.core.ruler.push("below_the_page_title", _below_the_page_title)


def _filter_attributes(tag, name, value):
    if name in ALLOWED_ATTRIBUTES.get(tag, ()):
        if name == "style":
            return bool(_ALIGN_STYLE.match(value.replace(" ", "")))
        if name == "class":
            return value.startswith("language-")
        if tag == "img" and name == "src":
            return is_allowed_image_source(value)
        return True
    return False


def is_allowed_image_source(value):
    """Images only from our own uploads or over https: no data:, no javascript:, and no other address on this
    site. A reader's browser fetches an image with the reader's cookies, so `<img src="/learn/.../lessons/8">`
    in a post would open that lesson as every reader (moving their resume point); and `/\\evil.example` is
    `//evil.example` to a browser."""
    if value.startswith("https://") and "\\" not in value:
        return True
    return bool(_UPLOAD_PATH.match(value)) and ".." not in value


_IMAGE_SOURCE = re.compile(r"""<img\b[^>]*?\ssrc\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""", re.IGNORECASE)


def plain_http_images(markdown_source):
    """The http:// addresses of the images in `markdown_source`: rendering drops them (is_allowed_image_source)."""
    rendered = _markdown.render(markdown_source or "")
    sources = (html.unescape(match.group(1).strip("\"'")).strip() for match in _IMAGE_SOURCE.finditer(rendered))
    return [source for source in sources if source.lower().startswith("http://")]


def images_shown(form, field):
    """A validator for Markdown fields: an image from a plain http:// address would vanish from the page without a
    word (browsers block it on an https site, and we drop it), so the author is told which one and what to do.
    Other dropped sources (data:, other pages of this site) are hostile rather than mistakes: bleach removes them."""
    source = field.data or ""
    # Rendering costs more than this look: Markdown images start with "![", HTML ones with "<img".
    dropped = plain_http_images(source) if "![" in source or "<img" in source.lower() else []
    if dropped:
        shown = dropped[0] if len(dropped[0]) <= 80 else dropped[0][:79] + "…"
        more = f" (and {len(dropped) - 1} more)" if len(dropped) > 1 else ""
        raise ValidationError(f"This image cannot be shown: {shown}{more}. Images need an https:// address: try "
                              "the same address with https://.")


# lms/studio/views.py serve_upload (a download, which changes nothing), after the site's path prefix if any.
_UPLOAD_PATH = re.compile(r"^(?:/[\w.~-]+)*/studio/files/[\w.-]+$")


def uploads_shown_as_images(sanitized_html: str) -> set[str]:
    """The stored names of the uploads that sanitized HTML (render_markdown's output) shows as images; a link to
    an upload is not an image shown."""
    sources = (html.unescape(match.group(1).strip("\"'")) for match in _IMAGE_SOURCE.finditer(sanitized_html or ""))
    return {source.rsplit("/", 1)[-1] for source in sources if _UPLOAD_PATH.match(source)}


class _AlignmentOnly:
    """bleach's CSS sanitizer, cut down to the one declaration we allow (table column alignment, checked first
    by _filter_attributes). bleach blanks every style when it has no CSS sanitizer, which dropped `|--:|`."""

    def sanitize_css(self, style):
        return style if _ALIGN_STYLE.match(style.replace(" ", "")) else ""


def _set_link_rel(rel):
    def callback(attrs, new=False):
        href = attrs.get((None, "href"), "")
        if href.startswith(("http://", "https://", "mailto:")):
            attrs[(None, "rel")] = rel
        return attrs

    return callback


def _cleaner(rel):
    """Sanitize, then turn bare URLs outside code into links, in one pass over the HTML. Linkifying the cleaned
    HTML in a second pass (bleach's Linker) escaped the text inside skipped <code> and <pre> once more, so
    learners read `print(&quot;hi&quot;)`."""
    linkify = partial(LinkifyFilter, callbacks=[_set_link_rel(rel)], skip_tags={"pre", "code"}, parse_email=False)
    return bleach.Cleaner(tags=ALLOWED_TAGS, attributes=_filter_attributes, protocols=ALLOWED_PROTOCOLS, strip=True,
                          strip_comments=True, filters=[linkify],
                          css_sanitizer=_AlignmentOnly())  # fmt: skip


# bleach's cleaners keep parser state while they work: one per thread (gunicorn's gthread workers run several).
_per_thread = threading.local()


def render_markdown(source: str, *, ugc: bool = False) -> Markup:
    """Render Markdown and sanitize it. Links get rel="nofollow noopener" (plus "ugc" for peer posts)."""
    cleaners = getattr(_per_thread, "cleaners", None)
    if cleaners is None:
        cleaners = _per_thread.cleaners = {flag: _cleaner("nofollow ugc noopener" if flag else "nofollow noopener")
                                           for flag in (False, True)}  # fmt: skip
    return Markup(cleaners[ugc].clean(_markdown.render(source or "")))


def estimate_minutes(markdown_source: str, video_minutes: int = 0) -> int:
    """About 200 words a minute, plus the video, never less than one minute."""
    words = len(re.findall(r"\w+", markdown_source or ""))
    return max(1, math.ceil(words / 200) + (video_minutes or 0))


def plain_text(markdown_source: str, limit: int = 200) -> str:
    """A short text excerpt of Markdown, for cards and notifications."""
    text = bleach.clean(_markdown.render(markdown_source or ""), tags=set(), strip=True)
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
