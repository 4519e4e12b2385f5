"""The manifest a dossier PDF carries, and verification of a PDF against the database.

The manifest lists every record the dossier contains (entity, id, key, and
the SHA-256 of its canonical evidence/1 JSON, the same ``record_hash`` the
audit log uses), the audit-log head at generation time and the newest RFC 3161
anchor of the chain (its token, so the dossier carries proof held outside our
database). ``verify`` recomputes those hashes from the database and names every
record that was changed, retracted or removed since. A difference the audit log
cannot account for is "tampered", not "changed": the dossier's audit head no
longer in the chain, an anchor that no longer covers it, a record that differs
from its own latest audit entry, or a version the audit history no longer holds.

In counsel and public dossiers, a record that could identify a protected witness
carries ``hmac`` (HMAC-SHA-256 under the dossier's secret, kept in the database)
instead of ``hash``: a plain hash would confirm a guessed name. ``verify`` takes the
secret from the database; a keyed entry that changed is reported without the changed
fields found by keying each of the record's states in the audit log.
"""

from __future__ import annotations

import base64
import hmac
import io
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.audit.anchors import check_token
from evidence.audit.log import diff, latest_entries
from evidence.audit.models import AuditEntry
from evidence.core.records import record_hash
from evidence.dossiers.models import DossierSecret
from evidence.dossiers.snapshot import Snapshot, keyed_hash
from evidence.records.loading import ENTITIES, load_records

if TYPE_CHECKING:
    from cryptography import x509

MANIFEST_FORMAT = "evidence-dossier-manifest/1"
MANIFEST_NAME = "manifest.json"


class ManifestError(ValueError):
    """The file is not a dossier this database can verify; the message says why."""


def manifest_document(snapshot: Snapshot) -> dict[str, Any]:
    return {
        "format": MANIFEST_FORMAT,
        "dossier_id": snapshot.dossier_id,
        "case": snapshot.case_key,
        "audience": snapshot.audience,
        "generated_at": snapshot.generated_at,
        "generated_by": snapshot.generated_by,
        "audit_head": {"seq": snapshot.audit_seq, "hash": snapshot.audit_hash},
        "anchor": _anchor_document(snapshot),
        "records": [
            {"entity": e.entity, "id": e.id, "key": e.key, ("hmac" if e.keyed else "hash"): e.hash}
            for e in snapshot.manifest
        ],
    }


def _anchor_document(snapshot: Snapshot) -> dict[str, Any] | None:
    anchor = snapshot.anchor
    if anchor is None:
        return None
    return {
        "seq": anchor.seq,
        "tsa": anchor.tsa_url,
        "stamped_at": anchor.stamped_at,
        "token": base64.b64encode(anchor.token).decode(),
    }


def manifest_bytes(snapshot: Snapshot) -> bytes:
    return (
        json.dumps(manifest_document(snapshot), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    ).encode()


def read_manifest(pdf: Path | bytes) -> dict[str, Any]:
    """The manifest attached to a dossier PDF (a path or the bytes)."""
    # pypdf loads to read a dossier back, not in the processes that make one.
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf)
        attached = reader.attachments.get(MANIFEST_NAME)
    except (PdfReadError, OSError, ValueError) as error:
        raise ManifestError(f"not a readable PDF: {error}") from None
    if not attached:
        raise ManifestError(f"the PDF carries no {MANIFEST_NAME}; it is not an evidence dossier")
    try:
        manifest = json.loads(attached[0])
    except ValueError:
        raise ManifestError(f"{MANIFEST_NAME} in the PDF is not valid JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise ManifestError(f"{MANIFEST_NAME} is not a {MANIFEST_FORMAT} manifest")
    return manifest


TAMPERED = "tampered"


@dataclass(frozen=True)
class Problem:
    entity: str
    label: str  # the key, or "#id (key withheld)" for a protected person
    what: str  # changed, retracted, missing, tampered
    fields: tuple[str, ...] = ()
    why: str | None = None  # for tampering: what the audit log cannot account for

    def __str__(self) -> str:
        detail = f" (fields: {', '.join(self.fields)})" if self.fields else ""
        if self.what == TAMPERED:
            return f"{self.entity} {self.label}: TAMPERED: {self.why}{detail}"
        return f"{self.entity} {self.label}: {self.what} since the dossier was generated{detail}"


@dataclass
class Verification:
    manifest: dict[str, Any]
    checked: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def tampered(self) -> bool:
        return any(problem.what == TAMPERED for problem in self.problems)


def _chain_problems(
    session: Session, manifest: dict[str, Any], roots: Iterable[x509.Certificate] | None
) -> list[Problem]:
    """The dossier's audit head and anchor against the chain as it is now."""
    problems = []
    head = manifest.get("audit_head") or {}
    seq, recorded = head.get("seq"), head.get("hash")
    if isinstance(seq, int) and seq > 0:
        found = session.scalar(select(AuditEntry.entry_hash).where(AuditEntry.seq == seq))
        if found != recorded:
            problems.append(
                Problem(
                    "audit log",
                    f"entry #{seq}",
                    TAMPERED,
                    why="the audit head this dossier was made at is no longer in the chain:"
                    " the log was cut short or rewritten",
                )
            )
    anchor = manifest.get("anchor")
    if isinstance(anchor, dict) and isinstance(anchor.get("seq"), int):
        anchored = session.scalar(
            select(AuditEntry.entry_hash).where(AuditEntry.seq == anchor["seq"])
        )
        try:
            token = base64.b64decode(anchor.get("token") or "", validate=True)
        except ValueError:
            token = b""
        why = check_token(token, anchor["seq"], anchored, roots or [])
        if why:
            problems.append(
                Problem("audit log", f"anchor of entry #{anchor['seq']}", TAMPERED, why=why)
            )
    return problems


def verify(
    session: Session, pdf: Path | bytes, tsa_roots: Iterable[x509.Certificate] | None = None
) -> Verification:
    """Check the dossier's audit head and anchor against the chain, then recompute every
    listed record's hash from the database (a few queries per entity)."""
    manifest = read_manifest(pdf)
    report = Verification(manifest)
    report.problems.extend(_chain_problems(session, manifest, tsa_roots))
    by_entity: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in manifest.get("records", []):
        if entry.get("entity") not in ENTITIES:
            raise ManifestError(f"{MANIFEST_NAME} lists an unknown kind of record: {entry!r}")
        by_entity[entry["entity"]].append(entry)
    keyed = any("hmac" in entry for entry in manifest.get("records", []))
    secret = _secret(session, manifest.get("dossier_id")) if keyed else None
    for entity, entries in sorted(by_entity.items()):
        ids = [e["id"] for e in entries]
        current = load_records(session, entity, ids)
        latest = latest_entries(session, entity, ids)
        earlier = _states_by_hash(session, entity, [e["hash"] for e in entries if "hash" in e])
        for entry in entries:
            report.checked += 1
            record = current.get(entry["id"])
            label = entry["key"] or f"#{entry['id']} (key withheld)"
            if record is None or (entry["key"] is not None and record["key"] != entry["key"]):
                report.problems.append(Problem(entity, label, "missing"))
            elif not _unchanged(entry, record, secret):
                before = (
                    earlier.get(entry["hash"])
                    if secret is None or "hash" in entry
                    else _keyed_state(session, entity, entry, secret)
                )
                report.problems.append(
                    _change(entity, label, record, latest.get(entry["id"]), before)
                )
    return report


def _secret(session: Session, identifier: Any) -> str:
    stored = session.get(DossierSecret, identifier) if isinstance(identifier, str) else None
    if stored is None:
        raise ManifestError(
            f"dossier {identifier}: this database holds no key for its protected records"
            " (was it generated from another database?)"
        )
    return stored.secret


def _unchanged(entry: dict[str, Any], record: dict[str, Any], secret: str | None) -> bool:
    if "hmac" in entry:
        keyed = keyed_hash(secret, record) if secret is not None else ""
        return hmac.compare_digest(keyed, str(entry["hmac"]))
    return record_hash(record) == entry.get("hash")


def _change(
    entity: str,
    label: str,
    record: dict[str, Any],
    latest: AuditEntry | None,
    before: dict[str, Any] | None,
) -> Problem:
    """Changed or retracted through the application, or tampered with: the record differs
    from its own latest audit entry, or the history no longer holds the dossier's version."""
    if latest is None or latest.record_hash != record_hash(record):
        return Problem(
            entity, label, TAMPERED, why="changed behind the application's back: it matches"
            " none of its audit entries",
        )  # fmt: skip
    if before is None:
        return Problem(
            entity, label, TAMPERED, why="the audit log no longer holds the version in the"
            " dossier: its history was altered",
        )  # fmt: skip
    fields = tuple(sorted(diff(before, record)))
    if "retracted" in record and "retracted" not in before:
        return Problem(entity, label, "retracted", fields)
    return Problem(entity, label, "changed", fields)


def _states_by_hash(session: Session, entity: str, hashes: list[str]) -> dict[str, Any]:
    """The audit log's copy of each record as it was when it had the given hash."""
    stmt = select(AuditEntry.record_hash, AuditEntry.state).where(
        AuditEntry.entity == entity, AuditEntry.record_hash.in_(sorted(set(hashes)))
    )
    return {found_hash: state for found_hash, state in session.execute(stmt)}


def _keyed_state(
    session: Session, entity: str, entry: dict[str, Any], secret: str
) -> dict[str, Any] | None:
    """The audit log's copy of a keyed record when the dossier was made: its states are
    found by plain hash, so each of the record's states is keyed and compared."""
    stmt = select(AuditEntry.state).where(
        AuditEntry.entity == entity,
        AuditEntry.record_id == entry["id"],
        AuditEntry.state.is_not(None),
    )
    for state in session.scalars(stmt):
        if hmac.compare_digest(keyed_hash(secret, state), str(entry["hmac"])):
            return state
    return None
