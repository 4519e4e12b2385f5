"""Checks that the audit chain is intact and that every record matches its last entry."""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography import x509
from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.audit.anchors import verify_anchors
from evidence.audit.log import BODY_FIELDS, GENESIS_HASH, entry_hash, latest_entries, seal
from evidence.audit.models import AuditEntry, AuditHead, AuditRead, AuditReadHead, ChainHead
from evidence.audit.reads import BODY_FIELDS as READ_BODY_FIELDS
from evidence.core.records import record_hash
from evidence.records.loading import ENTITIES, load_records


@dataclass
class Report:
    entries_checked: int = 0
    reads_checked: int = 0
    records_checked: int = 0
    anchors_checked: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(session: Session, tsa_roots: Iterable[x509.Certificate] | None = None) -> Report:
    """Walk the whole chain, check it against its time-stamp anchors, then recompute every
    record's hash against its latest entry. Anchor signatures are checked against
    ``tsa_roots`` when given."""
    report = Report()
    report.entries_checked = _verify_chain(session, report, CHANGES)
    report.reads_checked = _verify_chain(session, report, READS)
    anchors = verify_anchors(session, tsa_roots)
    report.anchors_checked = anchors.checked
    report.problems.extend(anchors.problems)
    report.notes.extend(anchors.notes)
    _verify_records(session, report)
    return report


@dataclass(frozen=True)
class Chain:
    """One hash chain: its entries, its head, what its entries' hashes cover, its name."""

    entries: type[AuditEntry | AuditRead]
    head: type[ChainHead]
    body_fields: tuple[str, ...]
    name: str


CHANGES = Chain(AuditEntry, AuditHead, BODY_FIELDS, "audit entry")
READS = Chain(AuditRead, AuditReadHead, READ_BODY_FIELDS, "read entry")


def _verify_chain(session: Session, report: Report, chain: Chain) -> int:
    """Check every link of ``chain`` and its head; the number of entries checked."""
    model = chain.entries
    checked, expected_seq, prev_hash, sealed = 0, 1, GENESIS_HASH, GENESIS_HASH
    stmt = select(model).order_by(model.seq).execution_options(yield_per=2000)
    for entry in session.scalars(stmt):
        checked += 1
        subject = " ".join(filter(None, (entry.action, entry.entity, entry.record_key)))
        where = f"{chain.name} #{entry.seq} ({subject})"
        if entry.seq != expected_seq:
            report.problems.append(
                f"{chain.name} #{expected_seq} is missing (the next entry is #{entry.seq})"
            )
        elif entry.prev_hash != prev_hash:
            report.problems.append(
                f"{where} does not follow the entry before it: entries were removed,"
                " inserted or reordered"
            )
        body = {name: getattr(entry, name) for name in chain.body_fields}
        if entry_hash(entry.prev_hash, entry.seq, body) != entry.entry_hash:
            report.problems.append(f"{where} was altered: its hash does not match its content")
        state = getattr(entry, "state", None)
        if state is not None and record_hash(state) != entry.record_hash:
            report.problems.append(f"{where} was altered: its stored state does not match its hash")
        expected_seq, prev_hash = entry.seq + 1, entry.entry_hash
        sealed = seal(sealed, entry.seq, entry.entry_hash)
    _verify_head(session, report, chain, (expected_seq - 1, prev_hash, sealed), checked)
    return checked


def _verify_head(
    session: Session, report: Report, chain: Chain, last: tuple[int, str, str], checked: int
) -> None:
    """The head must name the chain's last entry, count its entries and carry its seal.

    Cutting entries off the end and rewriting the head to match is caught by
    the seal: computing it needs the application's secret key.
    """
    last_seq, last_hash, sealed = last
    model = chain.head
    stored = session.execute(select(model.seq, model.entry_hash, model.entries, model.seal)).first()
    head_name = f"the {chain.name.removesuffix(' entry')} head"
    if stored is None:
        if checked:
            report.problems.append(f"{head_name} is missing: it was deleted")
        return
    if (stored.seq, stored.entry_hash) != (last_seq, last_hash):
        report.problems.append(
            f"{head_name} names entry #{stored.seq} but the chain ends at #{last_seq}:"
            " entries were removed from the end"
        )
    if stored.entries != checked:
        report.problems.append(
            f"{head_name} counts {stored.entries} entries but the log holds"
            f" {checked}: entries were removed or added behind the application"
        )
    if stored.seal is None and checked:
        report.problems.append(
            f"{head_name} carries no seal: it was removed (or the database was upgraded"
            " and nothing was written since; the next write seals it)"
        )
    elif stored.seal is not None and not hmac.compare_digest(stored.seal, sealed):
        report.problems.append(
            f"{head_name}'s seal does not match the log: entries were removed from the end or"
            " the chain was rewritten, and the head forged to match (or EVIDENCE_SECRET_KEY is"
            " not the key the log was sealed with)"
        )


def _verify_records(session: Session, report: Report) -> None:
    for entity in ENTITIES.values():
        records = load_records(session, entity.name)
        entries = latest_entries(session, entity.name)
        for record_id, record in records.items():
            report.records_checked += 1
            entry = entries.get(record_id)
            label = f'{entity.name} "{record["key"]}"'
            if entry is None:
                report.problems.append(
                    f"{label} has no audit entry: written behind the application's back"
                )
            elif entry.record_hash != record_hash(record):
                report.problems.append(
                    f"{label} was changed behind the application's back: it no longer matches"
                    f" audit entry #{entry.seq}"
                )
        for record_id, entry in entries.items():
            if record_id not in records and entry.action != "delete":
                report.problems.append(
                    f'{entity.name} "{entry.record_key}" was deleted behind the application\'s back'
                    f" (last audit entry #{entry.seq})"
                )
