"""Pages of query results for lists; render with ``pagination(page)`` from _macros.html."""

from __future__ import annotations

from typing import Any

from flask import request
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from evidence import limits
from evidence.core.pagination import Page

DEFAULT_PER_PAGE = 50


def page_number(argument: str = "page") -> int:
    """The requested page from the query string; anything unusable means page 1.

    Bounded by limits.MAX_PAGE, so no page number overflows a database integer;
    a page past the end shows the last page (see paginate).
    """
    value = request.args.get(argument, "1").strip()
    if not (value.isascii() and value.isdigit()):
        return 1
    if len(value) > len(str(limits.MAX_PAGE)):
        return limits.MAX_PAGE
    return min(max(int(value), 1), limits.MAX_PAGE)


def paginate(
    session: Session,
    stmt: Select[Any],
    number: int | None = None,
    per_page: int = DEFAULT_PER_PAGE,
    scalars: bool = True,
) -> Page[Any]:
    """Run ``stmt`` (which must have an ORDER BY) for one page, and count all its rows.

    Two queries. A page past the end is clamped to the last page.
    """
    number = page_number() if number is None else max(1, number)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    last = max(1, -(-total // per_page))
    number = min(number, last)
    limited = stmt.limit(per_page).offset((number - 1) * per_page)
    result = session.scalars(limited) if scalars else session.execute(limited)
    return Page(items=list(result.all()), number=number, per_page=per_page, total=total)
