"""Exhibits: files held as evidence, their links to records and their chain of custody.

The bytes go to the content-addressed store (evidence.store) under their
SHA-256; the database keeps the hash, size, the type detected from the
content, the name the file arrived with (as text only: it never becomes a
path) and an append-only list of custody events.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

import filetype
from sqlalchemy import ColumnElement, Select, false, select
from sqlalchemy.orm import Session

from evidence.core.keys import slugify_key
from evidence.core.messages import message
from evidence.core.timestamps import iso_utc, utcnow
from evidence.core.validation import FieldErrors, ValidationError, clean_text
from evidence.exhibits.models import CustodyEvent, Exhibit, ExhibitLink
from evidence.incidents.models import Incident
from evidence.links.models import Capture
from evidence.records.editing import check_date, key_taken, resolve
from evidence.sources.models import Source
from evidence.statements.models import Statement
from evidence.store import FixityProblem, Store, TooLarge, describe_size
from evidence.vocabularies import CUSTODY_ACTIONS

UNKNOWN_TYPE = "application/octet-stream"
MAX_FILENAME = 255
# The model's link column for each kind of record an exhibit can be linked to.
LINK_TARGETS = (
    ("incidents", Incident, "incident_id"),
    ("statements", Statement, "statement_id"),
    ("sources", Source, "source_id"),
)


def detect_media_type(head: bytes) -> str:
    """The type the bytes say they are (magic numbers), whatever the file's name claims."""
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime
    if not head:
        return "application/x-empty"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the head is still text.
        if error.start < len(head) - 3:
            return UNKNOWN_TYPE
        text = head[: error.start].decode("utf-8")
    printable = all(ch.isprintable() or ch in "\r\n\t\f" for ch in text)
    return "text/plain" if printable else UNKNOWN_TYPE


def clean_filename(name: str | None) -> str:
    """The name as given, kept as a label: control characters removed, length bounded."""
    text = "".join(ch for ch in (name or "") if unicodedata.category(ch)[0] != "C").strip()
    return text[:MAX_FILENAME] or "unnamed file"


def _resolve_links(
    errors: FieldErrors, session: Session, targets: dict[str, Sequence[Any]]
) -> list[ExhibitLink]:
    links = []
    for field, model, column in LINK_TARGETS:
        for ref in targets.get(field, ()):
            if isinstance(ref, str) and not ref.strip():
                continue
            record = resolve(errors, session, model, field, ref)
            if record is not None and not any(getattr(link, column) == record.id for link in links):
                links.append(ExhibitLink(**{column: record.id}, position=len(links)))
    if not links and not errors:
        errors.add("incidents", message("link the exhibit to an incident, statement or source"))
    return links


def add_exhibit(
    session: Session,
    store: Store,
    stream: BinaryIO,
    *,
    filename: str | None,
    by: str,
    incidents: Sequence[Any] = (),
    statements: Sequence[Any] = (),
    sources: Sequence[Any] = (),
    acquired: str | None = None,
    acquired_from: str | None = None,
    acquired_how: str | None = None,
    max_bytes: int | None = None,
) -> Exhibit:
    """Store the file and record it, linked and with its first custody events.

    Everything the user typed is checked before a byte is stored; a file over
    ``max_bytes`` is refused (ValidationError on "file") and leaves nothing.
    """
    errors = FieldErrors()
    links = _resolve_links(
        errors, session, {"incidents": incidents, "statements": statements, "sources": sources}
    )
    acquired = clean_text(acquired)
    check_date(errors, "acquired", acquired)
    errors.raise_if_any()
    try:
        stored = store.put(stream, max_bytes, session=session)
    except TooLarge as too_large:
        raise ValidationError(
            {
                "file": message(
                    "larger than the limit of %(size)s; nothing was stored",
                    size=describe_size(too_large.limit),
                )
            }
        ) from None
    if stored.size == 0:
        raise ValidationError({"file": message("the file is empty")})
    name = clean_filename(filename)
    media_type = detect_media_type(stored.head)
    exhibit = Exhibit(
        key=slugify_key(f"exhibit {stored.sha256[:12]}", key_taken(session, Exhibit)),
        sha256=stored.sha256,
        filename=name,
        media_type=media_type,
        size=stored.size,
        acquired=acquired,
        acquired_from=clean_text(acquired_from),
        links=links,
    )
    now = iso_utc(utcnow())
    if acquired or clean_text(acquired_from) or clean_text(acquired_how):
        exhibit.custody.append(
            CustodyEvent(
                at=now,
                action="acquired",
                by=by,
                note=_acquisition_note(acquired, acquired_from, acquired_how),
                position=0,
            )
        )
    exhibit.custody.append(
        CustodyEvent(
            at=now,
            action="uploaded",
            by=by,
            note=f"received as {name!r}, {stored.size} bytes, detected {media_type},"
            f" SHA-256 {stored.sha256}",
            position=len(exhibit.custody),
        )
    )
    session.add(exhibit)
    session.flush()
    return exhibit


def add_redacted_copy(
    session: Session,
    store: Store,
    original: Exhibit,
    stream: BinaryIO,
    *,
    filename: str | None,
    by: str,
    max_bytes: int | None = None,
) -> Exhibit:
    """Store a redacted copy of ``original`` as its public derivative.

    The copy gets the original's links, so it appears wherever the original would; the
    public then sees only the copy (evidence.protection). Both files stay hashed, and a
    "redacted" custody event on each names the other and its SHA-256.
    """
    if original.redacts_id is not None:
        raise ValidationError({"file": message("this exhibit is itself a redacted copy")})
    if original.is_retracted:
        raise ValidationError({"file": message("the exhibit is retracted")})
    if session.scalar(select(Exhibit.id).where(Exhibit.redacts_id == original.id)) is not None:
        raise ValidationError({"file": message("this exhibit already has a redacted copy")})
    linked = {
        field: [getattr(link, column) for link in original.links if getattr(link, column)]
        for field, _model, column in LINK_TARGETS
    }
    copy = add_exhibit(
        session, store, stream, filename=filename, by=by, max_bytes=max_bytes, **linked
    )
    if copy.sha256 == original.sha256:
        raise ValidationError(
            {"file": message("this is the original file itself, not a redacted copy")}
        )
    copy.redacts_id = original.id
    note = f"redacted copy {copy.key} (SHA-256 {copy.sha256}) of {original.key}"
    note += f" (SHA-256 {original.sha256})"
    for exhibit in (original, copy):
        add_custody_event(session, exhibit, action="redacted", by=by, note=note)
    return copy


def redacted_copy_of(session: Session, original: Exhibit) -> Exhibit | None:
    return session.scalar(select(Exhibit).where(Exhibit.redacts_id == original.id))


def _acquisition_note(date: str | None, source: str | None, how: str | None) -> str:
    parts = [
        f"from {clean_text(source)}" if clean_text(source) else None,
        f"on {date}" if date else None,
        clean_text(how),
    ]
    return "; ".join(part for part in parts if part)


def add_custody_event(
    session: Session, exhibit: Exhibit, *, action: str, by: str, note: str | None = None
) -> CustodyEvent:
    """Append one event to the chain of custody (events are never changed or removed)."""
    if action not in CUSTODY_ACTIONS:
        raise ValidationError(
            {
                "action": message(
                    "action must be one of: %(choices)s (got %(value)r)",
                    choices=", ".join(CUSTODY_ACTIONS),
                    value=action,
                )
            }
        )
    event = CustodyEvent(
        at=iso_utc(utcnow()),
        action=action,
        by=by,
        note=clean_text(note),
        position=len(exhibit.custody),
    )
    exhibit.custody.append(event)
    session.flush()
    return event


def verify_exhibit(session: Session, store: Store, exhibit: Exhibit, *, by: str) -> str | None:
    """Re-hash the exhibit's file and record the outcome as a "verified" custody event.

    Returns None when intact, else "missing" or "altered".
    """
    problem = store.check(exhibit.sha256)
    note = f"SHA-256 {exhibit.sha256} matches" if problem is None else f"FAILED: file {problem}"
    add_custody_event(session, exhibit, action="verified", by=by, note=note)
    return problem


def stored_files(session: Session) -> dict[str, list[str]]:
    """Every hash the database expects in the store -> what holds it."""
    expected: dict[str, list[str]] = defaultdict(list)
    for sha256, key in session.execute(select(Exhibit.sha256, Exhibit.key).order_by(Exhibit.key)):
        expected[sha256].append(f"exhibit {key}")
    captures = select(Capture.sha256, Capture.id, Source.key).join(Source)
    for sha256, capture_id, key in session.execute(captures.order_by(Capture.id)):
        expected[sha256].append(f"capture {capture_id} of source {key}")
    return expected


def fixity_problems(session: Session, store: Store) -> list[FixityProblem]:
    """Every file of exhibits and captures that is missing or altered in the store."""
    return store.verify_all(stored_files(session))


# --- reading -----------------------------------------------------------------------------


def exhibits_query(
    *,
    visible: ColumnElement[bool],
    text: str | None = None,
    media: str | None = None,
    by_filename: bool = True,
    names_protected: bool = False,
) -> Select[Any]:
    """Live exhibits newest first, of those ``visible`` (the audience's condition from
    evidence.protection). ``text`` matches the key, and the file name when ``by_filename``
    (an audience that is never shown file names must not be able to probe them).
    ``names_protected``: the text may name a person protected from the audience, so it
    matches nothing."""
    stmt = (
        select(Exhibit).where(Exhibit.retracted_at.is_(None), visible).order_by(Exhibit.id.desc())
    )
    if names_protected:
        stmt = stmt.where(false())
    elif text:
        pattern = f"%{text.lower()}%"
        matches = Exhibit.key.ilike(pattern)
        if by_filename:
            matches = matches | Exhibit.filename.ilike(pattern)
        stmt = stmt.where(matches)
    if media:
        stmt = stmt.where(Exhibit.media_type.startswith(media))
    return stmt


@dataclass(frozen=True)
class ExhibitDetail:
    exhibit: Exhibit
    incidents: list[Incident]
    statements: list[Statement]
    sources: list[Source]


def load_exhibit(session: Session, key: str) -> ExhibitDetail | None:
    exhibit = session.scalar(select(Exhibit).where(Exhibit.key == key))
    if exhibit is None:
        return None
    linked: dict[str, list[Any]] = {}
    for field, model, column in LINK_TARGETS:
        ids = [getattr(link, column) for link in exhibit.links if getattr(link, column)]
        records = session.scalars(select(model).where(model.id.in_(ids))).all() if ids else []
        linked[field] = sorted(records, key=lambda record: ids.index(record.id))
    return ExhibitDetail(exhibit, **linked)


def linked_exhibits(
    session: Session, *, column: str, record_id: int, visible: ColumnElement[bool]
) -> list[Exhibit]:
    """The live exhibits linked to one incident, statement or source (column: e.g.
    "incident_id"), oldest first; as exhibits_query decides for the audience."""
    stmt = (
        select(Exhibit)
        .join(ExhibitLink, ExhibitLink.exhibit_id == Exhibit.id)
        .where(getattr(ExhibitLink, column) == record_id, Exhibit.retracted_at.is_(None), visible)
        .order_by(Exhibit.id)
    )
    return list(session.scalars(stmt))
