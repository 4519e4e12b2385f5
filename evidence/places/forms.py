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


class PlaceForm(RecordForm):
    name = StringField("Name", validators=[InputRequired("Name is required")])
    key = key_field()
    aliases = aliases_field()
    kind = SelectField("Kind", choices=vocabulary_choices(PLACE_KINDS), default=PLACE_KINDS[0])
    parent = reference_field("Inside", "places")
    lat = FloatField(
        "Latitude", validators=[Optional(), NumberRange(-90, 90, "Latitude: -90 to 90")]
    )
    lon = FloatField(
        "Longitude", validators=[Optional(), NumberRange(-180, 180, "Longitude: -180 to 180")]
    )
