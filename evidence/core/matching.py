"""Typed text as a LIKE pattern that matches it literally anywhere in a column."""

from __future__ import annotations


def like_pattern(text: str) -> str:
    escaped = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
