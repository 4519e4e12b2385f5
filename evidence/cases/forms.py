"""Forms for cases and for adding, removing and moving their incidents."""

from __future__ import annotations

from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired

from evidence.web.forms import RecordForm, key_field, reference_field
from evidence.web.language import lazy_gettext


class CaseForm(RecordForm):
    title = StringField(
        lazy_gettext("Title"), validators=[InputRequired(lazy_gettext("Title is required"))]
    )
    key = key_field()
    summary = TextAreaField(lazy_gettext("Summary"))


class CaseIncidentForm(RecordForm):
    """Add or remove one incident (the version is the case's)."""

    incident = reference_field(lazy_gettext("Incident"), "incidents", required=True)


class MoveIncidentForm(CaseIncidentForm):
    offset = IntegerField(
        lazy_gettext("Move"),
        validators=[AnyOf([-1, 1], lazy_gettext("Move: -1 (up) or 1 (down)"))],
        default=-1,
    )
