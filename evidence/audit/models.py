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


class ChainHead:
    """A chain's newest link; updating it first serialises concurrent appends.

    ``seal`` is a keyed hash (HMAC) running over every entry of the chain, each
    head state chained to the one before; ``entries`` counts the entries. Someone
    who can edit the database but does not hold the application's secret key
    cannot compute the seal of a shortened or rewritten chain (see audit.log.seal).
    """

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    entry_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    entries: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    seal: Mapped[str | None] = mapped_column(String(64))


class AuditHead(ChainHead, Base):
    """The head of the chain of changes (records, sign-ins, refusals): the head dossiers print."""

    __tablename__ = "audit_head"


class AuditRead(Base):
    """One link of the chain of sensitive reads: a dossier, file or export taken out.

    Reads have a chain of their own, so taking a dossier out never moves the head of
    the chain of changes that dossiers print: two dossiers of the same data and time
    stay byte-identical whatever was read in between. ``what`` holds the record keys,
    the audience and the file's SHA-256 (never a name); ``detail`` says it in words.
    """

    __tablename__ = "audit_reads"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    actor: Mapped[str] = mapped_column(String(120), nullable=False, index=True)
    action: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    entity: Mapped[str | None] = mapped_column(String(32))
    record_key: Mapped[str | None] = mapped_column(String(80), index=True)
    what: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    detail: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    entry_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)


class AuditReadHead(ChainHead, Base):
    """The head of the chain of reads, sealed like the head of changes."""

    __tablename__ = "audit_reads_head"


class AuditAnchor(Base):
    """An RFC 3161 time-stamp token over the audit head, from an authority outside our control.

    The token signs a digest of the entry's position and hash, so a chain rewritten or
    cut short before an anchored entry no longer matches a signature nobody here can forge.
    """

    __tablename__ = "audit_anchors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Which chain the anchored entry is in: "changes" (audit_entries) or "reads" (audit_reads).
    chain: Mapped[str] = mapped_column(
        String(16), nullable=False, default="changes", server_default="changes"
    )
    seq: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    entry_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    tsa_url: Mapped[str] = mapped_column(String(500), nullable=False)
    stamped_at: Mapped[str] = mapped_column(String(40), nullable=False)
    token: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
