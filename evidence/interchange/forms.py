"""Forms of the spreadsheet import: the upload, and the columns of each field."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField

from evidence.interchange.sheets import FIELDS, KINDS, REQUIRED
from evidence.web.input import BoundedForm
from evidence.web.language import lazy_gettext

NOT_IN_SHEET = ""

# What each kind of sheet is called on the upload form, in the page's language.
KIND_WORDS = {
    "places": lazy_gettext("places"),
    "units": lazy_gettext("units"),
    "persons": lazy_gettext("persons"),
    "sources": lazy_gettext("sources"),
    "violation_types": lazy_gettext("violation types"),
    "incidents": lazy_gettext("incidents"),
    "statements": lazy_gettext("statements"),
}


class SheetUploadForm(BoundedForm):
    file = FileField(
        lazy_gettext("Spreadsheet"),
        validators=[FileRequired(lazy_gettext("choose a .csv or .xlsx file"))],
        description=lazy_gettext(
            "A .csv (UTF-8) or .xlsx file whose first row holds the column headers."
        ),
    )
    kind = SelectField(
        lazy_gettext("Each row is"),
        choices=[(kind, KIND_WORDS.get(kind, kind)) for kind in KINDS],
        default="incidents",
        description=lazy_gettext("One sheet holds records of one kind."),
    )


def mapping_form(kind: str, headers: list[str], initial: dict[str, str], **kwargs: Any) -> Any:
    """A form with one choice of column per field of ``kind``, preset to ``initial``."""

    class MappingForm(BoundedForm):
        save_as = StringField(
            lazy_gettext("Save this mapping as"),
            description=lazy_gettext(
                "A name to reuse these columns for the next sheet (optional)."
            ),
        )

    columns = [(NOT_IN_SHEET, lazy_gettext("(not in the sheet)"))] + [
        (header, header) for header in headers
    ]
    for name in FIELDS[kind]:
        label = lazy_gettext("%(field)s (required)", field=name) if name in REQUIRED[kind] else name
        setattr(
            MappingForm,
            name,
            SelectField(label, choices=columns, default=initial.get(name, NOT_IN_SHEET)),
        )
    return MappingForm(**kwargs)


def mapping_of(form: Any, kind: str) -> dict[str, str]:
    return {name: form[name].data for name in FIELDS[kind]}
