"""What the dashboard shows: record counts, recent changes, facts without sources.

A fixed number of queries whatever the size of the archive. Protection is
applied here, so the template only prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, joinedload

from evidence.audit.models import AuditEntry
from evidence.models import (
    Case,
    Citation,
    Exhibit,
    Incident,
    Involvement,
    Membership,
    Person,
    Place,
    Source,
    Statement,
    Unit,
)
from evidence.protection import Protection
from evidence.web.navigation import record_url

COUNTED = (
    ("Incidents", "incidents", Incident),
    ("Statements", "statements", Statement),
    ("Sources", "sources", Source),
    ("Units", "units", Unit),
    ("Persons", "persons", Person),
    ("Places", "places", Place),
    ("Cases", "cases", Case),
    ("Exhibits", "exhibits", Exhibit),
)
RECENT_LIMIT = 15
UNSOURCED_LIMIT = 10


@dataclass(frozen=True)
class Count:
    label: str
    section: str
    count: int


def record_counts(session: Session, protection: Protection) -> list[Count]:
    """Records in use (not retracted) per type, in one query; hidden statements not counted."""
    columns = []
    for _label, _section, model in COUNTED:
        count = select(func.count()).select_from(model).where(model.retracted_at.is_(None))
        if model is Statement and protection.audience == "public":
            count = count.where(Statement.protection != "confidential")
        columns.append(count.scalar_subquery())
    values = session.execute(select(*columns)).one()
    return [
        Count(label, section, value)
        for (label, section, _model), value in zip(COUNTED, values, strict=True)
    ]


@dataclass(frozen=True)
class Change:
    """One line of "recent changes", already reduced to what the audience may see."""

    at: str
    actor: str
    action: str
    entity: str
    label: str
    url: str | None
    fields: list[str] = field(default_factory=list)


def recent_changes(
    session: Session, protection: Protection, limit: int = RECENT_LIMIT
) -> list[Change]:
    """The newest record changes (accounts excluded), newest first.

    The internal audience also sees which fields changed. Other audiences see
    only entity, key, action, actor and time; keys are scrubbed of protected
    names (and then not linked), and changes to statements they may not see
    are left out.
    """
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.entity.is_not(None), AuditEntry.entity != "user")
        .order_by(AuditEntry.seq.desc())
        .limit(limit)
    )
    entries = list(session.scalars(stmt))
    hidden = _hidden_statement_ids(session, protection, entries)
    changes = []
    for entry in entries:
        if entry.entity == "statement" and entry.record_id in hidden:
            continue
        key = entry.record_key or ""
        label = _protected_key(protection, entry, key)
        changes.append(
            Change(
                at=entry.at,
                actor=entry.actor,
                action=entry.action,
                entity=entry.entity or "",
                label=label,
                url=record_url(entry.entity or "", key) if label == key else None,
                fields=sorted(entry.changes) if protection.is_internal else [],
            )
        )
    return changes


def _protected_key(protection: Protection, entry: AuditEntry, key: str) -> str:
    if entry.entity == "person" and entry.record_id in protection.pseudonyms:
        return protection.pseudonyms[entry.record_id]
    return protection.scrub(key) or key


def _hidden_statement_ids(
    session: Session, protection: Protection, entries: list[AuditEntry]
) -> set[int]:
    ids = [e.record_id for e in entries if e.entity == "statement" and e.record_id]
    if not ids or protection.is_internal:
        return set()
    stmt = select(Statement).where(Statement.id.in_(ids))
    visible = {s.id for s in session.scalars(stmt) if protection.statement_visible(s)}
    return set(ids) - visible


@dataclass(frozen=True)
class Unsourced:
    """Facts of one kind that cite no source: how many, and the first few as links."""

    title: str
    total: int
    items: list[tuple[str, str | None]]  # (label, url)


def unsourced_facts(
    session: Session, protection: Protection, limit: int = UNSOURCED_LIMIT
) -> list[Unsourced]:
    """Incidents, involvements and memberships without a citation (retracted ones ignored)."""
    return [
        _unsourced_incidents(session, protection, limit),
        _unsourced_involvements(session, protection, limit),
        _unsourced_memberships(session, protection, limit),
    ]


def _total(session: Session, stmt: Any) -> int:
    return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def _unsourced_incidents(session: Session, protection: Protection, limit: int) -> Unsourced:
    uncited = ~exists().where(Citation.incident_id == Incident.id)
    stmt = (
        select(Incident)
        .where(Incident.retracted_at.is_(None), uncited)
        .order_by(Incident.id.desc())
    )
    items = [
        (protection.scrub(incident.title) or "", record_url("incident", incident.key))
        for incident in session.scalars(stmt.limit(limit))
    ]
    return Unsourced("Incidents without a source", _total(session, stmt), items)


def _unsourced_involvements(session: Session, protection: Protection, limit: int) -> Unsourced:
    uncited = ~exists().where(Citation.involvement_id == Involvement.id)
    stmt = (
        select(Involvement)
        .join(Involvement.incident)
        .where(Incident.retracted_at.is_(None), uncited)
        .order_by(Involvement.id.desc())
    )
    loaded = stmt.options(
        joinedload(Involvement.incident),
        joinedload(Involvement.unit),
        joinedload(Involvement.person),
    )
    items = []
    for involvement in session.scalars(loaded.limit(limit)):
        actor = involvement.unit.name if involvement.unit else ""
        if involvement.person is not None:
            actor = protection.person_label(involvement.person)
        incident = involvement.incident
        label = f"{actor} — {involvement.role} in {protection.scrub(incident.title)}"
        items.append((label, record_url("incident", incident.key)))
    return Unsourced("Involvements without a source", _total(session, stmt), items)


def _unsourced_memberships(session: Session, protection: Protection, limit: int) -> Unsourced:
    uncited = ~exists().where(Citation.membership_id == Membership.id)
    stmt = (
        select(Membership)
        .join(Membership.person)
        .where(Person.retracted_at.is_(None), uncited)
        .order_by(Membership.id.desc())
    )
    loaded = stmt.options(joinedload(Membership.person), joinedload(Membership.unit))
    items = []
    for membership in session.scalars(loaded.limit(limit)):
        person = membership.person
        label = f"{protection.person_label(person)} — member of {membership.unit.name}"
        url = None if protection.is_protected(person) else record_url("person", person.key)
        items.append((label, url))
    return Unsourced("Memberships without a source", _total(session, stmt), items)
