"""Form for witness statements."""

from __future__ import annotations

from wtforms import FieldList, FormField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired

from evidence.vocabularies import PROTECTION_LEVELS
from evidence.web.forms import (
    RecordForm,
    edtf_field,
    key_field,
    reference_field,
    vocabulary_choices,
)
from evidence.web.input import BoundedSubform


class ExcerptForm(BoundedSubform):
    incident = reference_field("Incident", "incidents")
    excerpt = TextAreaField("Excerpt", description="The part of the statement about this incident")


class StatementForm(RecordForm):
    key = key_field()
    witness = reference_field("Witness", "persons")
    protection = SelectField(
        "Protection",
        choices=vocabulary_choices(PROTECTION_LEVELS),
        default=PROTECTION_LEVELS[0],
        description="public: may be named anywhere; pseudonymous: named only internally;"
        " confidential: named only internally and shown only to the team and counsel",
    )
    pseudonym = StringField(
        "Pseudonym", description="Required for pseudonymous and confidential statements"
    )
    taken = edtf_field("Taken on")
    taken_by = StringField("Taken by")
    language = StringField("Language", description="e.g. ru, be, en")
    text = TextAreaField("Text", validators=[InputRequired("Text is required")])
    translation = TextAreaField("Translation")
    source = reference_field("Source", "sources")
    incidents = FieldList(FormField(ExcerptForm), label="Incidents", min_entries=1)
