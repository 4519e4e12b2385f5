"""Messages that services raise in English and pages show in the reader's language.

A `Message` is the English text itself (a ``str``: comparisons, the CLI and logs see
plain English), and it also keeps the English template and the values that fill it, so
the web layer can translate the template and fill it again in the reader's language.
Services stay free of Flask: they only mark the text with ``message`` or
``plural_message``, which `make translations` extracts into the catalogs.

Values that are themselves messages (a kind of record: ``message("place")``) are
translated too; a `FieldName` value is the internal name of a form field, which a page
replaces with the label the reader sees beside that field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


class FieldName(str):
    """The internal name of a form field inside a message (``citations-0-source``)."""


class Message(str):
    """English text with the template and values it was made from (see the module's docstring).

    ``plural`` and ``count`` are set for a message whose wording depends on a number;
    ``english``, when given, is the text shown to English readers instead of the
    template filled in (a parser's own detailed words, which exist in English only).
    """

    template: str
    plural: str | None
    count: int | None
    values: Mapping[str, Any]
    english: str | None

    def __new__(
        cls,
        template: str,
        values: Mapping[str, Any] | None = None,
        *,
        plural: str | None = None,
        count: int | None = None,
        english: str | None = None,
    ) -> Message:
        values = dict(values or {})
        wording = template if plural is None or count == 1 else plural
        text = english if english is not None else (wording % values if values else wording)
        made = super().__new__(cls, text)
        made.template = template
        made.plural = plural
        made.count = count
        made.values = values
        made.english = english
        return made


def message(template: str, **values: Any) -> Message:
    """``template`` (English, with ``%(name)s`` placeholders) filled from ``values``,
    translatable where it is shown."""
    return Message(template, values)


def plural_message(singular: str, plural: str, count: int, **values: Any) -> Message:
    """A message about ``count`` things (``%(num)d`` in the templates), in the plural form
    the reader's language needs for that number."""
    return Message(singular, {"num": count, **values}, plural=plural, count=count)


def explained_message(english: str, template: str, **values: Any) -> Message:
    """``english`` for English readers, ``template`` translated for the others: for details
    that exist in English only (the date parser's exact complaint)."""
    return Message(template, values, english=english)


def plural_forms(singular: str, plural: str) -> tuple[str, str]:
    """Marks a singular and plural pair for the catalogs where it is defined (a table of
    wordings); ``counted`` makes the message once the number is known."""
    return singular, plural


def counted(forms: tuple[str, str], count: int, **values: Any) -> Message:
    """The ``plural_forms`` pair about ``count`` things, as ``plural_message`` makes it."""
    return plural_message(forms[0], forms[1], count, **values)


class Joined(str):
    """Messages listed in one line (``1 incident, 2 places``), each translated where shown."""

    parts: tuple[str, ...]
    separator: str

    def __new__(cls, parts: Iterable[str], separator: str = ", ") -> Joined:
        parts = tuple(parts)
        made = super().__new__(cls, separator.join(parts))
        made.parts = parts
        made.separator = separator
        return made

    def __reduce__(self) -> tuple[Any, ...]:
        # Copies and pickles are built from the parts, not from the joined text.
        return (Joined, (self.parts, self.separator))
