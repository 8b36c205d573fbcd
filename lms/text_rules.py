"""Rules for the short texts that are shown inside other text: names, headlines, titles and skills.

A display name appears in greetings and certificate headings, a thread or course title in notifications ("X
replied in <title>"), in lists and in page titles. The forms share these filters and validators so that every
such field keeps to the same rules.
"""

import re
import unicodedata

from wtforms.validators import ValidationError

from lms.security import trimmed

# Marks, embeddings, overrides and isolates that change the direction of the text: in a name or title they
# would reverse the words shown around it (a greeting, "X replied to you"). Right-to-left names show rightly
# without them, and they mostly come along with pasted text, so they are dropped rather than refused. The
# migration that cleaned stored names and titles (b7e2f91c4d05) lists the same characters.
DIRECTION_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_DIRECTION_CONTROL = re.compile(f"[{DIRECTION_CONTROLS}]")
# Letters that draw as blank space (Hangul fillers, the blank Braille pattern).
_BLANK_LETTERS = frozenset("\u115f\u1160\u2800\u3164\uffa0")


def without_direction_controls(value):
    """A form filter: the text without direction controls (other values as they are)."""
    return _DIRECTION_CONTROL.sub("", value) if isinstance(value, str) else value


# For every one-line name, headline, title or skill list; trimmed last, as a removed control may have sat
# between blank characters and the end.
HEADING_FILTERS = [without_direction_controls, trimmed]


def clean_heading(text):
    """`text` as a form with HEADING_FILTERS would store it (for input that comes by another way, e.g. an import)."""
    for apply in HEADING_FILTERS:
        text = apply(text)
    return text


def no_control_characters(form, field):
    """A validator: no control characters other than line breaks and tabs."""
    if field.data and any(ord(ch) < 32 and ch not in "\r\n\t" for ch in field.data):
        raise ValidationError("Please remove control characters.")


def _shows_something(ch):
    # Separators (Z*), control and format characters (C*: zero-width spaces, soft hyphens...) and marks that only
    # combine with a letter (M*) show nothing on their own.
    return unicodedata.category(ch)[0] not in "ZCM" and ch not in _BLANK_LETTERS


def shows_something(text):
    return any(_shows_something(ch) for ch in text)


def visible(form, field):
    """A validator: at least one character that shows (a name of only blank letters would show as nothing)."""
    if field.data and not shows_something(field.data):
        raise ValidationError("Please use at least one visible letter, digit or sign.")
