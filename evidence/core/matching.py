"""Matching typed text against names and their aliases in SQL, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, cast, exists, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement


def like_pattern(text: str) -> str:
    escaped = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def names_match(session: Session, name: Any, aliases: Any, text: str) -> ColumnElement[bool]:
    """``name`` or any element of the JSON list ``aliases`` contains ``text`` (any case).

    Aliases are matched element by element because the JSON text escapes
    non-ASCII letters. SQLite folds only ASCII case; PostgreSQL folds all.
    """
    pattern = like_pattern(text)
    if session.get_bind().dialect.name == "postgresql":
        elements = func.json_array_elements_text(aliases).table_valued("value")
    else:
        elements = func.json_each(aliases).table_valued("value")
    alias_hit = exists(
        select(1).select_from(elements).where(cast(elements.c.value, String).ilike(pattern, "\\"))
    )
    return or_(name.ilike(pattern, "\\"), alias_hit)
