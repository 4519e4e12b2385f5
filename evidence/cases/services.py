"""Cases: a lawyer's ordered selection of incidents."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, raiseload, selectinload

from evidence.cases.models import Case, CaseIncident
from evidence.core.validation import (
    FieldErrors,
    ValidationError,
    check_fields,
    clean_text,
    field_name,
    require_text,
)
from evidence.incidents.models import Incident, IncidentViolation
from evidence.records.editing import (
    Ref,
    apply_fields,
    clean_key,
    create,
    resolve,
    restore,
    retract,
    saving,
)

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
        raise ValidationError({"incident": f'incident "{found.key}" is not in this case'})
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
        raise ValidationError({"incident": f'incident "{found.key}" is not in this case'})
    ids.remove(found.id)
    new_position = max(0, min(len(ids), case_incident_ids(case).index(found.id) + offset))
    ids.insert(new_position, found.id)
    return update_case(session, case, _version(case, expected_version), incidents=ids)


def _version(case: Case, expected_version: int | None) -> int:
    return case.version if expected_version is None else expected_version


retract_case = retract
restore_case = restore


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
