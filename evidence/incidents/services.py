"""Violation types and incidents: uncertain dates, place, violations, citations, involvements."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, true
from sqlalchemy.orm import Session, joinedload, raiseload, selectinload

from evidence.actors.models import Person, Unit
from evidence.actors.services import units_under
from evidence.core.messages import message
from evidence.core.pagination import Page
from evidence.core.validation import (
    FieldErrors,
    check_choice,
    check_fields,
    clean_text,
    field_name,
    require_text,
)
from evidence.incidents.models import Incident, IncidentViolation, Involvement, ViolationType
from evidence.places.models import Place
from evidence.places.services import subtree_ids
from evidence.records.editing import (
    apply_fields,
    check_date,
    clean_key,
    create,
    resolve,
    saving,
)
from evidence.search.folded_names import names_containing
from evidence.sources.models import Citation
from evidence.sources.services import build_citations, citations_blank, clean_citations
from evidence.statements.models import Statement, StatementIncident
from evidence.vocabularies import CONFIDENCE_LEVELS, INCIDENT_STATUSES, INVOLVEMENT_ROLES

VIOLATION_TYPE_FIELDS = ("key", "label", "description")
INCIDENT_FIELDS = (
    "key",
    "title",
    "date",
    "place",
    "violations",
    "status",
    "summary",
    "citations",
    "involvements",
)
INVOLVEMENT_FIELDS = ("unit", "person", "role", "confidence", "citations")


# --- violation types --------------------------------------------------------------------


def _clean_violation_type(
    session: Session, fields: dict[str, Any], violation_type: ViolationType | None = None
) -> dict[str, Any]:
    check_fields(fields, VIOLATION_TYPE_FIELDS)
    errors = FieldErrors()
    values: dict[str, Any] = {}
    if "label" in fields:
        values["label"] = require_text(errors, "label", fields["label"])
    if "description" in fields:
        values["description"] = clean_text(fields["description"])
    clean_key(errors, session, ViolationType, fields, values, violation_type, "label")
    errors.raise_if_any()
    return values


def create_violation_type(
    session: Session, *, label: str, key: str | None = None, description: str | None = None
) -> ViolationType:
    fields = dict(key=key, label=label, description=description)
    return create(session, ViolationType(**_clean_violation_type(session, fields)))


def update_violation_type(
    session: Session, violation_type: ViolationType, expected_version: int, **fields: Any
) -> ViolationType:
    with saving(session, violation_type, expected_version, fields):
        apply_fields(violation_type, _clean_violation_type(session, fields, violation_type))
    return violation_type


def violation_types(session: Session, *, include_retracted: bool = False) -> list[ViolationType]:
    """All violation types by label (for choice lists)."""
    stmt = select(ViolationType).order_by(ViolationType.label)
    if not include_retracted:
        stmt = stmt.where(ViolationType.retracted_at.is_(None))
    return list(session.scalars(stmt))


# --- incidents --------------------------------------------------------------------------


def _clean_incident(
    session: Session, fields: dict[str, Any], incident: Incident | None = None
) -> dict[str, Any]:
    check_fields(fields, INCIDENT_FIELDS)
    errors = FieldErrors()
    values: dict[str, Any] = {}
    if "title" in fields:
        values["title"] = require_text(errors, "title", fields["title"])
    if "date" in fields:
        bounds = check_date(errors, "date", fields["date"], required=True)
        values["date"] = clean_text(fields["date"])
        values["earliest"] = bounds.earliest if bounds else None
        values["latest"] = bounds.latest if bounds else None
    if "place" in fields:
        values["place"] = resolve(errors, session, Place, "place", fields["place"])
    if "violations" in fields:
        values["violations"] = _clean_violations(errors, session, fields["violations"] or ())
    if "status" in fields:
        values["status"] = check_choice(errors, "status", fields["status"], INCIDENT_STATUSES)
    if "summary" in fields:
        values["summary"] = clean_text(fields["summary"])
    if "citations" in fields:
        values["citations"] = clean_citations(errors, session, "citations", fields["citations"])
    if "involvements" in fields:
        values["involvements"] = _clean_involvements(errors, session, fields["involvements"] or ())
    clean_key(errors, session, Incident, fields, values, incident, "title")
    errors.raise_if_any()
    return values


def _clean_violations(
    errors: FieldErrors, session: Session, violations: Sequence[Any]
) -> list[ViolationType]:
    found: list[ViolationType] = []
    for index, ref in enumerate(violations):
        field = field_name("violations", index)
        violation_type = resolve(errors, session, ViolationType, field, ref)
        if violation_type is not None and violation_type not in found:
            found.append(violation_type)
    return found


def _clean_involvements(
    errors: FieldErrors, session: Session, involvements: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    cleaned = []
    for index, item in enumerate(involvements):
        check_fields(dict(item), INVOLVEMENT_FIELDS)
        if (
            not item.get("unit")
            and not item.get("person")
            and citations_blank(item.get("citations"))
        ):
            continue

        def name(part: str, index: int = index) -> str:
            return field_name("involvements", index, part)

        unit = resolve(errors, session, Unit, name("unit"), item.get("unit"))
        person = resolve(errors, session, Person, name("person"), item.get("person"))
        if clean_text(str(item.get("unit") or "")) and clean_text(str(item.get("person") or "")):
            errors.add(name("person"), message("choose either a unit or a person, not both"))
        elif not item.get("unit") and not item.get("person"):
            errors.add(name("unit"), message("choose a unit or a person"))
        cleaned.append(
            {
                "unit": unit,
                "person": person,
                "role": check_choice(errors, name("role"), item.get("role"), INVOLVEMENT_ROLES),
                "confidence": check_choice(
                    errors, name("confidence"), item.get("confidence"), CONFIDENCE_LEVELS
                ),
                "citations": clean_citations(
                    errors, session, name("citations"), item.get("citations")
                ),
            }
        )
    return cleaned


def _apply_incident(incident: Incident, values: dict[str, Any]) -> None:
    if "violations" in values:
        existing = {link.violation_type_id: link for link in incident.violation_links}
        links = []
        for position, violation_type in enumerate(values.pop("violations")):
            link = existing.get(violation_type.id) or IncidentViolation(
                violation_type=violation_type
            )
            link.position = position
            links.append(link)
        incident.violation_links = links
    if "citations" in values:
        incident.citations = build_citations(values.pop("citations"))
    if "involvements" in values:
        incident.involvements = [
            Involvement(
                position=position, **{**item, "citations": build_citations(item["citations"])}
            )
            for position, item in enumerate(values.pop("involvements"))
        ]
    apply_fields(incident, values)


def create_incident(
    session: Session,
    *,
    title: str,
    date: str,
    status: str = "alleged",
    key: str | None = None,
    place: Any = None,
    violations: Sequence[Any] = (),
    summary: str | None = None,
    citations: Sequence[Mapping[str, Any]] = (),
    involvements: Sequence[Mapping[str, Any]] = (),
) -> Incident:
    """References (place, violations, units, persons, sources) are records, ids or keys.

    ``citations``: [{"source", "locator", "quote", "credibility"}];
    ``involvements``: [{"unit"|"person", "role", "confidence", "citations"}].
    """
    fields = dict(
        key=key,
        title=title,
        date=date,
        place=place,
        violations=violations,
        status=status,
        summary=summary,
        citations=citations,
        involvements=involvements,
    )
    values = _clean_incident(session, fields)
    incident = Incident()
    with session.no_autoflush:
        _apply_incident(incident, values)
    return create(session, incident)


def update_incident(
    session: Session, incident: Incident, expected_version: int, **fields: Any
) -> Incident:
    """Change the given fields (see INCIDENT_FIELDS; list fields replace the list)."""
    with saving(session, incident, expected_version, fields):
        _apply_incident(incident, _clean_incident(session, fields, incident))
    return incident


# --- queries ----------------------------------------------------------------------------


@dataclass
class IncidentFilters:
    """What the incident list may be narrowed to; every field is optional."""

    date_from: dt.date | None = None  # uncertain dates match when they may overlap the range
    date_to: dt.date | None = None
    place: int | None = None  # a place id; places inside it match too
    # A unit id. Its sub-units match too, for incidents that may have happened while the
    # sub-unit was under it: every parent link on the way up may have held at some time
    # the incident may have taken place (unknown dates and open links count as holding).
    unit: int | None = None
    person: int | None = None
    violation_type: int | None = None
    status: str | None = None
    text: str | None = None  # title, or a name/alias of the place, a unit or a person
    include_retracted: bool = False
    # Persons whose names must not be matched by ``text`` (protected witnesses, per audience).
    hidden_person_ids: frozenset[int] = field(default_factory=frozenset)


def incident_conditions(session: Session, filters: IncidentFilters) -> list[ColumnElement[bool]]:
    """Conditions on ``Incident`` for the filters: the incident list's and the search's."""
    conditions: list[ColumnElement[bool]] = []
    if not filters.include_retracted:
        conditions.append(Incident.retracted_at.is_(None))
    if filters.date_from:
        conditions.append(or_(Incident.latest.is_(None), Incident.latest >= filters.date_from))
    if filters.date_to:
        conditions.append(or_(Incident.earliest.is_(None), Incident.earliest <= filters.date_to))
    if filters.place is not None:
        conditions.append(Incident.place_id.in_(subtree_ids(filters.place)))
    if filters.unit is not None:
        tree = units_under(filters.unit)
        conditions.append(
            exists()
            .where(Involvement.incident_id == Incident.id, Involvement.unit_id == tree.c.id)
            .where(_may_overlap(tree.c.since, tree.c.until))
        )
    if filters.person is not None:
        conditions.append(
            exists().where(
                Involvement.incident_id == Incident.id, Involvement.person_id == filters.person
            )
        )
    if filters.violation_type is not None:
        conditions.append(
            exists().where(
                IncidentViolation.incident_id == Incident.id,
                IncidentViolation.violation_type_id == filters.violation_type,
            )
        )
    if filters.status:
        conditions.append(Incident.status == filters.status)
    text = clean_text(filters.text)
    if text:
        conditions.append(_text_matches(session, text, filters.hidden_person_ids))
    return conditions


def _may_overlap(since: Any, until: Any) -> ColumnElement[bool]:
    """The incident's dates may overlap the span [since, until]; an unknown end is open."""
    earliest, latest = Incident.earliest, Incident.latest
    return and_(
        or_(since.is_(None), latest.is_(None), since <= latest),
        or_(until.is_(None), earliest.is_(None), until >= earliest),
    )


def _text_matches(session: Session, text: str, hidden_person_ids: frozenset[int]) -> Any:
    place_hit = exists().where(
        Place.id == Incident.place_id, names_containing(session, Place, text)
    )
    unit_hit = exists().where(
        Involvement.incident_id == Incident.id,
        Unit.id == Involvement.unit_id,
        names_containing(session, Unit, text),
    )
    person_hit = exists().where(
        Involvement.incident_id == Incident.id,
        Person.id == Involvement.person_id,
        Person.id.not_in(hidden_person_ids) if hidden_person_ids else true(),
        names_containing(session, Person, text),
    )
    return or_(names_containing(session, Incident, text), place_hit, unit_hit, person_hit)


def list_incidents(
    session: Session, filters: IncidentFilters | None = None, *, page: int = 1, per_page: int = 50
) -> Page[Incident]:
    """One page of incidents (newest first) with .place and .violation_links loaded.

    Three queries whatever the page size: the count, the page, its violations.
    """
    filters = filters or IncidentFilters()
    page, per_page = max(1, page), max(1, min(per_page, 500))
    conditions = incident_conditions(session, filters)
    total = session.scalar(select(func.count()).select_from(Incident).where(*conditions)) or 0
    page = min(page, max(1, -(-total // per_page)))  # past the end: the last page
    items = session.scalars(
        select(Incident)
        .where(*conditions)
        .options(
            joinedload(Incident.place).raiseload("*"),
            selectinload(Incident.violation_links).joinedload(IncidentViolation.violation_type),
            raiseload("*"),
        )
        .order_by(Incident.earliest.is_(None), Incident.earliest.desc(), Incident.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(items=list(items), number=page, per_page=per_page, total=total)


def citation_counts(session: Session, incident_ids: Sequence[int]) -> dict[int, int]:
    """How many citations support each incident, its own and its involvements' (two queries).

    Zero flags an unsourced incident.
    """
    counts = dict.fromkeys(incident_ids, 0)
    if not incident_ids:
        return counts
    own = select(Citation.incident_id, func.count()).where(Citation.incident_id.in_(incident_ids))
    via = (
        select(Involvement.incident_id, func.count())
        .join(Citation, Citation.involvement_id == Involvement.id)
        .where(Involvement.incident_id.in_(incident_ids))
    )
    for stmt, column in ((own, Citation.incident_id), (via, Involvement.incident_id)):
        for incident_id, count in session.execute(stmt.group_by(column)):
            counts[incident_id] += count
    return counts


@dataclass
class IncidentDetail:
    incident: Incident  # .place, .violation_links, .citations, .involvements all loaded
    statement_links: list[StatementIncident]  # excerpts; .statement(.witness, .source) loaded


_CITED = selectinload(Incident.citations).joinedload(Citation.source).raiseload("*")


def load_incident(session: Session, incident_id: int) -> IncidentDetail | None:
    """An incident with everything its page shows, in a fixed number of queries.

    Apply the protection filter to the statements' witnesses before showing them.
    """
    incident = session.scalar(
        select(Incident)
        .where(Incident.id == incident_id)
        .options(
            joinedload(Incident.place).raiseload("*"),
            selectinload(Incident.violation_links).joinedload(IncidentViolation.violation_type),
            _CITED,
            selectinload(Incident.involvements).options(
                joinedload(Involvement.unit).raiseload("*"),
                joinedload(Involvement.person).raiseload("*"),
                selectinload(Involvement.citations).joinedload(Citation.source).raiseload("*"),
                raiseload("*"),
            ),
            raiseload("*"),
        )
    )
    if incident is None:
        return None
    links = session.scalars(
        select(StatementIncident)
        .join(Statement, Statement.id == StatementIncident.statement_id)
        .where(StatementIncident.incident_id == incident_id)
        .options(
            joinedload(StatementIncident.statement).options(
                joinedload(Statement.witness).raiseload("*"),
                joinedload(Statement.source).raiseload("*"),
                raiseload("*"),
            ),
            raiseload("*"),
        )
        .order_by(Statement.key, StatementIncident.position)
    ).all()
    return IncidentDetail(incident=incident, statement_links=list(links))
