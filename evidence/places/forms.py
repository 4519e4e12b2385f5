"""Form for places."""

from __future__ import annotations

from wtforms import FloatField, SelectField, StringField
from wtforms.validators import InputRequired, NumberRange, Optional

from evidence.vocabularies import PLACE_KINDS
from evidence.web.forms import (
    RecordForm,
    aliases_field,
    key_field,
    reference_field,
    vocabulary_choices,
)
from evidence.web.language import lazy_gettext


class PlaceForm(RecordForm):
    name = StringField(
        lazy_gettext("Name"), validators=[InputRequired(lazy_gettext("Name is required"))]
    )
    key = key_field()
    aliases = aliases_field()
    kind = SelectField(
        lazy_gettext("Kind"), choices=vocabulary_choices(PLACE_KINDS), default=PLACE_KINDS[0]
    )
    parent = reference_field(lazy_gettext("Inside"), "places")
    lat = FloatField(
        lazy_gettext("Latitude"),
        validators=[Optional(), NumberRange(-90, 90, lazy_gettext("Latitude: -90 to 90"))],
    )
    lon = FloatField(
        lazy_gettext("Longitude"),
        validators=[Optional(), NumberRange(-180, 180, lazy_gettext("Longitude: -180 to 180"))],
    )
