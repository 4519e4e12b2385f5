"""Records as plain data: the evidence/1 form of each top-level record.

This one representation serves the export, the audit log (its SHA-256 is the
record hash), `audit verify` and dossier manifests. Loading is batched: a fixed
number of SQL statements per entity, whatever the number of records.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.models import (
    Case,
    CaseIncident,
    CaseStatementExclusion,
    Citation,
    CustodyEvent,
    Exhibit,
    ExhibitLink,
    Incident,
    IncidentViolation,
    Involvement,
    Membership,
    Person,
    Place,
    Source,
    Statement,
    StatementIncident,
    Unit,
    UnitParent,
    User,
    ViolationType,
)
from evidence.records import iso_utc

Record = dict[str, Any]
CHUNK = 900


_CANONICAL_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(data: Any) -> bytes:
    """The byte form that hashes are computed over: sorted keys, no spaces, UTF-8."""
    # One encoder for every call: json.dumps with options builds a new one each time.
    return _CANONICAL_ENCODER.encode(data).encode()


def record_hash(record: Record) -> str:
    return hashlib.sha256(canonical_json(record)).hexdigest()


T = TypeVar("T")
# Rows per executemany batch, so a large import never builds one huge statement.
BATCH = 5000


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most ``size`` items (CHUNK stays below bound-parameter limits)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _rows(session: Session, stmt: Any, column: Any, ids: Sequence[int] | None) -> Iterable[Any]:
    """Run ``stmt`` for all rows, or for the rows whose ``column`` is in ``ids``."""
    if ids is None:
        return session.execute(stmt).all()
    rows: list[Any] = []
    for chunk in chunks(ids):
        rows.extend(session.execute(stmt.where(column.in_(chunk))).all())
    return rows


def _key_map(session: Session, model: Any) -> dict[int, str]:
    return dict(session.execute(select(model.id, model.key)).all())


def _retraction(row: Any) -> dict[str, Any] | None:
    if row.retracted_at is None:
        return None
    return {
        "at": iso_utc(row.retracted_at),
        "by": row.retracted_by,
        "reason": row.retraction_reason,
    }


def _finish(record: Record, row: Any) -> Record:
    retraction = _retraction(row)
    if retraction:
        record["retracted"] = retraction
    return record


def _citations_by_owner(
    session: Session, owner_column: Any, owner_ids: Sequence[int] | None, source_keys: dict
) -> dict[int, list[Record]]:
    stmt = select(
        owner_column,
        Citation.source_id,
        Citation.locator,
        Citation.quote,
        Citation.credibility,
    ).order_by(owner_column, Citation.position, Citation.id)
    if owner_ids is None:
        stmt = stmt.where(owner_column.is_not(None))
    found: dict[int, list[Record]] = defaultdict(list)
    for owner, source_id, locator, quote, credibility in _rows(
        session, stmt, owner_column, owner_ids
    ):
        found[owner].append(
            {
                "source": source_keys[source_id],
                "locator": locator,
                "quote": quote,
                "credibility": credibility,
            }
        )
    return found


def _violation_types(session: Session, ids: Sequence[int] | None) -> dict[int, Record]:
    stmt = select(ViolationType.__table__)
    return {
        v.id: _finish({"key": v.key, "label": v.label, "description": v.description}, v)
        for v in _rows(session, stmt, ViolationType.id, ids)
    }


def _places(session: Session, ids: Sequence[int] | None) -> dict[int, Record]:
    keys = _key_map(session, Place)
    return {
        p.id: _finish(
            {
                "key": p.key,
                "name": p.name,
                "aliases": list(p.aliases),
                "kind": p.kind,
                "parent": keys.get(p.parent_id) if p.parent_id else None,
                "lat": p.lat,
                "lon": p.lon,
            },
            p,
        )
        for p in _rows(session, select(Place.__table__), Place.id, ids)
    }


def _units(session: Session, ids: Sequence[int] | None) -> dict[int, Record]:
    keys = _key_map(session, Unit)
    parents: dict[int, list[Record]] = defaultdict(list)
    link_stmt = select(UnitParent.__table__).order_by(
        UnitParent.unit_id, UnitParent.position, UnitParent.id
    )
    for link in _rows(session, link_stmt, UnitParent.unit_id, ids):
        parents[link.unit_id].append(
            {"unit": keys[link.parent_id], "start": link.start, "end": link.end}
        )
    return {
        u.id: _finish(
            {
                "key": u.key,
                "name": u.name,
                "aliases": list(u.aliases),
                "kind": u.kind,
                "parents": parents.get(u.id, []),
            },
            u,
        )
        for u in _rows(session, select(Unit.__table__), Unit.id, ids)
    }


def _persons(session: Session, ids: Sequence[int] | None) -> dict[int, Record]:
    unit_keys = _key_map(session, Unit)
    source_keys = _key_map(session, Source)
    membership_stmt = select(Membership.__table__).order_by(
        Membership.person_id, Membership.position, Membership.id
    )
    memberships = list(_rows(session, membership_stmt, Membership.person_id, ids))
    citations = _citations_by_owner(
        session,
        Citation.membership_id,
        None if ids is None else [m.id for m in memberships],
        source_keys,
    )
    by_person: dict[int, list[Record]] = defaultdict(list)
    for m in memberships:
        by_person[m.person_id].append(
            {
                "unit": unit_keys[m.unit_id],
                "title": m.title,
                "start": m.start,
                "end": m.end,
                "sources": citations.get(m.id, []),
            }
        )
    return {
        p.id: _finish(
            {
                "key": p.key,
                "name": p.name,
                "aliases": list(p.aliases),
                "notes": p.notes,
                "memberships": by_person.get(p.id, []),
            },
            p,
        )
        for p in _rows(session, select(Person.__table__), Person.id, ids)
    }


def _sources(session: Session, ids: Sequence[int] | None) -> dict[int, Record]:
    return {
        s.id: _finish(
            {
                "key": s.key,
                "kind": s.kind,
                "title": s.title,
                "url": s.url,
                "publisher": s.publisher,
                "author": s.author,
                "published": s.published,
                "accessed": s.accessed.isoformat() if s.accessed else None,
                "language": s.language,
                "reliability": s.reliability,
                "notes": s.notes,
            },
            s,
        )
        for s in _rows(session, select(Source.__table__), Source.id, ids)
    }


def _incidents(session: Session, ids: Sequence[int] | None) -> dict[int, Record]:
    place_keys = _key_map(session, Place)
    unit_keys = _key_map(session, Unit)
    person_keys = _key_map(session, Person)
    source_keys = _key_map(session, Source)
    violation_keys = _key_map(session, ViolationType)

    violations: dict[int, list[str]] = defaultdict(list)
    violation_stmt = select(IncidentViolation.incident_id, IncidentViolation.violation_type_id)
    violation_stmt = violation_stmt.order_by(
        IncidentViolation.incident_id, IncidentViolation.position
    )
    for incident_id, type_id in _rows(session, violation_stmt, IncidentViolation.incident_id, ids):
        violations[incident_id].append(violation_keys[type_id])

    involvement_stmt = select(Involvement.__table__).order_by(
        Involvement.incident_id, Involvement.position, Involvement.id
    )
    involvements = list(_rows(session, involvement_stmt, Involvement.incident_id, ids))
    involvement_citations = _citations_by_owner(
        session,
        Citation.involvement_id,
        None if ids is None else [i.id for i in involvements],
        source_keys,
    )
    by_incident: dict[int, list[Record]] = defaultdict(list)
    for inv in involvements:
        by_incident[inv.incident_id].append(
            {
                "unit": unit_keys[inv.unit_id] if inv.unit_id else None,
                "person": person_keys[inv.person_id] if inv.person_id else None,
                "role": inv.role,
                "confidence": inv.confidence,
                "sources": involvement_citations.get(inv.id, []),
            }
        )
    incident_citations = _citations_by_owner(session, Citation.incident_id, ids, source_keys)
    return {
        i.id: _finish(
            {
                "key": i.key,
                "title": i.title,
                "date": i.date,
                "place": place_keys[i.place_id] if i.place_id else None,
                "violations": violations.get(i.id, []),
                "status": i.status,
                "summary": i.summary,
                "sources": incident_citations.get(i.id, []),
                "involvements": by_incident.get(i.id, []),
            },
            i,
        )
        for i in _rows(session, select(Incident.__table__), Incident.id, ids)
    }


def _statements(session: Session, ids: Sequence[int] | None) -> dict[int, Record]:
    person_keys = _key_map(session, Person)
    source_keys = _key_map(session, Source)
    incident_keys = _key_map(session, Incident)
    links: dict[int, list[Record]] = defaultdict(list)
    link_stmt = select(StatementIncident.__table__).order_by(
        StatementIncident.statement_id, StatementIncident.position, StatementIncident.id
    )
    for link in _rows(session, link_stmt, StatementIncident.statement_id, ids):
        links[link.statement_id].append(
            {"incident": incident_keys[link.incident_id], "excerpt": link.excerpt}
        )
    return {
        s.id: _finish(
            {
                "key": s.key,
                "witness": person_keys[s.witness_id] if s.witness_id else None,
                "pseudonym": s.pseudonym,
                "protection": s.protection,
                "taken": s.taken,
                "taken_by": s.taken_by,
                "language": s.language,
                "text": s.text,
                "translation": s.translation,
                "source": source_keys[s.source_id] if s.source_id else None,
                "incidents": links.get(s.id, []),
            },
            s,
        )
        for s in _rows(session, select(Statement.__table__), Statement.id, ids)
    }


def _cases(session: Session, ids: Sequence[int] | None) -> dict[int, Record]:
    incident_keys = _key_map(session, Incident)
    incidents: dict[int, list[str]] = defaultdict(list)
    link_stmt = select(CaseIncident.case_id, CaseIncident.incident_id).order_by(
        CaseIncident.case_id, CaseIncident.position
    )
    for case_id, incident_id in _rows(session, link_stmt, CaseIncident.case_id, ids):
        incidents[case_id].append(incident_keys[incident_id])
    statement_keys = _key_map(session, Statement)
    excluded: dict[int, list[str]] = defaultdict(list)
    exclusion_stmt = select(CaseStatementExclusion.case_id, CaseStatementExclusion.statement_id)
    for case_id, statement_id in _rows(
        session, exclusion_stmt, CaseStatementExclusion.case_id, ids
    ):
        excluded[case_id].append(statement_keys[statement_id])
    return {
        c.id: _finish(
            {
                "key": c.key,
                "title": c.title,
                "summary": c.summary,
                "incidents": incidents.get(c.id, []),
                # An extension of FORMAT.md, written only when a lawyer left
                # statements out of the case's dossiers.
                **({"excluded_statements": sorted(excluded[c.id])} if excluded.get(c.id) else {}),
            },
            c,
        )
        for c in _rows(session, select(Case.__table__), Case.id, ids)
    }


def _exhibits(session: Session, ids: Sequence[int] | None) -> dict[int, Record]:
    incident_keys = _key_map(session, Incident)
    statement_keys = _key_map(session, Statement)
    source_keys = _key_map(session, Source)
    links: dict[int, dict[str, list[str]]] = defaultdict(
        lambda: {"incidents": [], "statements": [], "sources": []}
    )
    link_stmt = select(ExhibitLink.__table__).order_by(
        ExhibitLink.exhibit_id, ExhibitLink.position, ExhibitLink.id
    )
    for link in _rows(session, link_stmt, ExhibitLink.exhibit_id, ids):
        target = links[link.exhibit_id]
        if link.incident_id:
            target["incidents"].append(incident_keys[link.incident_id])
        elif link.statement_id:
            target["statements"].append(statement_keys[link.statement_id])
        else:
            target["sources"].append(source_keys[link.source_id])
    custody: dict[int, list[Record]] = defaultdict(list)
    custody_stmt = select(CustodyEvent.__table__).order_by(
        CustodyEvent.exhibit_id, CustodyEvent.position, CustodyEvent.id
    )
    for event in _rows(session, custody_stmt, CustodyEvent.exhibit_id, ids):
        custody[event.exhibit_id].append(
            {"at": event.at, "action": event.action, "by": event.by, "note": event.note}
        )
    return {
        e.id: _finish(
            {
                "key": e.key,
                "sha256": e.sha256,
                "filename": e.filename,
                "media_type": e.media_type,
                "size": e.size,
                "acquired": e.acquired,
                "acquired_from": e.acquired_from,
                **links[e.id],
                "custody": custody.get(e.id, []),
            },
            e,
        )
        for e in _rows(session, select(Exhibit.__table__), Exhibit.id, ids)
    }


def _users(session: Session, ids: Sequence[int] | None) -> dict[int, Record]:
    # The audit log must show that a password changed without ever holding a
    # usable hash, so it records a digest of the argon2 hash instead.
    return {
        u.id: {
            "key": u.name,
            "role": u.role,
            "active": u.active,
            "password": hashlib.sha256(u.password_hash.encode()).hexdigest()[:16],
        }
        for u in _rows(session, select(User.__table__), User.id, ids)
    }


@dataclass(frozen=True)
class Entity:
    """A kind of top-level record: how it is named, stored and turned into data."""

    name: str
    section: str | None
    model: Any
    load: Callable[[Session, Sequence[int] | None], dict[int, Record]]


# In dependency order: a section refers only to sections above it (or itself).
ENTITIES: dict[str, Entity] = {
    entity.name: entity
    for entity in (
        Entity("violation_type", "violation_types", ViolationType, _violation_types),
        Entity("place", "places", Place, _places),
        Entity("source", "sources", Source, _sources),
        Entity("unit", "units", Unit, _units),
        Entity("person", "persons", Person, _persons),
        Entity("incident", "incidents", Incident, _incidents),
        Entity("statement", "statements", Statement, _statements),
        Entity("case", "cases", Case, _cases),
        Entity("exhibit", "exhibits", Exhibit, _exhibits),
        Entity("user", None, User, _users),
    )
}
SECTIONS: dict[str, Entity] = {e.section: e for e in ENTITIES.values() if e.section}
ENTITY_OF_MODEL: dict[type, Entity] = {e.model: e for e in ENTITIES.values()}


def load_records(
    session: Session, entity: str, ids: Sequence[int] | None = None
) -> dict[int, Record]:
    """Records of one entity by id: all of them, or those with the given ids."""
    return ENTITIES[entity].load(session, None if ids is None else sorted(set(ids)))
