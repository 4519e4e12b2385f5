"""The hash-chained audit log, written by one session hook (installed by evidence.hooks).

After every flush the hook notes which top-level records were touched (a
citation or an involvement counts as a change to its incident). Just before
the transaction commits it reloads those records, and for each whose
canonical JSON hash differs from its latest audit entry it appends an entry:
who, when, what, the changed fields before -> after, the record's new hash,
and a hash chaining the entry to the one before. Nothing else writes audit
rows, so nothing can bypass it; bulk writers only say what they touched.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
from collections import defaultdict
from collections.abc import Iterable, Mapping
from json.encoder import encode_basestring
from typing import Any, NamedTuple

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, SessionTransaction

from evidence.audit.models import AuditEntry, AuditHead, AuditRead, ChainHead
from evidence.core.records import Record, canonical_fields, canonical_json, chunks, record_hash
from evidence.core.timestamps import iso_utc, utcnow
from evidence.db import insert_rows
from evidence.models import (
    CaseIncident,
    CaseStatementExclusion,
    Citation,
    CustodyEvent,
    ExhibitLink,
    IncidentViolation,
    Involvement,
    Membership,
    StatementIncident,
    UnitParent,
)
from evidence.records.loading import ENTITY_OF_MODEL, load_records

GENESIS_HASH = "0" * 64
# The fields of a change entry's body (_body): hashed with its seq, the state left out.
BODY_FIELDS = (
    "at",
    "actor",
    "action",
    "entity",
    "record_id",
    "record_key",
    "changes",
    "state",
    "record_hash",
    "detail",
)
_CHANGE_FIELDS = frozenset(BODY_FIELDS)


class HeadRow(NamedTuple):
    """The audit head as locked for one append: the last entry, the count, the seal."""

    seq: int
    entry_hash: str
    entries: int
    seal: str | None


TOUCHED = "audit_touched"
CREATED = "audit_created"
EVENTS = "audit_events"
NOTES = "audit_notes"
NOTED = (TOUCHED, CREATED, EVENTS, NOTES)
SAVEPOINTS = "audit_savepoints"
ENDED_SAVEPOINT = "audit_ended_savepoint"
ACTOR = "actor"

# Child rows and the attribute naming the top-level record they belong to.
_ROOT_OF_CHILD: dict[type, tuple[str, str]] = {
    UnitParent: ("unit", "unit_id"),
    Membership: ("person", "person_id"),
    IncidentViolation: ("incident", "incident_id"),
    Involvement: ("incident", "incident_id"),
    StatementIncident: ("statement", "statement_id"),
    CaseIncident: ("case", "case_id"),
    CaseStatementExclusion: ("case", "case_id"),
    ExhibitLink: ("exhibit", "exhibit_id"),
    CustodyEvent: ("exhibit", "exhibit_id"),
}


def default_actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def set_actor(session: Session, actor: str) -> None:
    session.info[ACTOR] = actor


def touch(session: Session, entity: str, ids: Iterable[int]) -> None:
    """Tell the hook that bulk statements wrote these records."""
    session.info.setdefault(TOUCHED, defaultdict(set))[entity].update(ids)


def touch_created(session: Session, entity: str, states: dict[int, Record]) -> None:
    """Tell the hook about new records together with their evidence/1 form.

    Saves reloading a large import; should a state differ from what was
    written, `audit verify` reports that record as changed. The records must
    have been inserted with their folded names (search.folded_names.names_of).
    """
    session.info.setdefault(CREATED, defaultdict(dict))[entity].update(states)


def note_record(session: Session, entity: str, record_id: int, detail: str) -> None:
    """Give this record's next entry an action "merge" and a detail (e.g. "merged into x"),
    written even when the record itself did not change (links moved to it count)."""
    session.info.setdefault(NOTES, {})[(entity, record_id)] = detail
    touch(session, entity, [record_id])


def log_event(session: Session, action: str, detail: str, actor: str | None = None) -> None:
    """Queue an event that is not a record change (sign-in, denied request) for the chain."""
    session.info.setdefault(EVENTS, []).append({"action": action, "detail": detail, "actor": actor})


def _root_of(session: Session, obj: Any) -> tuple[str, int] | None:
    entity = ENTITY_OF_MODEL.get(type(obj))
    if entity is not None:
        return entity.name, obj.id
    if type(obj) in _ROOT_OF_CHILD:
        name, attribute = _ROOT_OF_CHILD[type(obj)]
        return name, getattr(obj, attribute)
    if isinstance(obj, Citation):
        if obj.incident_id:
            return "incident", obj.incident_id
        if obj.involvement_id:
            owner = session.get(Involvement, obj.involvement_id)
            return ("incident", owner.incident_id) if owner else None
        owner = session.get(Membership, obj.membership_id)
        return ("person", owner.person_id) if owner else None
    return None


def pending_changes(
    session: Session,
) -> tuple[Mapping[str, set[int]], Mapping[str, Mapping[int, Record]]]:
    """The records this transaction touched so far, and the new ones with their states,
    by entity: what the audit entries will be written for (the search index reads it too)."""
    return session.info.get(TOUCHED) or {}, session.info.get(CREATED) or {}


def collect_touched(session: Session) -> None:
    """After a flush: note the top-level records the flushed rows belong to."""
    changed = list(session.new) + list(session.deleted)
    changed += [obj for obj in session.dirty if session.is_modified(obj)]
    for obj in changed:
        root = _root_of(session, obj)
        if root is not None:
            entity, record_id = root
            touch(session, entity, [record_id])


def note_savepoint(session: Session, transaction: SessionTransaction) -> None:
    """When a savepoint begins: keep a copy of what is noted so far, for its rollback."""
    if transaction.nested:
        session.info.setdefault(SAVEPOINTS, {})[transaction] = _noted_copy(session.info)


def end_savepoint(session: Session, transaction: SessionTransaction) -> None:
    # SQLAlchemy ends a transaction before it reports the rollback: the copy is held for
    # forget_touched, which comes next if this savepoint was rolled back.
    if transaction.nested:
        kept = session.info.get(SAVEPOINTS, {}).pop(transaction, None)
        session.info[ENDED_SAVEPOINT] = (transaction, kept)


def forget_touched(session: Session, transaction: SessionTransaction) -> None:
    """After a rollback: what was noted since ``transaction`` began will not be written.

    A savepoint rolled back inside a transaction that goes on (a form's trial save, a
    name taken at the same moment) forgets only its own changes: the records changed
    before it are still committed, so their entries must still be written.
    """
    ended, kept = session.info.pop(ENDED_SAVEPOINT, (None, None))
    if transaction.nested:
        if ended is transaction and kept is not None:
            session.info.update(kept)
            for key in NOTED:
                if kept[key] is None:
                    session.info.pop(key)
        return
    for key in (*NOTED, SAVEPOINTS):
        session.info.pop(key, None)


def _noted_copy(info: dict[Any, Any]) -> dict[str, Any]:
    """What is noted, copied deep enough that later notes do not change the copy."""
    touched, created = info.get(TOUCHED), info.get(CREATED)
    return {
        TOUCHED: None
        if touched is None
        else defaultdict(set, {entity: set(ids) for entity, ids in touched.items()}),
        CREATED: None
        if created is None
        else defaultdict(dict, {entity: dict(states) for entity, states in created.items()}),
        EVENTS: None if EVENTS not in info else list(info[EVENTS]),
        NOTES: None if NOTES not in info else dict(info[NOTES]),
    }


def append_entries(session: Session) -> None:
    """Before the commit: append an entry per changed record and per queued event."""
    touched: dict[str, set[int]] = session.info.pop(TOUCHED, {})
    created: dict[str, dict[int, Record]] = session.info.pop(CREATED, {})
    events: list[dict[str, Any]] = session.info.pop(EVENTS, [])
    notes: dict[tuple[str, int], str] = session.info.pop(NOTES, {})
    if not (touched or created or events):
        return
    # Lock the chain's head before reading anything the entries are built from:
    # concurrent commits then append one after another, each seeing the
    # entries (and the "before" states) of the commit ahead of it.
    locked = lock_head(session)
    actor = session.info.get(ACTOR) or default_actor()
    at = iso_utc(utcnow())
    bodies: list[dict[str, Any]] = []
    for entity in sorted(set(touched) | set(created)):
        ids = touched.get(entity, set())
        states = {i: s for i, s in created.get(entity, {}).items() if i not in ids}
        bodies.extend(_record_changes(session, entity, sorted(ids), actor, at, notes))
        bodies.extend(
            _body(at, actor, entity, record_id, None, state)
            for record_id, state in sorted(states.items())
        )
    for queued in events:
        bodies.append(
            {
                "at": at,
                "actor": queued["actor"] or actor,
                "action": queued["action"],
                "entity": None,
                "record_id": None,
                "record_key": None,
                "changes": "{}",  # JSON texts, as _body gives them
                "state": "null",
                "record_hash": None,
                "detail": queued["detail"],
            }
        )
    if bodies:
        append(session, bodies, locked)


def latest_entries(
    session: Session, entity: str, ids: list[int] | None = None
) -> dict[int, AuditEntry]:
    """The newest audit entry of each record of ``entity`` (optionally only ``ids``)."""
    newest = select(func.max(AuditEntry.seq)).where(AuditEntry.entity == entity)
    newest = newest.group_by(AuditEntry.record_id)
    found: dict[int, AuditEntry] = {}
    id_chunks = [None] if ids is None else chunks(ids)
    for chunk in id_chunks:
        subquery = newest if chunk is None else newest.where(AuditEntry.record_id.in_(chunk))
        stmt = select(AuditEntry).where(AuditEntry.seq.in_(subquery.scalar_subquery()))
        for entry in session.scalars(stmt):
            found[entry.record_id] = entry
    return found


def _action(before: Record | None, after: Record | None) -> str:
    if before is None:
        return "insert"
    if after is None:
        return "delete"
    if "retracted" in after and "retracted" not in before:
        return "retract"
    if "retracted" in before and "retracted" not in after:
        return "restore"
    return "update"


def diff(before: Record | None, after: Record | None) -> dict[str, list[Any]]:
    """Top-level fields that differ, as field -> [before, after]."""
    if before is None and after is not None:  # a new record, most entries of an import
        return {field: [None, value] for field, value in sorted(after.items()) if value is not None}
    before, after = before or {}, after or {}
    return {
        field: [before.get(field), after.get(field)]
        for field in sorted(set(before) | set(after))
        if before.get(field) != after.get(field)
    }


def _record_changes(
    session: Session,
    entity: str,
    ids: list[int],
    actor: str,
    at: str,
    notes: dict[tuple[str, int], str],
) -> list[dict[str, Any]]:
    records = load_records(session, entity, ids)
    previous = latest_entries(session, entity, ids)
    bodies = []
    for record_id in ids:
        after = records.get(record_id)
        entry = previous.get(record_id)
        before = entry.state if entry else None
        new_hash = record_hash(after) if after is not None else None
        note = notes.get((entity, record_id))
        if entry is not None and entry.record_hash == new_hash and note is None:
            continue
        if entry is None and after is None:
            continue
        body = _body(at, actor, entity, record_id, before, after, new_hash)
        if note is not None:
            body.update(action="merge", detail=note)
        bodies.append(body)
    return bodies


def _body(
    at: str,
    actor: str,
    entity: str,
    record_id: int,
    before: Record | None,
    after: Record | None,
    new_hash: str | None = None,
) -> dict[str, Any]:
    """An entry's fields; its ``state`` and ``changes`` as the canonical JSON texts its
    hashes are computed over (stored as they are: encoding a large import's states once)."""
    if before is None and after is not None:  # a new record, most entries of an import
        state, changes = _new_record_json(after)
    else:
        state = canonical_json(after).decode()
        changes = canonical_json(diff(before, after)).decode()
    if after is not None and new_hash is None:
        new_hash = hashlib.sha256(state.encode()).hexdigest()
    return {
        "at": at,
        "actor": actor,
        "action": _action(before, after),
        "entity": entity,
        "record_id": record_id,
        "record_key": (after or before or {}).get("key"),
        "changes": changes,
        "state": state,
        "record_hash": new_hash,
        "detail": None,
    }


def _new_record_json(record: Record) -> tuple[str, str]:
    """The canonical JSON of a new record and of its changes, diff(None, record): each
    field's value is encoded once for both."""
    fields = canonical_fields(record)
    state = ",".join([f"{key}:{value}" for key, value in fields])
    changes = ",".join([f"{key}:[null,{value}]" for key, value in fields if value != "null"])
    return "{" + state + "}", "{" + changes + "}"


def entry_hash(
    prev_hash: str, seq: int, body: dict[str, Any], changes_json: bytes | None = None
) -> str:
    """The hash of one link: the previous link's hash and everything this entry says.

    The full state is covered through ``record_hash``, which verify checks
    against the stored state. ``changes_json``: the canonical JSON of the
    body's changes, when the caller has encoded them already.
    """
    if changes_json is not None and body.keys() == _CHANGE_FIELDS:
        # The canonical JSON of the hashed fields, written field by field in sorted order.
        linked = (
            f'{{"action":{_scalar_json(body["action"])},"actor":{_scalar_json(body["actor"])},'
            f'"at":{_scalar_json(body["at"])},"changes":'.encode()
            + changes_json
            + f',"detail":{_scalar_json(body["detail"])},"entity":{_scalar_json(body["entity"])},'
            f'"record_hash":{_scalar_json(body["record_hash"])},'
            f'"record_id":{_scalar_json(body["record_id"])},'
            f'"record_key":{_scalar_json(body["record_key"])},"seq":{_scalar_json(seq)}}}'.encode()
        )
        return hashlib.sha256(prev_hash.encode() + linked).hexdigest()
    hashed = {key: value for key, value in body.items() if key != "state"}
    hashed["seq"] = seq
    if changes_json is None:
        return hashlib.sha256(prev_hash.encode() + canonical_json(hashed)).hexdigest()
    # Keys are sorted, so only "action", "actor" and "at" come before "changes": strings,
    # whose quotes are escaped, so the first '"changes":null' is the key itself.
    hashed["changes"] = None
    linked = canonical_json(hashed).replace(b'"changes":null', b'"changes":' + changes_json, 1)
    return hashlib.sha256(prev_hash.encode() + linked).hexdigest()


def _scalar_json(value: Any) -> str:
    """A string, int or null as canonical_json writes it (other values go through it)."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    return canonical_json(value).decode()


def head(session: Session, head_model: type[ChainHead] = AuditHead) -> tuple[int, str]:
    """The (seq, hash) of a chain's last entry: of the changes unless ``head_model`` says."""
    found = session.execute(select(head_model.seq, head_model.entry_hash)).first()
    return (found.seq, found.entry_hash) if found else (0, GENESIS_HASH)


def data_head(session: Session) -> tuple[int, str]:
    """The (seq, hash) of the last change to a record: the head a dossier prints.

    Sign-ins, refusals and other events without a record follow it on the chain but
    change no data, so a dossier of the same data and time stays byte-identical
    whoever signed in between (reads are on a chain of their own: audit.reads).
    """
    found = session.execute(
        select(AuditEntry.seq, AuditEntry.entry_hash)
        .where(AuditEntry.entity.is_not(None))
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    ).first()
    return (found.seq, found.entry_hash) if found else (0, GENESIS_HASH)


_seal_key: bytes | None = None


def set_seal_key(secret_key: str) -> None:
    """Derive the key that seals the audit head from the application's secret key.

    The key lives with the application (EVIDENCE_SECRET_KEY), never in the
    database, so a database alone is not enough to forge a seal.
    """
    global _seal_key
    _seal_key = hmac.new(secret_key.encode(), b"evidence audit head seal 1", "sha256").digest()


def seal(previous_seal: str, seq: int, entry_hash: str) -> str:
    """The head's seal after appending entry ``seq``: a keyed hash of the previous seal
    (GENESIS_HASH for an empty log) and the new entry."""
    if _seal_key is None:
        raise RuntimeError("the audit seal key is not set: build the app with create_app() first")
    message = f"{previous_seal}:{seq}:{entry_hash}".encode()
    return hmac.new(_seal_key, message, "sha256").hexdigest()


def seal_of_chain(
    session: Session, up_to: int, entry_model: type[AuditEntry | AuditRead] = AuditEntry
) -> str:
    """The seal of the stored chain up to entry ``up_to``, computed from the start."""
    current = GENESIS_HASH
    stmt = (
        select(entry_model.seq, entry_model.entry_hash)
        .where(entry_model.seq <= up_to)
        .order_by(entry_model.seq)
        .execution_options(yield_per=5000)
    )
    for seq, linked in session.execute(stmt):
        current = seal(current, seq, linked)
    return current


def lock_head(session: Session, head_model: type[ChainHead] = AuditHead) -> HeadRow:
    """The head row, locked until commit (FOR UPDATE on PostgreSQL; writers hold SQLite's
    write lock from BEGIN IMMEDIATE). Created, without racing, on the first append."""
    connection = session.connection()
    locked = (
        select(head_model.seq, head_model.entry_hash, head_model.entries, head_model.seal)
        .where(head_model.id == 1)
        .with_for_update()
    )
    found = connection.execute(locked).first()
    if found is None:
        genesis = {"id": 1, "seq": 0, "entry_hash": GENESIS_HASH, "entries": 0}
        genesis["seal"] = GENESIS_HASH
        insert_genesis = (
            postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
        )(head_model).values(**genesis)
        connection.execute(insert_genesis.on_conflict_do_nothing())
        found = connection.execute(locked).first()
    return HeadRow(found.seq, found.entry_hash, found.entries, found.seal)


def append(
    session: Session,
    bodies: list[dict[str, Any]],
    locked: HeadRow,
    entry_model: type[AuditEntry | AuditRead] = AuditEntry,
    head_model: type[ChainHead] = AuditHead,
) -> None:
    """Chain ``bodies`` after the locked head (of the changes unless the models say), seal
    them, and move the head."""
    connection = session.connection()
    seq, prev_hash, sealed = locked.seq, locked.entry_hash, locked.seal
    if sealed is None:  # a log written before heads were sealed: seal it once, from the start
        sealed = seal_of_chain(session, seq, entry_model)
    rows = []
    for body in bodies:
        seq += 1
        row = {**body, "seq": seq, "prev_hash": prev_hash}
        if "changes" in body:  # an entry of changes, given as canonical JSON text
            row["entry_hash"] = entry_hash(prev_hash, seq, body, body["changes"].encode())
        else:
            row["entry_hash"] = entry_hash(prev_hash, seq, body)
        rows.append(row)
        prev_hash, sealed = row["entry_hash"], seal(sealed, seq, row["entry_hash"])
    serialised = {"changes", "state"} if entry_model is AuditEntry else set()
    insert_rows(connection, entry_model.__table__, rows, serialised)
    connection.execute(
        update(head_model)
        .where(head_model.id == 1)
        .values(seq=seq, entry_hash=prev_hash, entries=locked.entries + len(rows), seal=sealed)
    )
