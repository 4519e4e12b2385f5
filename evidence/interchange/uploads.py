"""Spreadsheet import from the browser, step by step: upload, map columns, review, accept.

Each step reads the upload kept in the database and writes nothing of the
evidence; only `accept_upload` imports, through the same atomic, audited path
as `evidence import-sheet` (sheets.accept_review).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evidence import limits
from evidence.core.messages import Joined, Message, message, plural_message
from evidence.core.timestamps import utcnow
from evidence.core.validation import ValidationError
from evidence.interchange.models import SheetMapping, SheetUpload
from evidence.interchange.services import ImportSummary
from evidence.interchange.sheets import (
    KINDS,
    Candidate,
    Review,
    Sheet,
    SheetError,
    accept_review,
    choice_id,
    mapping_problems,
    read_sheet_bytes,
    review_sheet,
    with_choices,
)


@dataclass(frozen=True)
class Ambiguity:
    """A name in a cell that matches several records: the documenter picks one."""

    id: str
    row: int
    column: str
    name: str
    protected: bool
    candidates: list[Candidate]


def create_upload(
    session: Session, *, filename: str, data: bytes, kind: str, by: str
) -> SheetUpload:
    """Keep a readable sheet for the next steps; ValidationError naming the field if not."""
    if kind not in KINDS:
        raise ValidationError(
            {"kind": message("choose one of %(choices)s", choices=", ".join(KINDS))}
        )
    try:
        read_sheet_bytes(filename, data)
    except SheetError as error:
        raise ValidationError({"file": Joined(error.problems, "; ")}) from None
    upload = SheetUpload(filename=filename, kind=kind, content=data, uploaded_by=by, choices={})
    session.add(upload)
    session.flush()
    return upload


def sheet_of(upload: SheetUpload) -> Sheet:
    return read_sheet_bytes(upload.filename, upload.content or b"")


def pending_uploads(session: Session, by: str) -> list[SheetUpload]:
    """The user's uploads not yet imported, newest first."""
    return list(
        session.scalars(
            select(SheetUpload)
            .where(SheetUpload.uploaded_by == by, SheetUpload.imported_at.is_(None))
            .order_by(SheetUpload.id.desc())
        )
    )


def saved_mappings(session: Session, kind: str) -> list[SheetMapping]:
    return list(
        session.scalars(
            select(SheetMapping).where(SheetMapping.kind == kind).order_by(SheetMapping.name)
        )
    )


def set_mapping(
    session: Session, upload: SheetUpload, mapping: dict[str, str], *, save_as: str, by: str
) -> None:
    """Use ``mapping`` ({field: column}) for the upload and, when named, keep it for later.

    ValidationError under the field a problem is about; a name another documenter has
    saved a mapping under is theirs, so it is refused (under ``save_as``) rather than
    overwritten.
    """
    mapping = {name: column for name, column in mapping.items() if column}
    problems = mapping_problems(mapping, upload.kind, sheet_of(upload).headers)
    if problems:
        raise ValidationError(problems)
    upload.mapping = mapping
    upload.choices = {}
    name = save_as.strip()
    if not name:
        return
    if len(name) > limits.MAPPING_NAME:
        raise ValidationError(
            {
                "save_as": plural_message(
                    "at most %(num)d character",
                    "at most %(num)d characters",
                    limits.MAPPING_NAME,
                )
            }
        )
    _save_mapping(session, upload.kind, name, mapping, by)


def _save_mapping(session: Session, kind: str, name: str, mapping: dict[str, str], by: str) -> None:
    saved = _saved_mapping(session, kind, name)
    if saved is None:
        try:
            # Another documenter may insert the same name between the look-up and this
            # insert: the unique constraint refuses the second, and only this savepoint
            # is rolled back.
            with session.begin_nested():
                session.add(SheetMapping(kind=kind, name=name, mapping=mapping, saved_by=by))
            return
        except IntegrityError:
            saved = _saved_mapping(session, kind, name)
            if saved is None:
                raise
    if saved.saved_by != by:
        raise ValidationError(
            {
                "save_as": message(
                    '%(account)s has saved a mapping named "%(name)s"; choose another name',
                    account=saved.saved_by,
                    name=name,
                )
            }
        )
    saved.mapping, saved.saved_at = dict(mapping), utcnow()


def _saved_mapping(session: Session, kind: str, name: str) -> SheetMapping | None:
    return session.scalar(
        select(SheetMapping).where(SheetMapping.kind == kind, SheetMapping.name == name)
    )


def review_upload(session: Session, upload: SheetUpload) -> Review:
    """What accepting would write, with the names already chosen; writes nothing."""
    sheet = with_choices(sheet_of(upload), upload.kind, upload.mapping or {}, upload.choices)
    return review_sheet(
        session, sheet, upload.kind, upload.mapping or {}, create_missing=upload.create_missing
    )


def ambiguities(review: Review) -> list[Ambiguity]:
    return [
        Ambiguity(
            choice_id(row.row, match.column, match.name),
            row.row,
            match.column,
            match.name,
            match.protected,
            match.candidates,
        )
        for row in review.rows
        for match in row.names
        if len(match.candidates) > 1
    ]


def choose(
    session: Session, upload: SheetUpload, picks: dict[str, str], *, create_missing: bool
) -> None:
    """Record the documenter's pick (a candidate's position) for each ambiguous name, and
    whether names that match nothing create new records."""
    upload.create_missing = create_missing
    chosen = dict(upload.choices)
    for ambiguity in ambiguities(review_upload(session, upload)):
        pick = picks.get(ambiguity.id, "")
        if pick.isdigit() and int(pick) < len(ambiguity.candidates):
            chosen[ambiguity.id] = ambiguity.candidates[int(pick)].key
    upload.choices = chosen


def stored_summary(upload: SheetUpload) -> Message | str | None:
    """What an accepted sheet wrote, worded for the page to say in its reader's language.

    The counts are kept, not a sentence, so the page can be read later in any language;
    sheets imported before that keep the English sentence they were given.
    """
    if upload.summary is None:
        return None
    try:
        counts = json.loads(upload.summary)
    except ValueError:
        return upload.summary
    return ImportSummary(**counts).describe()


def accept_upload(session: Session, upload: SheetUpload) -> ImportSummary:
    """Import the reviewed sheet (atomic, audited); SheetError lists what stops it."""
    summary = accept_review(session, review_upload(session, upload))
    upload.imported_at = utcnow()
    upload.summary = json.dumps(asdict(summary), sort_keys=True)
    upload.content = None  # a sheet of statements may name protected witnesses: not kept
    return summary


def discard(session: Session, upload: SheetUpload) -> None:
    session.delete(upload)
