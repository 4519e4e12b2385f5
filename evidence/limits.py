"""Bounds on what users may send, in one place.

The web forms (evidence.web.input), the evidence/1 JSON Schema
(interchange/schema.json, whose maxLength values a test compares with these)
and the list and search pages all read their limits from here, so a field
accepts the same text wherever it is entered. Lengths count characters
(Unicode code points), not bytes.

This module imports nothing of ours but evidence.core, and nothing of Flask.
"""

from __future__ import annotations

import re

from evidence.core.keys import MAX_KEY_LENGTH

KEY = MAX_KEY_LENGTH
DATE = 64  # an EDTF date or interval, e.g. "2000-01-01/2001-12-31"
LANGUAGE = 35  # the longest BCP 47 tag in practical use
NAME = 500  # a name, title, label, pseudonym, locator, publisher, author, post ...
ALIASES = 100  # other spellings of one name
URL = 2000
FILENAME = 255
MEDIA_TYPE = 128
LONG_TEXT = 20_000  # a summary, description, note, quote, excerpt, reason
STATEMENT = 200_000  # a witness statement or its translation (a long interview)
MAPPING_NAME = 120  # the name a spreadsheet's column mapping is saved under

# Each text field, by the name it has in the forms and in the evidence/1 format.
TEXT_LIMITS: dict[str, int] = {
    "key": KEY,
    "save_as": MAPPING_NAME,
    "keep": NAME,  # merge: the kept record, typed by name or alias until its key is chosen
    "name": NAME,
    "title": NAME,
    "label": NAME,
    "pseudonym": NAME,
    "locator": NAME,
    "publisher": NAME,
    "author": NAME,
    "taken_by": NAME,
    "acquired_from": NAME,
    "by": NAME,
    "language": LANGUAGE,
    "url": URL,
    "filename": FILENAME,
    "media_type": MEDIA_TYPE,
    "date": DATE,
    "start": DATE,
    "end": DATE,
    "published": DATE,
    "accessed": DATE,
    "taken": DATE,
    "acquired": DATE,
    "at": DATE,
    # references to other records, typed or filled in by autocomplete
    "place": KEY,
    "parent": KEY,
    "unit": KEY,
    "person": KEY,
    "source": KEY,
    "incident": KEY,
    "statement": KEY,
    "witness": KEY,
    # several lines
    "aliases": ALIASES * (NAME + 1),
    "summary": LONG_TEXT,
    "description": LONG_TEXT,
    "notes": LONG_TEXT,
    "note": LONG_TEXT,
    "quote": LONG_TEXT,
    "excerpt": LONG_TEXT,
    "reason": LONG_TEXT,
    "acquired_how": LONG_TEXT,
    "text": STATEMENT,
    "translation": STATEMENT,
}
# Fields of several lines: they may hold line breaks and tabs; all others may not.
MULTILINE = frozenset(
    {
        "aliases",
        "summary",
        "description",
        "notes",
        "note",
        "quote",
        "excerpt",
        "reason",
        "acquired_how",
        "text",
        "translation",
    }
)

# Search: the words and characters of one query; each word costs index look-ups.
SEARCH_TERMS = 32
SEARCH_CHARACTERS = 500
# Pages of a list: far beyond any real list, small enough for any database integer.
MAX_PAGE = 1_000_000
# A request without a file upload: the longest statement and translation fit with room.
FORM_BYTES = 8 * 1024 * 1024


# Control characters (C0, DEL, C1): no database keeps NUL, and the others can hide or
# disguise text on a reader's screen. Tab and line breaks only in fields of several lines.
_REFUSED = {
    False: r"\u0000-\u001f\u007f-\u009f",
    True: r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f",
}
_FIND_REFUSED = {multiline: re.compile(f"[{ranges}]") for multiline, ranges in _REFUSED.items()}


def control_character(text: str, *, multiline: bool) -> str | None:
    """The first character a text field may not hold, as "U+0000", or None."""
    found = _FIND_REFUSED[multiline].search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def control_character_pattern(*, multiline: bool) -> str:
    """The JSON Schema ``pattern`` that holds when control_character() finds nothing."""
    return f"^[^{_REFUSED[multiline]}]*$"
