"""Forms for cases and for adding, removing and moving their incidents."""

from __future__ import annotations

from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired

from evidence.web.forms import RecordForm, key_field, reference_field


class CaseForm(RecordForm):
    title = StringField("Title", validators=[InputRequired("Title is required")])
    key = key_field()
    summary = TextAreaField("Summary")


class CaseIncidentForm(RecordForm):
    """Add or remove one incident (the version is the case's)."""

    incident = reference_field("Incident", "incidents", required=True)


class MoveIncidentForm(CaseIncidentForm):
    offset = IntegerField(
        "Move", validators=[AnyOf([-1, 1], "Move: -1 (up) or 1 (down)")], default=-1
    )
