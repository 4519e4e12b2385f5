"""Helpers shared by the domain services: validation errors, keys, references, versions.

Every service validates all of its input before it changes anything, collects
the problems per form field in a `FieldErrors`, and raises one
`ValidationError`; so web forms, the CLI and scripts show the same messages
and nothing is written when any input is wrong.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, TypeVar

from flask_babel import gettext
from sqlalchemy import String, cast, exists, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.elements import ColumnElement
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional, Regexp
from wtforms.validators import ValidationError as FieldError

from evidence import dates, limits
from evidence.date_phrases import to_edtf
from evidence.db import Base
from evidence.interchange.records import ENTITY_OF_MODEL, load_records
from evidence.records import KEY_PATTERN, KeyedRecord, utcnow
from evidence.vocabularies import translatable
from evidence.web.input import BoundedForm
from evidence.web.language import DEFAULT_LANGUAGE, LazyText, lazy_gettext, page_language

KEY_RE = re.compile(KEY_PATTERN)
MAX_KEY_LENGTH = limits.KEY
RecordT = TypeVar("RecordT", bound=KeyedRecord)
# A reference to another record: the record itself, its id or its key.
Ref = KeyedRecord | int | str


class ValidationError(ValueError):
    """User input that breaks a rule; ``errors`` maps each form field to its message.

    Field names of list items follow WTForms' FieldList naming
    (``involvements-0-unit``), so a form can show each message beside its field.
    """

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{field}: {message}" for field, message in self.errors.items()))


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


class FieldErrors(dict[str, str]):
    """Problems found so far, one message per field (the first one found wins)."""

    def add(self, field: str, message: str) -> None:
        self.setdefault(field, message)

    def raise_if_any(self) -> None:
        if self:
            raise ValidationError(self)


def field_name(*parts: str | int) -> str:
    """The WTForms name of a nested field: ("involvements", 0, "unit") -> involvements-0-unit."""
    return "-".join(str(part) for part in parts)


# --- text -------------------------------------------------------------------------------


def clean_text(value: str | None) -> str | None:
    """Trimmed text, or None when nothing is left."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def require_text(errors: FieldErrors, field: str, value: str | None) -> str:
    cleaned = clean_text(value)
    if cleaned is None:
        errors.add(field, f"{field} is required")
        return ""
    return cleaned


def clean_names(errors: FieldErrors, fields: Mapping[str, Any], values: dict[str, Any]) -> None:
    """The ``name`` (required) and ``aliases`` of a place, unit or person, when given."""
    if "name" in fields:
        values["name"] = require_text(errors, "name", fields["name"])
    if "aliases" in fields:
        values["aliases"] = parse_aliases(fields["aliases"])


def parse_aliases(value: str | Iterable[str] | None) -> list[str]:
    """Aliases from a textarea (one per line) or a list: trimmed, without blanks or repeats."""
    if value is None:
        return []
    lines = value.splitlines() if isinstance(value, str) else value
    aliases: list[str] = []
    for line in lines:
        alias = line.strip()
        if alias and alias not in aliases:
            aliases.append(alias)
    return aliases


def check_choice(errors: FieldErrors, field: str, value: Any, allowed: Iterable[Any]) -> Any:
    allowed = list(allowed)
    if value not in allowed:
        choices = ", ".join(str(choice) for choice in allowed)
        errors.add(field, f'{field} must be one of: {choices} (got "{value}")')
    return value


def check_date(
    errors: FieldErrors, field: str, text: str | None, *, required: bool = False
) -> dates.DateBounds | None:
    """Parse an EDTF date; None for an empty optional one."""
    text = clean_text(text)
    if text is None:
        if required:
            errors.add(field, f"{field} is required (an EDTF date such as 2020-08-10 or 2000/2001)")
        return None
    try:
        return dates.parse(text)
    except dates.InvalidDate as exc:
        errors.add(field, str(exc))
        return None


# --- keys -------------------------------------------------------------------------------

_CYRILLIC_LETTERS = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіўєїґ"
_LATIN_SPELLINGS = (
    "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch ' y ' e yu ya i u ye yi g"
)
_CYRILLIC = dict(zip(_CYRILLIC_LETTERS, _LATIN_SPELLINGS.split(" "), strict=True))


def _ascii_words(text: str) -> str:
    text = "".join(_CYRILLIC.get(char, char) for char in text.lower()).replace("'", "")
    text = text.replace("ł", "l")  # Łacinka: the one letter NFKD leaves without an ASCII base
    text = unicodedata.normalize("NFKD", text)
    # A dash or symbol with no ASCII form parts words ("2000–2001"), it must not join them.
    text = "".join(c if c.isalnum() or unicodedata.combining(c) else " " for c in text)
    return text.encode("ascii", "ignore").decode()


def _cut_at_word(slug: str, length: int) -> str:
    """``slug`` shortened to ``length`` at most, after a whole word when it has more than one."""
    if len(slug) <= length:
        return slug
    boundary = slug[: length + 1].rfind("-")
    return slug[:boundary] if boundary > 0 else slug[:length]


def slugify_key(title: str, taken: Callable[[str], bool], fallback: str = "record") -> str:
    """A key matching KEY_PATTERN made from ``title`` (Cyrillic transliterated), unique by
    ``taken``: "Zhodino prison" -> "zhodino-prison", then "zhodino-prison-2", ..."""
    base = re.sub(r"[^a-z0-9]+", "-", _ascii_words(title)).strip("-") or fallback
    base = _cut_at_word(base, MAX_KEY_LENGTH)
    candidate, number = base, 1
    while taken(candidate):
        number += 1
        suffix = f"-{number}"
        candidate = _cut_at_word(base, MAX_KEY_LENGTH - len(suffix)) + suffix
    return candidate


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
            f'key "{key}" must be 1-80 lower-case letters, digits and hyphens,'
            " starting with a letter or digit",
        )
    elif taken(key):
        errors.add("key", f'key "{key}" is already used by another record')
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


# --- references -------------------------------------------------------------------------


def resolve(
    errors: FieldErrors,
    session: Session,
    model: type[RecordT],
    field: str,
    ref: Ref | None,
    *,
    required: bool = False,
) -> RecordT | None:
    """The record a reference names (itself, its id or its key), or an error on ``field``."""
    label = ENTITY_OF_MODEL[model].name.replace("_", " ")
    if isinstance(ref, str):
        ref = ref.strip()
    if ref is None or ref == "":
        if required:
            errors.add(field, f"{field} is required: choose a {label}")
        return None
    if isinstance(ref, model):
        return ref
    with session.no_autoflush:
        if isinstance(ref, int) and not isinstance(ref, bool):
            found = session.get(model, ref)
            missing = f"no {label} with id {ref}"
        elif isinstance(ref, str):
            found = session.scalar(select(model).where(model.key == ref))
            missing = f'no {label} with key "{ref}"'
        else:
            found, missing = None, f"not a {label}: {ref!r}"
    if found is None:
        errors.add(field, missing)
    return found


# --- versions, flushing, retraction -----------------------------------------------------


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
        errors.add("reason", "this record is already retracted")
    errors.raise_if_any()
    with saving(session, record, expected_version, {"retracted": reason}):
        record.retracted_at = utcnow()
        record.retracted_by = by
        record.retraction_reason = reason
    return record


def restore(session: Session, record: RecordT, expected_version: int | None = None) -> RecordT:
    """Undo a retraction."""
    if not record.is_retracted:
        raise ValidationError({"reason": "this record is not retracted"})
    with saving(session, record, expected_version, {"retracted": None}):
        record.retracted_at = None
        record.retracted_by = None
        record.retraction_reason = None
    return record


def apply_fields(record: Base, values: dict[str, Any]) -> None:
    for name, value in values.items():
        setattr(record, name, value)


def check_fields(given: dict[str, Any], allowed: Sequence[str]) -> None:
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise TypeError(f"unknown field(s): {', '.join(unknown)}")


# --- queries ----------------------------------------------------------------------------


@dataclass
class Page:
    """One page of a list: its items and the total over all pages."""

    items: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def like_pattern(text: str) -> str:
    escaped = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def names_match(session: Session, name: Any, aliases: Any, text: str) -> ColumnElement[bool]:
    """``name`` or any element of the JSON list ``aliases`` contains ``text`` (any case).

    Aliases are matched element by element because the JSON text escapes
    non-ASCII letters. SQLite folds only ASCII case; PostgreSQL folds all.
    """
    pattern = like_pattern(text)
    if session.get_bind().dialect.name == "postgresql":
        elements = func.json_array_elements_text(aliases).table_valued("value")
    else:
        elements = func.json_each(aliases).table_valued("value")
    alias_hit = exists(
        select(1).select_from(elements).where(cast(elements.c.value, String).ilike(pattern, "\\"))
    )
    return or_(name.ilike(pattern, "\\"), alias_hit)


@dataclass(frozen=True)
class Suggestion:
    """One autocomplete hit; ``id`` lets the web layer drop protected persons."""

    kind: str
    id: int
    key: str
    label: str
    aliases: tuple[str, ...]


AUTOCOMPLETE_KINDS = ("units", "persons", "places", "sources", "incidents")


def autocomplete(
    session: Session,
    kind: str,
    text: str,
    limit: int = 10,
    *,
    exclude_ids: Iterable[int] = (),
    hidden_ids: Callable[[type], Any] = lambda _model: None,
    include_retracted: bool = False,
) -> list[Suggestion]:
    """Records of ``kind`` whose name or title, key or any alias contains ``text``, except
    ``exclude_ids``; ``hidden_ids(model)`` gives a SELECT of ids to leave out (or None)."""
    from evidence.models import Incident, Person, Place, Source, Unit

    text = (text or "").strip()
    if kind not in AUTOCOMPLETE_KINDS:
        raise ValidationError({"kind": f"kind must be one of: {', '.join(AUTOCOMPLETE_KINDS)}"})
    if not text:
        return []
    models = {"units": Unit, "persons": Person, "places": Place, "sources": Source}
    model = models.get(kind, Incident)
    titled = model in (Source, Incident)  # titled records have no aliases
    label = model.title if titled else model.name
    matches = (
        or_(label.ilike(like_pattern(text), "\\"), model.key.ilike(like_pattern(text), "\\"))
        if titled
        else or_(names_match(session, label, model.aliases, text), model.key == text)
    )
    stmt = select(model).where(matches)
    exclude_ids = list(exclude_ids)
    if exclude_ids:
        stmt = stmt.where(model.id.not_in(exclude_ids))
    hidden = hidden_ids(model)
    if hidden is not None:
        stmt = stmt.where(model.id.not_in(hidden))
    if not include_retracted:
        stmt = stmt.where(model.retracted_at.is_(None))
    starts = label.ilike(like_pattern(text)[1:], "\\")
    stmt = stmt.order_by(starts.desc(), func.lower(label), model.id).limit(limit)
    return [
        Suggestion(
            kind=kind,
            id=record.id,
            key=record.key,
            label=getattr(record, label.key),
            aliases=tuple(getattr(record, "aliases", ())),
        )
        for record in session.scalars(stmt)
    ]


# --- form building blocks shared by the domain forms ------------------------------------
# (kept here so each domain's forms.py stays small; forms never write to the database)

EDTF_EXAMPLES = dates.EXAMPLES


UNREADABLE_DATE = translatable(
    '"%(text)s" is not a date that can be read: write it as you would say it (10.08.2020,'
    " about August 2020, between 2000 and 2001) or as EDTF: %(examples)s"
)


def unreadable_date(text: str, details: str) -> LazyText:
    """Why a date was refused, in the page's language: in English the parser's own words,
    which name the exact problem; in Belarusian and Russian a translated refusal with
    examples (the parser's details exist in English only)."""

    def message() -> str:
        if page_language() == DEFAULT_LANGUAGE:
            return details
        return gettext(UNREADABLE_DATE) % {"text": text, "examples": EDTF_EXAMPLES}

    return LazyText(message)


class EdtfDate:
    """WTForms validator: the field holds a date phrase or EDTF date (or is empty)."""

    def __call__(self, form: Any, field: Any) -> None:

        text = (field.data or "").strip()
        if text:
            try:
                to_edtf(text)
            except dates.InvalidDate as exc:
                raise FieldError(unreadable_date(text, str(exc))) from None


class DatePhraseField(StringField):
    """A date typed as people say it ("about August 2020") or as EDTF.

    ``data`` is the EDTF to store; the form shows back what was typed.
    """

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        text = (self.data or "").strip()
        if text:
            with suppress(dates.InvalidDate):  # EdtfDate reports it beside the field
                self.data = to_edtf(text)

    def _value(self) -> str:
        return self.raw_data[0] if self.raw_data else super()._value()


def edtf_field(label: str, *, required: bool = False) -> Any:

    presence = (
        InputRequired(lazy_gettext("%(label)s is required", label=label))
        if required
        else Optional()
    )
    return DatePhraseField(
        label,
        validators=[presence, EdtfDate()],
        description=lazy_gettext(
            "As you would say it (10.08.2020, about August 2020, between 2000 and 2001,"
            " каля жніўня 2020, около 2001 года) or as EDTF: %(examples)s",
            examples=EDTF_EXAMPLES,
        ),
        render_kw={
            "data-edtf": "true",
            "placeholder": lazy_gettext("e.g. 10.08.2020 or about August 2020"),
        },
    )


class AliasLines:
    """WTForms validator: at most limits.ALIASES aliases of at most limits.NAME characters."""

    def __call__(self, form: Any, field: Any) -> None:
        aliases = parse_aliases(field.data or "")
        if len(aliases) > limits.ALIASES:
            raise FieldError(f"at most {limits.ALIASES} aliases (this has {len(aliases)})")
        too_long = next((alias for alias in aliases if len(alias) > limits.NAME), None)
        if too_long is not None:
            raise FieldError(
                f"each alias at most {limits.NAME:,} characters"
                f" (one has {len(too_long):,}: {too_long[:40]}…)"
            )


def aliases_field() -> Any:

    return TextAreaField(
        lazy_gettext("Aliases"),
        validators=[AliasLines()],
        description=lazy_gettext("One per line: other spellings and scripts of the name"),
    )


def key_field() -> Any:

    return StringField(
        lazy_gettext("Key"),
        validators=[
            Optional(),
            Regexp(
                KEY_PATTERN,
                message=lazy_gettext("Key: lower-case letters, digits and hyphens only"),
            ),
        ],
        description=lazy_gettext("A stable short name; generated from the title when left empty"),
    )


REFERENCE_HELP = {
    "incidents": lazy_gettext("Type to search incidents by name or alias"),
    "persons": lazy_gettext("Type to search persons by name or alias"),
    "places": lazy_gettext("Type to search places by name or alias"),
    "sources": lazy_gettext("Type to search sources by name or alias"),
    "statements": lazy_gettext("Type to search statements by name or alias"),
    "units": lazy_gettext("Type to search units by name or alias"),
}


def reference_field(label: str, kind: str, *, required: bool = False) -> Any:
    """A text field holding a record's key, filled by autocomplete over ``kind``."""

    presence = (
        InputRequired(lazy_gettext("%(label)s is required", label=label))
        if required
        else Optional()
    )
    return StringField(
        label,
        validators=[presence],
        description=REFERENCE_HELP[kind],
        render_kw={"data-autocomplete": kind, "autocomplete": "off"},
    )


def vocabulary_choices(
    values: Iterable[Any] | dict[Any, str], *, blank: Any = None
) -> list[SelectChoice]:
    """Select options for a vocabulary, in the page's language; a dict's meanings are shown
    ("B — usually reliable")."""
    choices = [SelectChoice("", blank)] if blank is not None else []
    if isinstance(values, dict):
        return choices + [
            SelectChoice(
                str(v), lazy_gettext("%(code)s — %(meaning)s", code=v, meaning=lazy_gettext(text))
            )
            for v, text in values.items()
        ]
    return choices + [SelectChoice(str(value), lazy_gettext(value)) for value in values]


def form_data(session: Session, record: KeyedRecord) -> dict[str, Any]:
    """A record as an edit form's initial data (its evidence/1 form, with the form's names).

    Nested citation lists are called ``citations`` in the forms and services.
    """
    entity = ENTITY_OF_MODEL[type(record)].name
    data = _rename_sources(load_records(session, entity, [record.id])[record.id])
    data.pop("retracted", None)
    if "aliases" in data:
        data["aliases"] = "\n".join(data["aliases"])
    data["version"] = record.version
    return data


def _rename_sources(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            ("citations" if key == "sources" else key): _rename_sources(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_rename_sources(item) for item in value]
    return value


def show_errors(form: Any, error: ValidationError) -> None:
    """Attach each service error to the form field of that name (nested ones included);
    errors without a field go to ``form.form_errors``."""
    fields = {field.name: field for field in _all_fields(form)}
    for name, message in error.errors.items():
        field = fields.get(name)
        if field is None:
            form.form_errors.append(f"{name}: {message}")
        else:
            field.errors = [*field.errors, message] if isinstance(field.errors, list) else [message]


def _all_fields(form: Any) -> Iterator[Any]:
    for field in form:
        yield field
        if hasattr(field, "entries"):
            for entry in field.entries:
                yield entry
                if hasattr(entry, "form"):
                    yield from _all_fields(entry.form)
        elif hasattr(field, "form"):
            yield from _all_fields(field.form)


MISSING_VERSION = translatable(
    "The form came without the version of the record you opened, so nothing was saved "
    "(a change made meanwhile would be overwritten). Open the record again and redo your change."
)
VERSION_RE = re.compile(r"^[0-9]{1,9}$")


class VersionedForm(BoundedForm):
    """A form that changes a stored record: it carries the version the editor saw.

    Fails closed: an edit without a version, or with one that is not a number,
    is refused (``version_given``), never saved without the conflict check.
    """

    version = HiddenField()

    @property
    def expected_version(self) -> int | None:
        value = str(self.version.data or "").strip()
        return int(value) if VERSION_RE.match(value) else None

    def version_given(self) -> bool:
        """True when the form carries a version; otherwise says so above the form."""
        if self.expected_version is None:
            self.form_errors.append(MISSING_VERSION)
            return False
        return True


class RecordForm(VersionedForm):
    """Base of every record form: the version the editor saw, and the data for the service."""

    def service_fields(self) -> dict[str, Any]:
        """The submitted fields under the names the services take (see *_FIELDS)."""
        return {
            name: value
            for name, value in self.data.items()
            if name not in ("csrf_token", "version", "submit")
        }


class RetractForm(VersionedForm):
    reason = TextAreaField(
        "Reason for retraction",
        validators=[InputRequired("Reason for retraction is required")],
        description="Why this record is withdrawn; it stays in the history",
    )


class RestoreForm(VersionedForm):
    pass
