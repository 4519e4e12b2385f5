"""Places: create, update, retract; the place tree (ancestors, everything inside a place)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, literal, select
from sqlalchemy.orm import Session, raiseload, selectinload

from evidence.core.messages import FieldName, message
from evidence.core.validation import FieldErrors, check_choice, check_fields, clean_names
from evidence.places.models import Place
from evidence.records.editing import (
    Ref,
    apply_fields,
    clean_key,
    create,
    resolve,
    saving,
)
from evidence.vocabularies import PLACE_KINDS

PLACE_FIELDS = ("key", "name", "aliases", "kind", "parent", "lat", "lon")


def ancestor_ids(session: Session, place_id: int) -> list[int]:
    """The place's parent, grandparent, ... (one recursive query), nearest first."""
    tree = select(Place.parent_id.label("id"), Place.id.label("child"), literal(1).label("depth"))
    tree = tree.where(Place.id == place_id).cte("ancestors", recursive=True)
    step = select(Place.parent_id, Place.id, tree.c.depth + 1).join(tree, Place.id == tree.c.id)
    tree = tree.union(step.where(tree.c.depth < 1000))
    rows = session.execute(
        select(tree.c.id).where(tree.c.id.is_not(None)).order_by(tree.c.depth)
    ).scalars()
    return list(rows)


def subtree_ids(place_id: int) -> Select:
    """A SELECT of the ids of a place and every place inside it (a recursive CTE)."""
    tree = select(Place.id).where(Place.id == place_id).cte("subtree", recursive=True)
    tree = tree.union(select(Place.id).join(tree, Place.parent_id == tree.c.id))
    return select(tree.c.id)


def _is_own_ancestor(session: Session, place: Place | None, parent: Place | None) -> bool:
    if parent is None or place is None or place.id is None:
        return False
    return parent.id == place.id or place.id in ancestor_ids(session, parent.id)


def _clean(session: Session, fields: dict[str, Any], place: Place | None = None) -> dict[str, Any]:
    check_fields(fields, PLACE_FIELDS)
    errors = FieldErrors()
    values: dict[str, Any] = {}
    clean_names(errors, fields, values)
    if "kind" in fields:
        values["kind"] = check_choice(errors, "kind", fields["kind"], PLACE_KINDS)
    if "parent" in fields:
        parent = resolve(errors, session, Place, "parent", fields["parent"])
        if _is_own_ancestor(session, place, parent):
            errors.add(
                "parent",
                message("a place cannot lie inside itself or one of the places inside it"),
            )
        values["parent"] = parent
    for coordinate, limit in (("lat", 90), ("lon", 180)):
        if coordinate in fields:
            values[coordinate] = _coordinate(errors, coordinate, fields[coordinate], limit)
    clean_key(errors, session, Place, fields, values, place, "name")
    errors.raise_if_any()
    return values


def _coordinate(errors: FieldErrors, field: str, value: Any, limit: int) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        errors.add(field, message("%(field)s must be a number", field=FieldName(field)))
        return None
    if not -limit <= number <= limit:
        errors.add(
            field,
            message(
                "%(field)s must be between -%(limit)s and %(limit)s",
                field=FieldName(field),
                limit=limit,
            ),
        )
    return number


def create_place(
    session: Session,
    *,
    name: str,
    kind: str,
    key: str | None = None,
    aliases: Any = (),
    parent: Ref | None = None,
    lat: float | None = None,
    lon: float | None = None,
) -> Place:
    fields = dict(key=key, name=name, kind=kind, aliases=aliases, parent=parent, lat=lat, lon=lon)
    return create(session, Place(**_clean(session, fields)))


def update_place(session: Session, place: Place, expected_version: int, **fields: Any) -> Place:
    """Change the given fields (see PLACE_FIELDS); raises ValidationError or Conflict."""
    with saving(session, place, expected_version, fields):
        apply_fields(place, _clean(session, fields, place))
    return place


@dataclass
class PlaceDetail:
    place: Place
    ancestors: list[Place]  # nearest first
    children: list[Place]


def load_place(
    session: Session, place_id: int, *, include_retracted: bool = False
) -> PlaceDetail | None:
    place = session.scalar(
        select(Place)
        .where(Place.id == place_id)
        .options(selectinload(Place.children).raiseload("*"), raiseload(Place.parent))
    )
    if place is None:
        return None
    ids = ancestor_ids(session, place_id)
    found = {p.id: p for p in session.scalars(select(Place).where(Place.id.in_(ids)))}
    return PlaceDetail(
        place=place,
        ancestors=[found[i] for i in ids],
        children=sorted(
            (c for c in place.children if include_retracted or not c.is_retracted),
            key=lambda c: c.name.casefold(),
        ),
    )
