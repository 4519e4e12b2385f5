"""The chain of sensitive reads: who took which dossier, file or export out, and when.

A read is appended at once to a hash chain of its own (audit_reads), sealed like
the chain of changes. Keeping reads apart means the head of the chain of
changes, which every dossier prints and verifies, moves only when data (or an
account) changes: generating or downloading a dossier never changes the next
one made from the same data and time.

An entry says what was taken out by record keys, audience and the file's
SHA-256, never by a title or name; and everything it says is scrubbed as for
the public audience, so not even a key made from a protected witness's name
reaches the log through a read.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from evidence.audit.log import append, default_actor, lock_head
from evidence.audit.models import AuditRead, AuditReadHead
from evidence.core.timestamps import iso_utc, utcnow
from evidence.protection import PUBLIC, Protection
from evidence.vocabularies import translatable

# What each read action takes out, as the review and a record's history name it.
READ_ACTIONS = {
    "dossier-generated": translatable("dossier generated"),
    "dossier-downloaded": translatable("dossier downloaded"),
    "sealed-annex-downloaded": translatable("sealed annex downloaded"),
    "bundle-written": translatable("bundle written"),
    "exhibit-downloaded": translatable("exhibit downloaded"),
    "capture-downloaded": translatable("capture downloaded"),
    "export": translatable("data exported"),
    "link-check": translatable("links checked"),
}

BODY_FIELDS = ("at", "actor", "action", "entity", "record_key", "what", "detail")


def log_read(
    session: Session,
    action: str,
    actor: str | None,
    *,
    entity: str | None = None,
    record_key: str | None = None,
    keys: Iterable[str] = (),
    audience: str | None = None,
    sha256: str | None = None,
    **facts: Any,
) -> None:
    """Append one read to the chain of reads, in the session's write transaction.

    ``entity``/``record_key`` name the record taken out (a case, an exhibit, a
    source); ``keys`` the records a dossier or export carried; ``facts`` any other
    plain facts (a job id, a count). Call it with a writer session: it locks the
    head of reads until commit.
    """
    if action not in READ_ACTIONS:
        raise ValueError(f"unknown read action {action!r}; known: {', '.join(READ_ACTIONS)}")
    what: dict[str, Any] = {"keys": sorted({key for key in keys if key})}
    if audience is not None:
        what["audience"] = audience
    if sha256 is not None:
        what["sha256"] = sha256
    what.update(facts)
    protection = Protection.load(session, PUBLIC)
    what = protection.scrub_tree(what)
    body = {
        "at": iso_utc(utcnow()),
        "actor": actor or default_actor(),
        "action": action,
        "entity": entity,
        "record_key": protection.scrub(record_key),
        "what": what,
        "detail": describe(what),
    }
    locked = lock_head(session, AuditReadHead)
    append(session, [body], locked, AuditRead, AuditReadHead)


def describe(what: dict[str, Any]) -> str:
    """The facts of a read in one line, e.g. "for counsel · 3 records · sha256 9f2c…"."""
    parts = []
    if "audience" in what:
        parts.append(f"for {what['audience']}")
    if what.get("keys"):
        parts.append(f"{len(what['keys'])} record(s)")
    parts.extend(
        f"{name} {value}"
        for name, value in sorted(what.items())
        if name not in ("audience", "keys", "sha256")
    )
    if "sha256" in what:
        parts.append(f"sha256 {what['sha256']}")
    return " · ".join(parts)
