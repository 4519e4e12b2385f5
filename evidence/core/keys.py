"""Record keys: the stable slugs of the evidence/1 format, and making one from a title."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

MAX_KEY_LENGTH = 80
KEY_PATTERN = r"^[a-z0-9][a-z0-9-]{0,79}$"
KEY_RE = re.compile(KEY_PATTERN)

_CYRILLIC_LETTERS = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіўєїґ"
_LATIN_SPELLINGS = (
    "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch ' y ' e yu ya i u ye yi g"
)
_CYRILLIC = dict(zip(_CYRILLIC_LETTERS, _LATIN_SPELLINGS.split(" "), strict=True))


def _ascii_words(text: str) -> str:
    text = "".join(_CYRILLIC.get(char, char) for char in text.lower()).replace("'", "")
    text = text.replace("ł", "l")  # Łacinka: the one letter NFKD leaves without an ASCII base
    text = unicodedata.normalize("NFKD", text)
    # A dash or symbol with no ASCII form parts words ("2000–2001"), it must not join them.
    text = "".join(c if c.isalnum() or unicodedata.combining(c) else " " for c in text)
    return text.encode("ascii", "ignore").decode()


def _cut_at_word(slug: str, length: int) -> str:
    """``slug`` shortened to ``length`` at most, after a whole word when it has more than one."""
    if len(slug) <= length:
        return slug
    boundary = slug[: length + 1].rfind("-")
    return slug[:boundary] if boundary > 0 else slug[:length]


def slugify_key(title: str, taken: Callable[[str], bool], fallback: str = "record") -> str:
    """A key matching KEY_PATTERN made from ``title`` (Cyrillic transliterated), unique by
    ``taken``: "Zhodino prison" -> "zhodino-prison", then "zhodino-prison-2", ..."""
    base = re.sub(r"[^a-z0-9]+", "-", _ascii_words(title)).strip("-") or fallback
    base = _cut_at_word(base, MAX_KEY_LENGTH)
    candidate, number = base, 1
    while taken(candidate):
        number += 1
        suffix = f"-{number}"
        candidate = _cut_at_word(base, MAX_KEY_LENGTH - len(suffix)) + suffix
    return candidate
