"""Forms of the spreadsheet import: the upload, and the columns of each field."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField

from evidence.interchange.sheets import FIELDS, KINDS, REQUIRED
from evidence.web.input import BoundedForm

NOT_IN_SHEET = ""


class SheetUploadForm(BoundedForm):
    file = FileField(
        "Spreadsheet",
        validators=[FileRequired("choose a .csv or .xlsx file")],
        description="A .csv (UTF-8) or .xlsx file whose first row holds the column headers.",
    )
    kind = SelectField(
        "Each row is",
        choices=[(kind, kind) for kind in KINDS],
        default="incidents",
        description="One sheet holds records of one kind.",
    )


def mapping_form(kind: str, headers: list[str], initial: dict[str, str], **kwargs: Any) -> Any:
    """A form with one choice of column per field of ``kind``, preset to ``initial``."""

    class MappingForm(BoundedForm):
        save_as = StringField(
            "Save this mapping as",
            description="A name to reuse these columns for the next sheet (optional).",
        )

    columns = [(NOT_IN_SHEET, "(not in the sheet)")] + [(header, header) for header in headers]
    for name in FIELDS[kind]:
        label = f"{name} (required)" if name in REQUIRED[kind] else name
        setattr(
            MappingForm,
            name,
            SelectField(label, choices=columns, default=initial.get(name, NOT_IN_SHEET)),
        )
    return MappingForm(**kwargs)


def mapping_of(form: Any, kind: str) -> dict[str, str]:
    return {name: form[name].data for name in FIELDS[kind]}
