"""The editing steps every domain service shares: keys, references, versions, retraction.

They take a `Session` and flush, never commit; a conflicting edit raises
`Conflict` and leaves the database unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from evidence import dates
from evidence.core.keys import KEY_RE, slugify_key
from evidence.core.messages import FieldName, Message, explained_message, message
from evidence.core.timestamps import utcnow
from evidence.core.validation import FieldErrors, ValidationError, clean_text, require_text
from evidence.core.versioning import KeyedRecord
from evidence.db import Base
from evidence.records.loading import ENTITY_OF_MODEL, load_records
from evidence.records.names import NameOutcome, accepts_names, typed_names, visible_keys

RecordT = TypeVar("RecordT", bound=KeyedRecord)
# A reference to another record: the record itself, its id or its key.
Ref = KeyedRecord | int | str


class Conflict(Exception):
    """Someone else changed the record since the editor loaded it; nothing was written.

    ``current`` is the stored record in its evidence/1 form (apply the protection
    filter before showing it), ``attempted`` the fields the editor submitted.
    """

    def __init__(
        self,
        record: KeyedRecord,
        expected_version: int | None,
        current: dict[str, Any] | None,
        current_version: int | None,
        attempted: dict[str, Any],
    ) -> None:
        self.entity = ENTITY_OF_MODEL[type(record)].name
        self.record_id = record.id
        self.expected_version = expected_version
        self.current = current
        self.current_version = current_version
        self.attempted = attempted
        super().__init__(
            f"{self.entity} {self.record_id} was changed by someone else"
            f" (you edited version {expected_version}, it is now at version {current_version})"
        )


def check_date(
    errors: FieldErrors, field: str, text: str | None, *, required: bool = False
) -> dates.DateBounds | None:
    """Parse an EDTF date; None for an empty optional one."""
    text = clean_text(text)
    if text is None:
        if required:
            errors.add(
                field,
                message(
                    "%(field)s is required (an EDTF date such as 2020-08-10 or 2000/2001)",
                    field=FieldName(field),
                ),
            )
        return None
    try:
        return dates.parse(text)
    except dates.InvalidDate as exc:
        errors.add(field, unreadable_date(exc))
        return None


def unreadable_date(problem: dates.InvalidDate) -> Message:
    """The parser's own words for English readers (they name the exact problem, and exist
    in English only), a translated refusal with examples for the others."""
    return explained_message(
        str(problem),
        '"%(text)s" is not a date that can be read: write it as you would say it (10.08.2020,'
        " about August 2020, between 2000 and 2001) or as EDTF: %(examples)s",
        text=problem.text,
        examples=dates.EXAMPLES,
    )


def key_taken(session: Session, model: type[KeyedRecord], exclude_id: int | None = None):
    """A ``taken`` callable for slugify_key: whether ``model`` already uses a key."""

    def taken(key: str) -> bool:
        stmt = select(model.id).where(model.key == key)
        if exclude_id is not None:
            stmt = stmt.where(model.id != exclude_id)
        with session.no_autoflush:
            return session.scalar(stmt) is not None

    return taken


def check_key(
    errors: FieldErrors,
    session: Session,
    model: type[KeyedRecord],
    key: str | None,
    *,
    title: str,
    record: KeyedRecord | None = None,
) -> str:
    """The record's key: the one given (checked) or, when empty, one generated from title."""
    key = clean_text(key)
    taken = key_taken(session, model, record.id if record is not None else None)
    if key is None:
        return slugify_key(title, taken, fallback=ENTITY_OF_MODEL[model].name.replace("_", "-"))
    if not KEY_RE.match(key):
        errors.add(
            "key",
            message(
                'key "%(key)s" must be 1-80 lower-case letters, digits and hyphens,'
                " starting with a letter or digit",
                key=key,
            ),
        )
    elif taken(key):
        errors.add("key", message('key "%(key)s" is already used by another record', key=key))
    return key


def clean_key(
    errors: FieldErrors,
    session: Session,
    model: type[KeyedRecord],
    fields: dict[str, Any],
    values: dict[str, Any],
    record: KeyedRecord | None,
    title_field: str,
) -> None:
    """Put the key into ``values`` when creating, or when an edit gives a new one.

    An empty key on an edit keeps the record's key, since others may cite it.
    """
    given = clean_text(fields.get("key"))
    if given is not None or record is None:
        title = values.get(title_field) or ""
        values["key"] = check_key(errors, session, model, given, title=title, record=record)


def resolve(
    errors: FieldErrors,
    session: Session,
    model: type[RecordT],
    field: str,
    ref: Ref | None,
    *,
    required: bool = False,
) -> RecordT | None:
    """The record a reference names (itself, its id or its key), or an error on ``field``.

    While names are accepted (names.accepting_names), a reference that is no key of a
    record the audience may see is read as the record's name or alias.
    """
    label = ENTITY_OF_MODEL[model].name.replace("_", " ")
    if isinstance(ref, str):
        ref = ref.strip()
    if ref is None or ref == "":
        if required:
            errors.add(
                field,
                message(
                    "%(field)s is required: choose a %(noun)s",
                    field=FieldName(field),
                    noun=Message(label),
                ),
            )
        return None
    if isinstance(ref, model):
        return ref
    with session.no_autoflush:
        if isinstance(ref, int) and not isinstance(ref, bool):
            found = session.get(model, ref)
            missing = message("no %(noun)s with id %(id)s", noun=Message(label), id=ref)
        elif isinstance(ref, str):
            found = session.scalar(
                select(model).where(model.key == ref, visible_keys(session, model))
            )
            missing = message('no %(noun)s with key "%(key)s"', noun=Message(label), key=ref)
        else:
            found, missing = (
                None,
                message("not a %(noun)s: %(value)r", noun=Message(label), value=ref),
            )
    names = typed_names(session)
    if found is None and isinstance(ref, str) and names is not None and accepts_names(model):
        found = names.resolve(session, model, field, ref)
        if found is None:
            missing = _name_problem(label, ref, names.outcomes[field])
    if found is None:
        errors.add(field, missing)
    return found


def _name_problem(label: str, typed: str, outcome: NameOutcome) -> Message:
    if outcome.choices:
        return message(
            'Several records (%(noun)s) are named "%(typed)s": give the key of the one you mean'
            " (%(keys)s).",
            noun=Message(label),
            typed=typed,
            keys=", ".join(choice.key for choice in outcome.choices),
        )
    if outcome.nearest:
        return message(
            'No %(noun)s has the key or name "%(typed)s". Did you mean %(keys)s?',
            noun=Message(label),
            typed=typed,
            keys=", ".join(near.key for near in outcome.nearest),
        )
    return message('No %(noun)s has the key or name "%(typed)s".', noun=Message(label), typed=typed)


def _stored(session: Session, record: KeyedRecord) -> tuple[dict[str, Any] | None, int | None]:
    entity = ENTITY_OF_MODEL[type(record)]
    with session.no_autoflush:
        version = session.scalar(select(entity.model.version).where(entity.model.id == record.id))
        current = load_records(session, entity.name, [record.id]).get(record.id)
    return current, version


def check_version(
    session: Session, record: KeyedRecord, expected_version: int | None, attempted: dict[str, Any]
) -> None:
    """Raise Conflict when the editor did not see the stored version of ``record``."""
    if expected_version is None or int(expected_version) == record.version:
        return
    current, version = _stored(session, record)
    raise Conflict(record, expected_version, current, version, attempted)


@contextmanager
def saving(
    session: Session,
    record: KeyedRecord,
    expected_version: int | None = None,
    attempted: dict[str, Any] | None = None,
) -> Iterator[None]:
    """Apply changes to ``record`` inside a savepoint and flush them, bumping its version.

    The version grows even when only child rows (citations, links) changed, so a
    concurrent edit of any part of the record is detected. When another
    transaction changed the row meanwhile the flush raises StaleDataError: the
    savepoint is rolled back and Conflict is raised instead.
    """
    attempted = attempted or {}
    check_version(session, record, expected_version, attempted)
    try:
        with session.begin_nested():
            yield
            if record.id is not None:
                flag_modified(record, "key")
            session.flush()
    except StaleDataError:
        session.expire(record)
        current, version = _stored(session, record)
        raise Conflict(record, expected_version, current, version, attempted) from None


def create(session: Session, record: RecordT) -> RecordT:
    session.add(record)
    session.flush()
    return record


def retract(
    session: Session,
    record: RecordT,
    reason: str | None,
    by: str,
    expected_version: int | None = None,
) -> RecordT:
    """Withdraw a record with a reason; it stays in the database and its history."""
    errors = FieldErrors()
    reason = require_text(errors, "reason", reason)
    if record.is_retracted:
        errors.add("reason", message("this record is already retracted"))
    errors.raise_if_any()
    with saving(session, record, expected_version, {"retracted": reason}):
        record.retracted_at = utcnow()
        record.retracted_by = by
        record.retraction_reason = reason
    return record


def restore(session: Session, record: RecordT, expected_version: int | None = None) -> RecordT:
    """Undo a retraction."""
    if not record.is_retracted:
        raise ValidationError({"reason": message("this record is not retracted")})
    with saving(session, record, expected_version, {"retracted": None}):
        record.retracted_at = None
        record.retracted_by = None
        record.retraction_reason = None
    return record


def apply_fields(record: Base, values: dict[str, Any]) -> None:
    for name, value in values.items():
        setattr(record, name, value)
