from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from evidence.db import Base


class AuditEntry(Base):
    """One link of the append-only, hash-chained audit log."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_record", "entity", "record_id", "seq"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    actor: Mapped[str] = mapped_column(String(120), nullable=False, index=True)
    action: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    entity: Mapped[str | None] = mapped_column(String(32))
    record_id: Mapped[int | None] = mapped_column(Integer)
    record_key: Mapped[str | None] = mapped_column(String(80), index=True)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    state: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    record_hash: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    entry_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    detail: Mapped[str | None] = mapped_column(Text)


class AuditHead(Base):
    """The chain's newest link; updating it first serialises concurrent appends.

    ``seal`` is a keyed hash (HMAC) running over every entry of the chain, each
    head state chained to the one before; ``entries`` counts the entries. Someone
    who can edit the database but does not hold the application's secret key
    cannot compute the seal of a shortened or rewritten chain (see audit.log.seal).
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    entry_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    entries: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    seal: Mapped[str | None] = mapped_column(String(64))


class AuditAnchor(Base):
    """An RFC 3161 time-stamp token over the audit head, from an authority outside our control.

    The token signs a digest of the entry's position and hash, so a chain rewritten or
    cut short before an anchored entry no longer matches a signature nobody here can forge.
    """

    __tablename__ = "audit_anchors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    entry_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    tsa_url: Mapped[str] = mapped_column(String(500), nullable=False)
    stamped_at: Mapped[str] = mapped_column(String(40), nullable=False)
    token: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
