"""Cases: a lawyer's ordered selection of incidents."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, raiseload, selectinload

from evidence.actors.models import Membership, Person, Unit
from evidence.actors.services import unit_ancestor_ids
from evidence.cases.models import Case, CaseIncident
from evidence.core.messages import message
from evidence.core.records import Record, chunks
from evidence.core.validation import (
    FieldErrors,
    ValidationError,
    check_fields,
    clean_text,
    field_name,
    require_text,
)
from evidence.incidents.models import Incident, IncidentViolation, ViolationType
from evidence.places.models import Place
from evidence.records.editing import (
    Ref,
    apply_fields,
    clean_key,
    create,
    resolve,
    saving,
)
from evidence.records.loading import load_records
from evidence.sources.models import Source
from evidence.statements.models import StatementIncident

CASE_FIELDS = ("key", "title", "summary", "incidents")


def _clean(session: Session, fields: dict[str, Any], case: Case | None = None) -> dict[str, Any]:
    check_fields(fields, CASE_FIELDS)
    errors = FieldErrors()
    values: dict[str, Any] = {}
    if "title" in fields:
        values["title"] = require_text(errors, "title", fields["title"])
    if "summary" in fields:
        values["summary"] = clean_text(fields["summary"])
    if "incidents" in fields:
        values["incidents"] = _clean_incidents(errors, session, fields["incidents"] or ())
    clean_key(errors, session, Case, fields, values, case, "title")
    errors.raise_if_any()
    return values


def _clean_incidents(errors: FieldErrors, session: Session, refs: Sequence[Ref]) -> list[Incident]:
    incidents: list[Incident] = []
    for index, ref in enumerate(refs):
        incident = resolve(errors, session, Incident, field_name("incidents", index), ref)
        if incident is not None and incident not in incidents:
            incidents.append(incident)
    return incidents


def _apply(case: Case, values: dict[str, Any]) -> None:
    if "incidents" in values:
        # Keep the existing link rows (their primary key is case + incident) and renumber.
        existing = {link.incident_id: link for link in case.incident_links}
        links = []
        for position, incident in enumerate(values.pop("incidents")):
            link = existing.get(incident.id) or CaseIncident(incident=incident)
            link.position = position
            links.append(link)
        case.incident_links = links
    apply_fields(case, values)


def create_case(
    session: Session,
    *,
    title: str,
    key: str | None = None,
    summary: str | None = None,
    incidents: Sequence[Ref] = (),
) -> Case:
    """``incidents``: in the order the dossier presents them (records, ids or keys)."""
    values = _clean(session, dict(key=key, title=title, summary=summary, incidents=incidents))
    case = Case()
    with session.no_autoflush:
        _apply(case, values)
    return create(session, case)


def update_case(session: Session, case: Case, expected_version: int, **fields: Any) -> Case:
    """Change the given fields (see CASE_FIELDS; ``incidents`` sets the list and its order)."""
    with saving(session, case, expected_version, fields):
        _apply(case, _clean(session, fields, case))
    return case


def case_incident_ids(case: Case) -> list[int]:
    return [link.incident_id for link in case.incident_links]


def add_case_incident(
    session: Session, case: Case, incident: Ref, expected_version: int | None = None
) -> Case:
    """Append an incident to the case (nothing changes if it is already there)."""
    errors = FieldErrors()
    found = resolve(errors, session, Incident, "incident", incident, required=True)
    errors.raise_if_any()
    ids = case_incident_ids(case)
    if found.id in ids:
        return case
    return update_case(session, case, _version(case, expected_version), incidents=[*ids, found.id])


def remove_case_incident(
    session: Session, case: Case, incident: Ref, expected_version: int | None = None
) -> Case:
    errors = FieldErrors()
    found = resolve(errors, session, Incident, "incident", incident, required=True)
    errors.raise_if_any()
    ids = case_incident_ids(case)
    if found.id not in ids:
        raise ValidationError(
            {"incident": message('incident "%(key)s" is not in this case', key=found.key)}
        )
    remaining = [incident_id for incident_id in ids if incident_id != found.id]
    return update_case(session, case, _version(case, expected_version), incidents=remaining)


def move_case_incident(
    session: Session, case: Case, incident: Ref, offset: int, expected_version: int | None = None
) -> Case:
    """Move an incident ``offset`` places (-1 up, +1 down), stopping at either end."""
    errors = FieldErrors()
    found = resolve(errors, session, Incident, "incident", incident, required=True)
    errors.raise_if_any()
    ids = case_incident_ids(case)
    if found.id not in ids:
        raise ValidationError(
            {"incident": message('incident "%(key)s" is not in this case', key=found.key)}
        )
    ids.remove(found.id)
    new_position = max(0, min(len(ids), case_incident_ids(case).index(found.id) + offset))
    ids.insert(new_position, found.id)
    return update_case(session, case, _version(case, expected_version), incidents=ids)


def _version(case: Case, expected_version: int | None) -> int:
    return case.version if expected_version is None else expected_version


def load_case(session: Session, case_id: int) -> Case | None:
    """A case with its incidents in order (.incident with .place and violations loaded)."""
    return session.scalar(
        select(Case)
        .where(Case.id == case_id)
        .options(
            selectinload(Case.incident_links)
            .joinedload(CaseIncident.incident)
            .options(
                joinedload(Incident.place).raiseload("*"),
                selectinload(Incident.violation_links).joinedload(IncidentViolation.violation_type),
                raiseload("*"),
            ),
        )
    )


# --- the records a case reaches -----------------------------------------------------------


@dataclass
class CaseClosure:
    """A case and the records it reaches, as canonical records by entity and id."""

    case: Record
    incident_order: list[int]  # the case's incidents, in the case's order
    records: dict[str, dict[int, Record]]

    def id_of(self, entity: str, key: str) -> int:
        return self._ids(entity)[key]

    def _ids(self, entity: str) -> dict[str, int]:
        if entity not in self._by_key:
            self._by_key[entity] = {r["key"]: i for i, r in self.records[entity].items()}
        return self._by_key[entity]

    def __post_init__(self) -> None:
        self._by_key: dict[str, dict[str, int]] = {}


def case_closure(
    session: Session,
    case_id: int,
    *,
    keep_statement: Callable[[Record], bool] | None = None,
    chain_members: bool = False,
) -> CaseClosure:
    """What a case's dossier and its export are made of, loading only what the case reaches.

    The case's incidents; the statements about them (those ``keep_statement`` keeps); the
    places, violation types, units and persons (involved, witnesses) they name; with
    ``chain_members``, every person who held a post in an involved unit or a unit above
    it; the units those persons held posts in; every unit above any of these units; and
    every source cited along the way. A query or two per entity, whatever the archive's
    size.
    """
    case = load_records(session, "case", [case_id])[case_id]
    incident_order = list(
        session.scalars(
            select(CaseIncident.incident_id)
            .where(CaseIncident.case_id == case_id)
            .order_by(CaseIncident.position)
        )
    )
    incidents = load_records(session, "incident", incident_order)
    statement_ids = session.scalars(
        select(StatementIncident.statement_id).where(
            StatementIncident.incident_id.in_(incident_order or [-1])
        )
    )
    statements = {
        statement_id: record
        for statement_id, record in load_records(session, "statement", list(statement_ids)).items()
        if keep_statement is None or keep_statement(record)
    }
    involvements = [inv for record in incidents.values() for inv in record["involvements"]]
    involved_units = _ids_of(session, Unit, {inv["unit"] for inv in involvements})
    above = unit_ancestor_ids(session, involved_units)
    person_keys = {inv["person"] for inv in involvements}
    person_keys |= {s["witness"] for s in statements.values()}
    person_ids = _ids_of(session, Person, person_keys)
    if chain_members:
        person_ids |= set(
            session.scalars(
                select(Membership.person_id).where(
                    Membership.unit_id.in_(sorted(involved_units | above) or [-1])
                )
            )
        )
    persons = load_records(session, "person", person_ids)
    memberships = [m for person in persons.values() for m in person["memberships"]]
    post_units = _ids_of(session, Unit, {m["unit"] for m in memberships}) - involved_units - above
    unit_ids = involved_units | above | post_units | unit_ancestor_ids(session, post_units)

    citation_lists = [record["sources"] for record in incidents.values()]
    citation_lists += [inv["sources"] for inv in involvements]
    citation_lists += [m["sources"] for m in memberships]
    source_keys = {c["source"] for citations in citation_lists for c in citations}
    source_keys |= {s["source"] for s in statements.values()}
    violation_keys = {key for record in incidents.values() for key in record["violations"]}
    place_keys = {record["place"] for record in incidents.values()}
    return CaseClosure(
        case=case,
        incident_order=incident_order,
        records={
            "case": {case_id: case},
            "incident": incidents,
            "statement": statements,
            "person": persons,
            "unit": load_records(session, "unit", unit_ids),
            "source": load_records(session, "source", _ids_of(session, Source, source_keys)),
            "place": load_records(session, "place", _ids_of(session, Place, place_keys)),
            "violation_type": load_records(
                session, "violation_type", _ids_of(session, ViolationType, violation_keys)
            ),
        },
    )


def _ids_of(session: Session, model: Any, keys: Iterable[str | None]) -> set[int]:
    wanted = sorted(key for key in keys if key)
    ids: set[int] = set()
    for chunk in chunks(wanted):
        ids.update(session.scalars(select(model.id).where(model.key.in_(chunk))))
    return ids
