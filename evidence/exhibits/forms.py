"""Exhibit forms: upload with links and acquisition, and one more custody event."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired

from evidence.web.forms import edtf_field, reference_field, vocabulary_choices
from evidence.web.input import BoundedForm
from evidence.web.language import lazy_gettext

# Uploading and verifying add their own events; these are the ones a person reports.
REPORTED_CUSTODY_ACTIONS = ("transferred", "exported", "acquired")


class UploadForm(BoundedForm):
    file = FileField(
        lazy_gettext("File"),
        validators=[FileRequired(lazy_gettext("choose the file to upload"))],
        description=lazy_gettext(
            "Video, image, PDF, audio or document. Its type is read from its content."
        ),
    )
    incident = reference_field(lazy_gettext("Incident"), "incidents")
    statement = reference_field(lazy_gettext("Statement"), "statements")
    source = reference_field(lazy_gettext("Source"), "sources")
    acquired = edtf_field(lazy_gettext("Acquired on"))
    acquired_from = StringField(
        lazy_gettext("Acquired from"), description=lazy_gettext("Person or body")
    )
    acquired_how = TextAreaField(lazy_gettext("How it was acquired"))

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
        lazy_gettext("Redacted copy"),
        validators=[FileRequired(lazy_gettext("choose the redacted file to upload"))],
        description=lazy_gettext(
            "The same file with what identifies protected people removed or"
            " blacked out. Viewers and public dossiers will see only this copy."
        ),
    )


class CustodyForm(BoundedForm):
    action = SelectField(
        lazy_gettext("Event"), choices=vocabulary_choices(REPORTED_CUSTODY_ACTIONS)
    )
    note = TextAreaField(
        lazy_gettext("Note"),
        validators=[InputRequired(lazy_gettext("say what happened"))],
        description=lazy_gettext("From whom to whom, where, how"),
    )
