"""Exhibit forms: upload with links and acquisition, and one more custody event."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired

from evidence.web.forms import edtf_field, reference_field
from evidence.web.input import BoundedForm

# Uploading and verifying add their own events; these are the ones a person reports.
REPORTED_CUSTODY_ACTIONS = ("transferred", "exported", "acquired")


class UploadForm(BoundedForm):
    file = FileField(
        "File",
        validators=[FileRequired("choose the file to upload")],
        description="Video, image, PDF, audio or document. Its type is read from its content.",
    )
    incident = reference_field("Incident", "incidents")
    statement = reference_field("Statement", "statements")
    source = reference_field("Source", "sources")
    acquired = edtf_field("Acquired on")
    acquired_from = StringField("Acquired from", description="Person or body")
    acquired_how = TextAreaField("How it was acquired")

    def service_fields(self) -> dict[str, object]:
        return {
            "incidents": [self.incident.data or ""],
            "statements": [self.statement.data or ""],
            "sources": [self.source.data or ""],
            "acquired": self.acquired.data,
            "acquired_from": self.acquired_from.data,
            "acquired_how": self.acquired_how.data,
        }


class RedactedCopyForm(BoundedForm):
    file = FileField(
        "Redacted copy",
        validators=[FileRequired("choose the redacted file to upload")],
        description="The same file with what identifies protected people removed or"
        " blacked out. Viewers and public dossiers will see only this copy.",
    )


class CustodyForm(BoundedForm):
    action = SelectField("Event", choices=list(REPORTED_CUSTODY_ACTIONS))
    note = TextAreaField(
        "Note",
        validators=[InputRequired("say what happened")],
        description="From whom to whom, where, how",
    )
