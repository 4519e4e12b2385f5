"""Units (with parents over time), persons (with aliases) and their memberships in units."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Date,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session, joinedload, raiseload, selectinload

from evidence.actors.models import DatedLink, Membership, Person, Unit, UnitParent
from evidence.core.messages import FieldName, message
from evidence.core.validation import (
    FieldErrors,
    check_choice,
    check_fields,
    clean_names,
    clean_text,
    field_name,
)
from evidence.incidents.models import Incident, Involvement
from evidence.protection import names_in, neutral_witness_key
from evidence.records.editing import (
    apply_fields,
    check_date,
    clean_key,
    create,
    key_taken,
    resolve,
    saving,
)
from evidence.sources.models import Citation
from evidence.sources.services import build_citations, citations_blank, clean_citations
from evidence.statements.models import Statement, StatementIncident
from evidence.vocabularies import UNIT_KINDS

UNIT_FIELDS = ("key", "name", "aliases", "kind", "parents")
PERSON_FIELDS = ("key", "name", "aliases", "notes", "memberships")
PARENT_FIELDS = ("unit", "start", "end")
MEMBERSHIP_FIELDS = ("unit", "title", "start", "end", "citations")
MAX_DEPTH = 100  # guards the recursive queries should a cycle ever slip into the data


def _clean_period(errors: FieldErrors, prefix: str, index: int, item: Mapping) -> dict[str, Any]:
    """start/end as EDTF and the derived valid_from (earliest start) / valid_until (latest end)."""
    start_field, end_field = field_name(prefix, index, "start"), field_name(prefix, index, "end")
    start = check_date(errors, start_field, item.get("start"))
    end = check_date(errors, end_field, item.get("end"))
    valid_from = start.earliest if start else None
    valid_until = end.latest if end else None
    if valid_from and valid_until and valid_until < valid_from:
        errors.add(end_field, message("%(field)s is before the start", field=FieldName(end_field)))
    return {
        "start": clean_text(item.get("start")),
        "end": clean_text(item.get("end")),
        "valid_from": valid_from,
        "valid_until": valid_until,
    }


def _is_blank(item: Mapping[str, Any], names: Iterable[str]) -> bool:
    return all(not item.get(name) for name in names)


# --- units ------------------------------------------------------------------------------


def _ancestry(unit_ids: Sequence[int], held: ColumnElement[bool] | None = None) -> CTE:
    """A recursive CTE (origin, id, depth, position): every unit above each of ``unit_ids``,
    through parent links that satisfy ``held`` (any link when None)."""
    held = true() if held is None else held
    chain = select(
        UnitParent.unit_id.label("origin"),
        UnitParent.parent_id.label("id"),
        literal(1).label("depth"),
        UnitParent.position.label("position"),
    ).where(UnitParent.unit_id.in_(unit_ids), held)
    chain = chain.cte("unit_ancestry", recursive=True)
    step = select(chain.c.origin, UnitParent.parent_id, chain.c.depth + 1, UnitParent.position)
    step = step.join(chain, UnitParent.unit_id == chain.c.id)
    return chain.union(step.where(held, chain.c.depth < MAX_DEPTH))


def unit_ancestor_ids(session: Session, unit_ids: Iterable[int]) -> set[int]:
    """Every unit above any of ``unit_ids`` at any time (one recursive query)."""
    unit_ids = sorted(set(unit_ids))
    if not unit_ids:
        return set()
    chain = _ancestry(unit_ids)
    return set(session.scalars(select(chain.c.id).distinct()))


def units_under(unit_id: int) -> CTE:
    """A recursive CTE (id, since, until): the unit and every unit below it, with the span
    in which the whole chain of parent links up to ``unit_id`` held (None: open)."""
    tree = select(
        literal(unit_id).label("id"),
        cast(null(), Date).label("since"),
        cast(null(), Date).label("until"),
        literal(0).label("depth"),
    ).cte("units_under", recursive=True)
    since = case(
        (tree.c.since.is_(None), UnitParent.valid_from),
        (UnitParent.valid_from.is_(None), tree.c.since),
        (UnitParent.valid_from > tree.c.since, UnitParent.valid_from),
        else_=tree.c.since,
    )
    until = case(
        (tree.c.until.is_(None), UnitParent.valid_until),
        (UnitParent.valid_until.is_(None), tree.c.until),
        (UnitParent.valid_until < tree.c.until, UnitParent.valid_until),
        else_=tree.c.until,
    )
    step = (
        select(UnitParent.unit_id, since, until, tree.c.depth + 1)
        .join(tree, UnitParent.parent_id == tree.c.id)
        .where(tree.c.depth < MAX_DEPTH, or_(since.is_(None), until.is_(None), since <= until))
    )
    return tree.union(step)


def _is_own_ancestor(session: Session, unit: Unit | None, parent: Unit | None) -> bool:
    if parent is None or unit is None or unit.id is None:
        return False
    return parent.id == unit.id or unit.id in unit_ancestor_ids(session, [parent.id])


def _clean_unit(session: Session, fields: dict[str, Any], unit: Unit | None = None) -> dict:
    check_fields(fields, UNIT_FIELDS)
    errors = FieldErrors()
    values: dict[str, Any] = {}
    clean_names(errors, fields, values)
    if "kind" in fields:
        values["kind"] = check_choice(errors, "kind", fields["kind"], UNIT_KINDS)
    if "parents" in fields:
        values["parent_links"] = _clean_parents(errors, session, fields["parents"] or (), unit)
    clean_key(errors, session, Unit, fields, values, unit, "name")
    errors.raise_if_any()
    if "parent_links" in values:
        values["parent_links"] = _build_parent_links(values["parent_links"])
    return values


def _clean_parents(
    errors: FieldErrors, session: Session, parents: Sequence[Mapping], unit: Unit | None
) -> list[dict[str, Any]]:
    cleaned = []
    for index, item in enumerate(parents):
        check_fields(dict(item), PARENT_FIELDS)
        if _is_blank(item, PARENT_FIELDS):
            continue
        field = field_name("parents", index, "unit")
        parent = resolve(errors, session, Unit, field, item.get("unit"), required=True)
        if _is_own_ancestor(session, unit, parent):
            errors.add(
                field, message("a unit cannot be placed under itself or one of its sub-units")
            )
        cleaned.append({"parent": parent, **_clean_period(errors, "parents", index, item)})
    return cleaned


def _build_parent_links(cleaned: list[dict[str, Any]]) -> list[UnitParent]:
    return [UnitParent(position=index, **item) for index, item in enumerate(cleaned)]


def create_unit(
    session: Session,
    *,
    name: str,
    kind: str,
    key: str | None = None,
    aliases: Any = (),
    parents: Sequence[Mapping[str, Any]] = (),
) -> Unit:
    """``parents``: [{"unit": ref, "start": edtf|None, "end": edtf|None}]."""
    values = _clean_unit(
        session, dict(key=key, name=name, kind=kind, aliases=aliases, parents=parents)
    )
    return create(session, Unit(**values))


def update_unit(session: Session, unit: Unit, expected_version: int, **fields: Any) -> Unit:
    """Change the given fields (see UNIT_FIELDS; ``parents`` replaces the list)."""
    with saving(session, unit, expected_version, fields):
        apply_fields(unit, _clean_unit(session, fields, unit))
    return unit


# --- persons ----------------------------------------------------------------------------


def _clean_person(
    session: Session,
    fields: dict[str, Any],
    person: Person | None = None,
    *,
    protected_witness: bool = False,
) -> dict:
    check_fields(fields, PERSON_FIELDS)
    errors = FieldErrors()
    values: dict[str, Any] = {}
    clean_names(errors, fields, values)
    if "notes" in fields:
        values["notes"] = clean_text(fields["notes"])
    if "memberships" in fields:
        values["memberships"] = _clean_memberships(errors, session, fields["memberships"] or ())
    if protected_witness:
        fields = {**fields}
        _use_neutral_key(session, fields, values, person)
    clean_key(errors, session, Person, fields, values, person, "name")
    errors.raise_if_any()
    if "memberships" in values:
        values["memberships"] = _build_memberships(values["memberships"])
    return values


def _use_neutral_key(
    session: Session, fields: dict[str, Any], values: dict[str, Any], person: Person | None
) -> None:
    """A protected witness's key is never made from their name: an empty key, or one that
    names them (typed, filled in from the name by the form, or stored), becomes a neutral
    one (witness-7f3k). Keys show in addresses, exports and dossiers."""
    names = [
        values.get("name") or (person.name if person else ""),
        *(values.get("aliases") or (person.aliases if person else None) or []),
    ]
    key = clean_text(fields.get("key")) if "key" in fields else (person.key if person else None)
    if key is None or names_in(key, names):
        taken = key_taken(session, Person, person.id if person else None)
        fields["key"] = neutral_witness_key(taken)


def _clean_memberships(
    errors: FieldErrors, session: Session, memberships: Sequence[Mapping]
) -> list[dict[str, Any]]:
    cleaned = []
    for index, item in enumerate(memberships):
        check_fields(dict(item), MEMBERSHIP_FIELDS)
        if _is_blank(item, ("unit", "title", "start", "end")) and citations_blank(
            item.get("citations")
        ):
            continue
        field = field_name("memberships", index, "unit")
        unit = resolve(errors, session, Unit, field, item.get("unit"), required=True)
        citations = clean_citations(
            errors, session, field_name("memberships", index, "citations"), item.get("citations")
        )
        cleaned.append(
            {
                "unit": unit,
                "title": clean_text(item.get("title")),
                "citations": citations,
                **_clean_period(errors, "memberships", index, item),
            }
        )
    return cleaned


def _build_memberships(cleaned: list[dict[str, Any]]) -> list[Membership]:
    return [
        Membership(position=index, **{**item, "citations": build_citations(item["citations"])})
        for index, item in enumerate(cleaned)
    ]


def create_person(
    session: Session,
    *,
    name: str,
    key: str | None = None,
    aliases: Any = (),
    notes: str | None = None,
    memberships: Sequence[Mapping[str, Any]] = (),
    protected_witness: bool = False,
) -> Person:
    """``memberships``: [{"unit": ref, "title", "start", "end", "citations": [citation]}].

    ``protected_witness``: the person will give a protected statement, so an empty key
    becomes a neutral one (witness-7f3k), never one made from the name.
    """
    fields = dict(key=key, name=name, aliases=aliases, notes=notes, memberships=memberships)
    cleaned = _clean_person(session, fields, protected_witness=protected_witness)
    return create(session, Person(**cleaned))


def update_person(
    session: Session,
    person: Person,
    expected_version: int,
    *,
    protected_witness: bool = False,
    **fields: Any,
) -> Person:
    """Change the given fields (see PERSON_FIELDS; ``memberships`` replaces the list).
    ``protected_witness``: a stored key made from the name is replaced by a neutral one."""
    with saving(session, person, expected_version, fields):
        cleaned = _clean_person(session, fields, person, protected_witness=protected_witness)
        apply_fields(person, cleaned)
    return person


# --- queries ----------------------------------------------------------------------------


def _active_on(link: type[DatedLink], on: dt.date) -> Any:
    """The link may have held on ``on``: open or unknown ends count as holding."""
    return and_(
        or_(link.valid_from.is_(None), link.valid_from <= on),
        or_(link.valid_until.is_(None), link.valid_until >= on),
    )


def units_at(session: Session, unit_ids: Iterable[int], on: dt.date) -> dict[int, list[Unit]]:
    """Each unit's chain of command as at ``on``: its parents then, their parents, ...

    Nearest first; two queries whatever the number of units.
    """
    unit_ids = sorted(set(unit_ids))
    if not unit_ids:
        return {}
    chain = _ancestry(unit_ids, _active_on(UnitParent, on))
    rows = session.execute(
        select(chain.c.origin, chain.c.id).order_by(chain.c.origin, chain.c.depth, chain.c.position)
    ).all()
    parent_ids = {row.id for row in rows}
    units = {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(parent_ids)))}
    chains: dict[int, list[Unit]] = {unit_id: [] for unit_id in unit_ids}
    for origin, parent_id in rows:
        if units[parent_id] not in chains[origin]:
            chains[origin].append(units[parent_id])
    return chains


_CITATIONS = selectinload(Involvement.citations).joinedload(Citation.source)


@dataclass
class UnitDetail:
    unit: Unit
    parent_links: list[UnitParent]  # .parent loaded; parents over time
    child_links: list[UnitParent]  # .unit loaded; sub-units over time
    memberships: list[Membership]  # .person and .citations(.source) loaded; members over time
    involvements: list[Involvement]  # the latest ones, oldest first; .incident, .citations
    involvement_total: int  # all involvements of the unit


def load_unit(session: Session, unit_id: int, *, involvement_limit: int = 50) -> UnitDetail | None:
    """A unit with everything its page shows, in a fixed number of queries.

    Only the latest ``involvement_limit`` involvements are loaded (with their total), so
    the work stays the same for a unit with thousands of incidents.
    """
    unit = session.scalar(
        select(Unit)
        .where(Unit.id == unit_id)
        .options(
            selectinload(Unit.parent_links).joinedload(UnitParent.parent),
            selectinload(Unit.child_links).joinedload(UnitParent.unit),
            selectinload(Unit.memberships).options(
                joinedload(Membership.person),
                selectinload(Membership.citations).joinedload(Citation.source),
            ),
        )
    )
    if unit is None:
        return None
    total = session.scalar(
        select(func.count()).select_from(Involvement).where(Involvement.unit_id == unit_id)
    )
    latest = session.scalars(
        select(Involvement)
        .join(Incident, Incident.id == Involvement.incident_id)
        .where(Involvement.unit_id == unit_id)
        .options(joinedload(Involvement.incident).raiseload("*"), _CITATIONS)
        .order_by(Incident.earliest.desc(), Incident.id.desc(), Involvement.id.desc())
        .limit(involvement_limit)
    ).all()
    return UnitDetail(
        unit=unit,
        parent_links=sorted(unit.parent_links, key=_period_order),
        child_links=sorted(unit.child_links, key=_period_order),
        memberships=sorted(unit.memberships, key=_period_order),
        involvements=latest[::-1],
        involvement_total=total or 0,
    )


def _period_order(link: DatedLink) -> tuple[dt.date, int]:
    return (link.valid_from or dt.date.min, link.position)


@dataclass
class PersonDetail:
    person: Person
    memberships: list[Membership]  # posts over time; .unit and .citations(.source) loaded
    involvements: list[Involvement]  # .incident and .citations(.source) loaded
    statements: list[Statement]  # statements given as witness; .incident_links(.incident)


def load_person(session: Session, person_id: int) -> PersonDetail | None:
    """A person with everything their page shows (apply protection before showing it)."""
    person = session.scalar(
        select(Person)
        .where(Person.id == person_id)
        .options(
            selectinload(Person.memberships).options(
                joinedload(Membership.unit),
                selectinload(Membership.citations).joinedload(Citation.source),
            )
        )
    )
    if person is None:
        return None
    involvements = session.scalars(
        select(Involvement)
        .join(Incident, Incident.id == Involvement.incident_id)
        .where(Involvement.person_id == person_id)
        .options(joinedload(Involvement.incident).raiseload("*"), _CITATIONS)
        .order_by(Incident.earliest, Incident.id)
    ).all()
    statements = session.scalars(
        select(Statement)
        .where(Statement.witness_id == person_id)
        .options(
            selectinload(Statement.incident_links).joinedload(StatementIncident.incident),
            raiseload(Statement.witness),
        )
        .order_by(Statement.key)
    ).all()
    return PersonDetail(
        person=person,
        memberships=sorted(person.memberships, key=_period_order),
        involvements=list(involvements),
        statements=list(statements),
    )
