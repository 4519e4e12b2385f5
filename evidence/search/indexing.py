"""Keeping the search index in step with the records, in one place.

A session hook runs just before every commit, ahead of the audit hook (see
evidence.hooks), and reindexes the top-level records the audit log has noted
as touched or created in the transaction (audit.log.pending_changes) —
so every writer (services, views, CLI, the bulk import) is covered without
calling anything. Only those records are reindexed, plus the incidents that
show the names of a touched person, unit, place or violation type.

A document holds the normalised words of the record's evidence/1 form:
- incident: key, title, summary, violation labels, and the names and aliases
  of its place and of the units and persons involved;
- statement: pseudonym, text, translation, excerpts, interviewer. Never the
  witness's name: that would link a protected witness to the statement;
- person: key, name, aliases, notes; unit and place: key, name, aliases;
- source: key, title, publisher, author, notes; case: key, title, summary.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from evidence.audit.log import pending_changes
from evidence.core.records import Record, chunks
from evidence.db import insert_rows
from evidence.models import (
    Incident,
    IncidentViolation,
    Involvement,
    Person,
    Place,
    Unit,
    ViolationType,
)
from evidence.records.loading import load_records
from evidence.search.engine import engine_for
from evidence.search.models import SEARCHED, SearchDocument, SearchTerm
from evidence.search.normalise import keys


def _names(session: Session, model: Any, wanted: set[str] | None) -> dict[str, list[str]]:
    """Key -> [name, *aliases] of persons, units or places (all of them when wanted is None)."""
    stmt = select(model.key, model.name, model.aliases)
    if wanted is None:
        rows = session.execute(stmt).all()
    else:
        rows = []
        for chunk in chunks(sorted(wanted)):
            rows.extend(session.execute(stmt.where(model.key.in_(chunk))).all())
    return {key: [name, *(aliases or [])] for key, name, aliases in rows}


def _incident_texts(
    session: Session, records: Mapping[int, Record], everything: bool
) -> dict[int, list[Any]]:
    def wanted(field: str) -> set[str] | None:
        if everything:
            return None
        return {
            involvement[field]
            for record in records.values()
            for involvement in record["involvements"]
            if involvement[field]
        }

    places = _names(
        session, Place, None if everything else {r["place"] for r in records.values() if r["place"]}
    )
    units = _names(session, Unit, wanted("unit"))
    persons = _names(session, Person, wanted("person"))
    labels = dict(session.execute(select(ViolationType.key, ViolationType.label)).all())
    texts = {}
    for record_id, record in records.items():
        parts: list[Any] = [record["key"], record["title"], record["summary"]]
        parts += [labels.get(v, v) for v in record["violations"]]
        parts += places.get(record["place"], [])
        for involvement in record["involvements"]:
            parts += units.get(involvement["unit"], []) + persons.get(involvement["person"], [])
        texts[record_id] = parts
    return texts


def _plain_texts(entity: str, record: Record) -> list[Any]:
    if entity == "statement":
        excerpts = [link["excerpt"] for link in record["incidents"]]
        return [record["pseudonym"], record["text"], record["translation"], record["taken_by"]] + (
            excerpts
        )
    if entity in ("person", "unit", "place"):
        return [record["key"], record["name"], *record["aliases"], record.get("notes")]
    if entity == "source":
        fields = ("key", "title", "publisher", "author", "notes")
        return [record[field] for field in fields]
    return [record["key"], record["title"], record["summary"]]  # case


def documents(
    session: Session, entity: str, records: Mapping[int, Record], everything: bool = False
) -> list[dict[str, Any]]:
    """Rows of ``search_documents`` for these records (``everything``: all of the entity)."""
    if entity == "incident":
        texts = _incident_texts(session, records, everything)
    else:
        texts = {record_id: _plain_texts(entity, r) for record_id, r in records.items()}
    engine = engine_for(session)
    rows = []
    for record_id, record in records.items():
        words = keys(" ".join(part for part in texts[record_id] if part))
        document_id = engine.document_id(entity, record_id)
        rows.append(
            {
                **({} if document_id is None else {"id": document_id}),
                "entity": entity,
                "record_id": record_id,
                "terms": f" {' '.join(words)} ",
                "retracted": "retracted" in record,
            }
        )
    return rows


def _write(session: Session, rows: list[dict[str, Any]]) -> None:
    insert_rows(session.connection(), SearchDocument.__table__, rows)
    engine = engine_for(session)
    engine.add_documents(session, rows)
    engine.add_terms(session, {term for row in rows for term in row["terms"].split()})


def index_records(
    session: Session,
    ids: Mapping[str, Iterable[int]],
    states: Mapping[str, Mapping[int, Record]] | None = None,
) -> int:
    """Reindex these records (``states``: new records already in evidence/1 form).

    Records that no longer exist lose their document. Returns the number of
    documents written.
    """
    states = states or {}
    written = 0
    for entity in SEARCHED:
        reload = set(ids.get(entity, ()))
        known = {i: s for i, s in states.get(entity, {}).items() if i not in reload}
        if not reload and not known:
            continue
        records = {**known, **load_records(session, entity, sorted(reload))}
        for chunk in chunks(sorted(reload | set(known))):
            session.execute(
                delete(SearchDocument).where(
                    SearchDocument.entity == entity, SearchDocument.record_id.in_(chunk)
                )
            )
        rows = documents(session, entity, records)
        _write(session, rows)
        written += len(rows)
    return written


def incidents_naming(session: Session, ids: Mapping[str, Iterable[int]]) -> set[int]:
    """Incidents whose documents show a name of these persons, units, places or violation types."""
    links = (
        ("person", Involvement.incident_id, Involvement.person_id),
        ("unit", Involvement.incident_id, Involvement.unit_id),
        ("place", Incident.id, Incident.place_id),
        ("violation_type", IncidentViolation.incident_id, IncidentViolation.violation_type_id),
    )
    found: set[int] = set()
    for entity, incident_column, column in links:
        for chunk in chunks(sorted(ids.get(entity, ()))):
            found.update(session.scalars(select(incident_column).where(column.in_(chunk))))
    return found


def reindex(session: Session) -> dict[str, int]:
    """Rebuild the whole index from the records; returns documents per record type."""
    session.execute(delete(SearchDocument))
    session.execute(delete(SearchTerm))
    counts = {}
    for entity in SEARCHED:
        rows = documents(session, entity, load_records(session, entity), everything=True)
        _write(session, rows)
        counts[entity] = len(rows)
    return counts


def index_pending(session: Session) -> None:
    """Before the commit: index the records the transaction touched (see evidence.hooks)."""
    touched, created = pending_changes(session)
    if not any(entity in touched or entity in created for entity in (*SEARCHED, "violation_type")):
        return
    ids = {entity: set(touched.get(entity, ())) for entity in SEARCHED}
    ids["incident"] |= incidents_naming(session, touched)
    index_records(session, ids, created)
