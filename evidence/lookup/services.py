"""Autocomplete: records whose name, title, key or alias contains what was typed."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evidence.core.matching import like_pattern
from evidence.core.messages import message
from evidence.core.validation import ValidationError
from evidence.models import Incident, Person, Place, Source, Unit
from evidence.search.folded_names import names_containing


@dataclass(frozen=True)
class Suggestion:
    """One autocomplete hit; ``id`` lets the web layer drop protected persons."""

    kind: str
    id: int
    key: str
    label: str
    aliases: tuple[str, ...]


AUTOCOMPLETE_KINDS = ("units", "persons", "places", "sources", "incidents")


def autocomplete(
    session: Session,
    kind: str,
    text: str,
    limit: int = 10,
    *,
    exclude_ids: Iterable[int] = (),
    hidden_ids: Callable[[type], Any] = lambda _model: None,
    include_retracted: bool = False,
) -> list[Suggestion]:
    """Records of ``kind`` whose name or title, key or any alias contains ``text``, except
    ``exclude_ids``; ``hidden_ids(model)`` gives a SELECT of ids to leave out (or None)."""

    text = (text or "").strip()
    if kind not in AUTOCOMPLETE_KINDS:
        raise ValidationError(
            {
                "kind": message(
                    "kind must be one of: %(choices)s", choices=", ".join(AUTOCOMPLETE_KINDS)
                )
            }
        )
    if not text:
        return []
    models = {"units": Unit, "persons": Person, "places": Place, "sources": Source}
    model = models.get(kind, Incident)
    titled = model in (Source, Incident)  # titled records have no aliases
    label = model.title if titled else model.name
    stmt = select(model).where(names_containing(session, model, text))
    exclude_ids = list(exclude_ids)
    if exclude_ids:
        stmt = stmt.where(model.id.not_in(exclude_ids))
    hidden = hidden_ids(model)
    if hidden is not None:
        stmt = stmt.where(model.id.not_in(hidden))
    if not include_retracted:
        stmt = stmt.where(model.retracted_at.is_(None))
    starts = label.ilike(like_pattern(text)[1:], "\\")
    stmt = stmt.order_by(starts.desc(), func.lower(label), model.id).limit(limit)
    return [
        Suggestion(
            kind=kind,
            id=record.id,
            key=record.key,
            label=getattr(record, label.key),
            aliases=tuple(getattr(record, "aliases", ())),
        )
        for record in session.scalars(stmt)
    ]
