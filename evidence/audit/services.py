"""Reading the audit log for pages: a record's history, the filtered log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ColumnElement, Select, literal, null, select, union_all
from sqlalchemy.orm import Session

from evidence.audit.models import AuditEntry, AuditRead
from evidence.vocabularies import translatable

# What the review can narrow the log to: things taken out (the chain of reads), changes
# to records, and security events (sign-ins, refusals, two-factor, sessions).
KINDS = (translatable("reads"), translatable("changes"), translatable("security"))


def history(session: Session, entity: str, record_id: int) -> list[AuditEntry | AuditRead]:
    """Every audit entry of one record (e.g. "incident", 12) and every time it was taken out
    (a case's dossiers, an exhibit's file, a source's captures), newest first (two queries)."""
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.entity == entity, AuditEntry.record_id == record_id)
        .order_by(AuditEntry.seq.desc())
    )
    changes = list(session.scalars(stmt))
    if not changes:
        return []
    key = changes[0].record_key
    reads = session.scalars(
        select(AuditRead).where(AuditRead.entity == entity, AuditRead.record_key == key)
    )
    return sorted([*changes, *reads], key=lambda entry: entry.at, reverse=True)


def log_query(
    *,
    kind: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    entity: str | None = None,
    record: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> Select[Any]:
    """The whole log, both chains, newest first, narrowed by whichever filters are given.

    Rows carry ``chain`` ("changes" or "reads"), ``seq``, ``at``, ``actor``, ``action``,
    ``entity``, ``record_key``, ``detail`` and ``changes``. ``kind`` is one of KINDS;
    ``record`` is a record's key; ``since`` and ``until`` are dates (YYYY-MM-DD, both days
    included), compared with the entries' ISO-8601 UTC times.
    """
    parts: list[tuple[type[AuditEntry | AuditRead], Select[Any]]] = []
    if kind != "reads":
        stmt = select(
            literal("changes").label("chain"),
            *_common(AuditEntry),
            AuditEntry.changes.label("changes"),
        )
        if kind == "changes":
            stmt = stmt.where(AuditEntry.entity.is_not(None))
        elif kind == "security":
            stmt = stmt.where(AuditEntry.entity.is_(None))
        parts.append((AuditEntry, stmt))
    if kind in (None, "reads"):
        stmt = select(
            literal("reads").label("chain"), *_common(AuditRead), null().cast(JSON).label("changes")
        )
        parts.append((AuditRead, stmt))
    narrowed = [
        stmt.where(*_conditions(model, actor, action, entity, record, since, until))
        for model, stmt in parts
    ]
    log = (narrowed[0] if len(narrowed) == 1 else union_all(*narrowed)).subquery()
    return select(log).order_by(log.c.at.desc(), log.c.chain, log.c.seq.desc())


def _common(model: type[AuditEntry | AuditRead]) -> list[Any]:
    return [
        model.seq,
        model.at,
        model.actor,
        model.action,
        model.entity,
        model.record_key,
        model.detail,
    ]


def _conditions(
    model: type[AuditEntry | AuditRead],
    actor: str | None,
    action: str | None,
    entity: str | None,
    record: str | None,
    since: str | None,
    until: str | None,
) -> list[ColumnElement[bool]]:
    conditions = []
    if record:
        conditions.append(model.record_key == record)
    if since:
        conditions.append(model.at >= since)
    if until:
        conditions.append(model.at < until + "T99")  # every time of that day sorts below
    if actor:
        conditions.append(model.actor == actor)
    if action:
        conditions.append(model.action == action)
    if entity:
        conditions.append(model.entity == entity)
    return conditions


def log_actions(session: Session) -> list[str]:
    """The actions that occur in the log (both chains), for the filter's choices."""
    actions = union_all(select(AuditEntry.action), select(AuditRead.action)).subquery()
    return list(session.scalars(select(actions.c.action).distinct().order_by(actions.c.action)))
