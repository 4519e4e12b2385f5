"""Reading the audit log for pages: a record's history, the filtered log."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from evidence.audit.models import AuditEntry


def history(session: Session, entity: str, record_id: int) -> list[AuditEntry]:
    """Every audit entry of one record (e.g. "incident", 12), newest first (one query)."""
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.entity == entity, AuditEntry.record_id == record_id)
        .order_by(AuditEntry.seq.desc())
    )
    return list(session.scalars(stmt))


def log_query(
    *,
    actor: str | None = None,
    action: str | None = None,
    entity: str | None = None,
    record: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> Select[tuple[AuditEntry]]:
    """The whole log, newest first, narrowed by whichever filters are given.

    ``record`` is a record's key; ``since`` and ``until`` are dates (YYYY-MM-DD,
    both days included), compared with the entries' ISO-8601 UTC times.
    """
    stmt = select(AuditEntry).order_by(AuditEntry.seq.desc())
    if record:
        stmt = stmt.where(AuditEntry.record_key == record)
    if since:
        stmt = stmt.where(AuditEntry.at >= since)
    if until:
        stmt = stmt.where(AuditEntry.at < until + "T99")  # every time of that day sorts below
    if actor:
        stmt = stmt.where(AuditEntry.actor == actor)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if entity:
        stmt = stmt.where(AuditEntry.entity == entity)
    return stmt


def log_actions(session: Session) -> list[str]:
    """The actions that occur in the log, for the filter's choices."""
    return list(session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))
