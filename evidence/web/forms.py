"""The WTForms kit shared by the domain forms, and connecting service errors to fields.

Kept here so each domain's forms.py stays small; forms never write to the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from contextlib import suppress
from typing import Any

from flask import url_for
from sqlalchemy.orm import Session
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional, Regexp
from wtforms.validators import ValidationError as FieldError

from evidence import dates, limits
from evidence.core.keys import KEY_PATTERN
from evidence.core.messages import Message, plural_message
from evidence.core.validation import ValidationError, parse_aliases
from evidence.core.versioning import KeyedRecord
from evidence.date_phrases import to_edtf
from evidence.records.editing import unreadable_date
from evidence.records.loading import ENTITY_OF_MODEL, load_records
from evidence.records.names import NameOutcome, TypedNames
from evidence.vocabularies import translatable
from evidence.web.input import BoundedForm
from evidence.web.language import LazyText, lazy_gettext, localized

EDTF_EXAMPLES = dates.EXAMPLES


def shown_localized(text: Message) -> LazyText:
    """A service's message as a WTForms error: translated when the page shows it."""
    return LazyText(lambda: localized(text))


class EdtfDate:
    """WTForms validator: the field holds a date phrase or EDTF date (or is empty)."""

    def __call__(self, form: Any, field: Any) -> None:

        text = (field.data or "").strip()
        if text:
            try:
                to_edtf(text)
            except dates.InvalidDate as exc:
                raise FieldError(shown_localized(unreadable_date(exc))) from None


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
            raise FieldError(
                shown_localized(
                    plural_message(
                        "at most %(num)d alias (this has %(given)s)",
                        "at most %(num)d aliases (this has %(given)s)",
                        limits.ALIASES,
                        given=len(aliases),
                    )
                )
            )
        too_long = next((alias for alias in aliases if len(alias) > limits.NAME), None)
        if too_long is not None:
            raise FieldError(
                shown_localized(
                    plural_message(
                        "each alias at most %(limit)s character (one has %(length)s: %(alias)s…)",
                        "each alias at most %(limit)s characters (one has %(length)s: %(alias)s…)",
                        limits.NAME,
                        limit=format(limits.NAME, ","),
                        length=format(len(too_long), ","),
                        alias=too_long[:40],
                    )
                )
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


# The field a new record of each kind is named by, on its "new" page (?name=, ?title=).
NAMED_BY = {"incidents": "title", "sources": "title"}
NAME_CHOICES = translatable(
    'Several records are named "%(name)s". Choose the one you mean below, then save again.'
)
NAMED_NOTHING = translatable('Nothing is named "%(name)s" yet.')


class ReferenceField(StringField):
    """A text field naming a record of ``kind``: its key (autocomplete fills it in) or,
    typed, its name or an alias (records.names).

    When the typed name named several records or none, ``typed_name`` holds them
    (names.NameOutcome) and the form offers each as a radio button of the field's own name;
    a chosen one is sent after the text and wins over it.
    """

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.typed_name: NameOutcome | None = None

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist[-1:])

    def create_url(self, name: str) -> str:
        """The "new" page of this kind, with the name filled in."""
        return url_for(f"{self.kind}.new", **{NAMED_BY.get(self.kind, "name"): name})


def reference_field(label: str, kind: str, *, required: bool = False) -> Any:
    """A text field holding a record's key or name, filled by autocomplete over ``kind``."""

    presence = (
        InputRequired(lazy_gettext("%(label)s is required", label=label))
        if required
        else Optional()
    )
    return ReferenceField(
        label,
        kind=kind,
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


def show_errors(form: Any, error: ValidationError, names: TypedNames | None = None) -> None:
    """Attach each service error to the form field of that name (nested ones included), in
    the page's language, naming fields by their labels; errors without a field go to
    ``form.form_errors``. A name typed into a reference field that named several records
    or none (``names``: those the service read) is said with the records to choose from."""

    def label_of(name: str) -> str | None:
        field = field_named(form, name)
        return None if field is None else str(field.label.text)

    outcomes = names.outcomes if names is not None else {}
    for name, message in error.errors.items():
        field = field_named(form, name)
        text = localized(message, label_of)
        if field is None:
            form.form_errors.append(f"{name}: {text}")
            continue
        if isinstance(field, ReferenceField) and name in outcomes:
            field.typed_name = outcome = outcomes[name]
            template = NAME_CHOICES if outcome.choices else NAMED_NOTHING
            text = lazy_gettext(template, name=outcome.typed)
        field.errors = [*field.errors, text] if isinstance(field.errors, list) else [text]


def field_named(form: Any, name: str) -> Any:
    """The field a service error names: ``title``, ``citations-0-source``, ..."""
    field: Any = form
    parts = name.split("-")
    while parts:
        part = parts.pop(0)
        if part.isdigit() and hasattr(field, "entries"):
            index = int(part)
            if index >= len(field.entries):
                return None
            field = field.entries[index]
            field = getattr(field, "form", field)
        else:
            try:
                field = field[part]
            except (KeyError, TypeError):
                return None
    return None if field is form or not hasattr(field, "label") else field


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
        lazy_gettext("Reason for retraction"),
        validators=[
            InputRequired(
                lazy_gettext("%(label)s is required", label=lazy_gettext("Reason for retraction"))
            )
        ],
        description=lazy_gettext("Why this record is withdrawn; it stays in the history"),
    )


class RestoreForm(VersionedForm):
    pass
