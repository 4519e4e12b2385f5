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
from evidence.core.messages import Message, message
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
from evidence.reports.services import unsourced_incidents
from evidence.vocabularies import translatable

COUNTED = (
    (translatable("Incidents"), "incidents", Incident),
    (translatable("Statements"), "statements", Statement),
    (translatable("Sources"), "sources", Source),
    (translatable("Units"), "units", Unit),
    (translatable("Persons"), "persons", Person),
    (translatable("Places"), "places", Place),
    (translatable("Cases"), "cases", Case),
    (translatable("Exhibits"), "exhibits", Exhibit),
)
RECENT_LIMIT = 15
UNSOURCED_LIMIT = 10


@dataclass(frozen=True)
class Count:
    label: str
    section: str
    count: int


def record_counts(session: Session, protection: Protection) -> list[Count]:
    """Records in use (not retracted) per type, in one query; hidden records not counted.

    Each count is all rows minus the retracted (and hidden) ones: SQLite counts a whole
    table from its smallest index almost for free, and the retracted rows are few and
    indexed, whereas counting the rows in use reads them all (300k statements: 18 ms).
    """
    columns = []
    for _label, _section, model in COUNTED:
        count = _count(model) - _count(model, model.retracted_at.is_not(None))
        hidden = protection.hidden_ids(model)
        if hidden is not None:
            # Two counts, not one with OR: each is a short range of an index.
            count = count - _count(model, model.id.in_(hidden), model.retracted_at.is_(None))
        columns.append(count)
    values = session.execute(select(*columns)).one()
    return [
        Count(label, section, value)
        for (label, section, _model), value in zip(COUNTED, values, strict=True)
    ]


def _count(model: Any, *conditions: Any) -> Any:
    return select(func.count()).select_from(model).where(*conditions).scalar_subquery()


@dataclass(frozen=True)
class Change:
    """One line of "recent changes", already reduced to what the audience may see."""

    at: str
    actor: str
    action: str
    entity: str
    label: str  # the record's key, or what stands for it where the key would name someone
    link_key: str | None  # the key to link to; None where the label hides it
    title: str | None = None
    fields: list[str] = field(default_factory=list)


def recent_changes(
    session: Session, protection: Protection, limit: int = RECENT_LIMIT
) -> list[Change]:
    """The newest record changes (accounts excluded), newest first.

    The internal audience also sees which fields changed. Other audiences see
    only entity, key, action, actor and time; keys are scrubbed of protected
    names (and then not linked), and changes to records they may not see
    are left out (a protected person's appear under the pseudonym).
    """
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.entity.is_not(None), AuditEntry.entity != "user")
        .order_by(AuditEntry.seq.desc())
        .limit(limit)
    )
    entries = list(session.scalars(stmt))
    hidden = _hidden_entries(protection, entries)
    changes = []
    for entry in entries:
        if (entry.entity, entry.record_id) in hidden:
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
                link_key=key if label == key else None,
                title=_title(protection, entry, label),
                fields=sorted(entry.changes) if protection.is_internal else [],
            )
        )
    return changes


def _title(protection: Protection, entry: AuditEntry, label: str) -> str | None:
    title = protection.record_title(entry.entity or "", entry.record_id, entry.state)
    return None if title == label else title


def _protected_key(protection: Protection, entry: AuditEntry, key: str) -> str:
    if entry.entity == "person" and entry.record_id in protection.pseudonyms:
        return protection.pseudonyms[entry.record_id]
    return protection.scrub(key) or key


# Changes to these records are left out where the record is hidden (a protected person's
# changes stay, shown under the pseudonym).
_HIDEABLE = {"statement": Statement, "exhibit": Exhibit}


def _hidden_entries(protection: Protection, entries: list[AuditEntry]) -> set[tuple[str, int]]:
    """(entity, record id) of the entries' records hidden from the audience (a query per type)."""
    hidden: set[tuple[str, int]] = set()
    for entity, model in _HIDEABLE.items():
        ids = {e.record_id for e in entries if e.entity == entity and e.record_id}
        hidden.update((entity, i) for i in protection.hidden_among(model, ids))
    return hidden


@dataclass(frozen=True)
class Unsourced:
    """Facts of one kind that cite no source: how many, and the first few as links."""

    title: str
    total: int
    items: list[tuple[str, str, str | None]]  # (label, entity, key to link or None)


def unsourced_facts(
    session: Session, protection: Protection, limit: int = UNSOURCED_LIMIT
) -> list[Unsourced]:
    """Incidents, involvements and memberships without a citation (retracted ones ignored)."""
    return [
        _unsourced_incidents(session, protection, limit),
        _unsourced_involvements(session, protection, limit),
        _unsourced_memberships(session, protection, limit),
    ]


def _unsourced_incidents(session: Session, protection: Protection, limit: int) -> Unsourced:
    # Incidents in use minus those cited: a count of distinct ids read from the citation
    # index, corrected by the few retracted incidents (indexed) that are cited; each part
    # starts from an index. Testing every incident for a citation (NOT EXISTS) reads all
    # of them: 60 ms at 100k incidents.
    cited = Citation.incident_id.is_not(None)
    retracted = Incident.retracted_at.is_not(None)
    total = session.execute(
        select(
            _count(Incident)
            - _count(Incident, retracted)
            - select(func.count(Citation.incident_id.distinct())).where(cited).scalar_subquery()
            + _count(Incident, retracted, exists().where(Citation.incident_id == Incident.id))
        )
    ).scalar_one()
    stmt = unsourced_incidents().order_by(Incident.id.desc())
    items = [
        (protection.scrub(incident.title) or "", "incident", incident.key)
        for incident in _first(session, stmt, limit, total)
    ]
    return Unsourced(translatable("Incidents without a source"), total, items)


def _first(session: Session, stmt: Any, limit: int, total: int) -> list[Any]:
    """The first rows of a list whose length is known: no query when it is empty, and the
    search for uncited rows stops once it has all of them rather than reading every fact."""
    if total == 0:
        return []
    return list(session.scalars(stmt.limit(min(limit, total))))


def _unsourced_involvements(session: Session, protection: Protection, limit: int) -> Unsourced:
    # As for incidents: involvements of incidents in use minus the cited ones among them.
    cited = Citation.involvement_id.is_not(None)
    of_retracted = Involvement.incident_id.in_(
        select(Incident.id).where(Incident.retracted_at.is_not(None))
    )
    total = session.execute(
        select(
            _count(Involvement)
            - _count(Involvement, of_retracted)
            - select(func.count(Citation.involvement_id.distinct())).where(cited).scalar_subquery()
            + _count(
                Involvement,
                of_retracted,
                exists().where(Citation.involvement_id == Involvement.id),
            )
        )
    ).scalar_one()
    stmt = (
        select(Involvement)
        .join(Involvement.incident)
        .where(
            Incident.retracted_at.is_(None),
            ~exists().where(Citation.involvement_id == Involvement.id),
        )
        .order_by(Involvement.id.desc())
        .options(
            joinedload(Involvement.incident),
            joinedload(Involvement.unit),
            joinedload(Involvement.person),
        )
    )
    items = []
    for involvement in _first(session, stmt, limit, total):
        actor = involvement.unit.name if involvement.unit else ""
        if involvement.person is not None:
            actor = protection.person_label(involvement.person)
        incident = involvement.incident
        label = message(
            "%(actor)s — %(role)s in %(incident)s",
            actor=actor,
            role=Message(involvement.role),
            incident=protection.scrub(incident.title),
        )
        items.append((label, "incident", incident.key))
    return Unsourced(translatable("Involvements without a source"), total, items)


def _unsourced_memberships(session: Session, protection: Protection, limit: int) -> Unsourced:
    uncited = ~exists().where(Citation.membership_id == Membership.id)
    stmt = (
        select(Membership)
        .join(Membership.person)
        .where(Person.retracted_at.is_(None), uncited)
        .order_by(Membership.id.desc())
    )
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    loaded = stmt.options(joinedload(Membership.person), joinedload(Membership.unit))
    items = []
    for membership in _first(session, loaded, limit, total):
        person = membership.person
        label = message(
            "%(person)s — member of %(unit)s",
            person=protection.person_label(person),
            unit=membership.unit.name,
        )
        key = None if protection.is_protected(person) else person.key
        items.append((label, "person", key))
    return Unsourced(translatable("Memberships without a source"), total, items)
