"""Validation errors and the cleaning of plain input values.

Every service validates all of its input before it changes anything, collects
the problems per form field in a `FieldErrors`, and raises one
`ValidationError`; so web forms, the CLI and scripts show the same messages
and nothing is written when any input is wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from evidence.core.messages import FieldName, message


class ValidationError(ValueError):
    """User input that breaks a rule; ``errors`` maps each form field to its message
    (a `Message`, so pages can show it in the reader's language).

    Field names of list items follow WTForms' FieldList naming
    (``involvements-0-unit``), so a form can show each message beside its field.
    """

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{field}: {message}" for field, message in self.errors.items()))


class FieldErrors(dict[str, str]):
    """Problems found so far, one message per field (the first one found wins)."""

    def add(self, field: str, message: str) -> None:
        self.setdefault(field, message)

    def raise_if_any(self) -> None:
        if self:
            raise ValidationError(self)


def field_name(*parts: str | int) -> str:
    """The WTForms name of a nested field: ("involvements", 0, "unit") -> involvements-0-unit."""
    return "-".join(str(part) for part in parts)


def clean_text(value: str | None) -> str | None:
    """Trimmed text, or None when nothing is left."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def require_text(errors: FieldErrors, field: str, value: str | None) -> str:
    cleaned = clean_text(value)
    if cleaned is None:
        errors.add(field, message("%(field)s is required", field=FieldName(field)))
        return ""
    return cleaned


def clean_names(errors: FieldErrors, fields: Mapping[str, Any], values: dict[str, Any]) -> None:
    """The ``name`` (required) and ``aliases`` of a place, unit or person, when given."""
    if "name" in fields:
        values["name"] = require_text(errors, "name", fields["name"])
    if "aliases" in fields:
        values["aliases"] = parse_aliases(fields["aliases"])


def parse_aliases(value: str | Iterable[str] | None) -> list[str]:
    """Aliases from a textarea (one per line) or a list: trimmed, without blanks or repeats."""
    if value is None:
        return []
    lines = value.splitlines() if isinstance(value, str) else value
    aliases: list[str] = []
    for line in lines:
        alias = line.strip()
        if alias and alias not in aliases:
            aliases.append(alias)
    return aliases


def check_choice(errors: FieldErrors, field: str, value: Any, allowed: Iterable[Any]) -> Any:
    allowed = list(allowed)
    if value not in allowed:
        choices = ", ".join(str(choice) for choice in allowed)
        errors.add(
            field,
            message(
                '%(field)s must be one of: %(choices)s (got "%(value)s")',
                field=FieldName(field),
                choices=choices,
                value=value,
            ),
        )
    return value


def check_fields(given: dict[str, Any], allowed: Sequence[str]) -> None:
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise TypeError(f"unknown field(s): {', '.join(unknown)}")
