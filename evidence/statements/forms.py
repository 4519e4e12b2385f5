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
from evidence.web.language import lazy_gettext


class ExcerptForm(BoundedSubform):
    incident = reference_field(lazy_gettext("Incident"), "incidents")
    excerpt = TextAreaField(
        lazy_gettext("Excerpt"),
        description=lazy_gettext("The part of the statement about this incident"),
    )


class StatementForm(RecordForm):
    key = key_field()
    witness = reference_field(lazy_gettext("Witness"), "persons")
    protection = SelectField(
        lazy_gettext("Protection"),
        choices=vocabulary_choices(PROTECTION_LEVELS),
        default=PROTECTION_LEVELS[0],
        description=lazy_gettext(
            "public: may be named anywhere; pseudonymous: named only internally;"
            " confidential: named only internally and shown only to the team and counsel"
        ),
    )
    pseudonym = StringField(
        lazy_gettext("Pseudonym"),
        description=lazy_gettext("Required for pseudonymous and confidential statements"),
    )
    taken = edtf_field(lazy_gettext("Taken on"))
    taken_by = StringField(lazy_gettext("Taken by"))
    language = StringField(lazy_gettext("Language"), description=lazy_gettext("e.g. ru, be, en"))
    text = TextAreaField(
        lazy_gettext("Text"), validators=[InputRequired(lazy_gettext("Text is required"))]
    )
    translation = TextAreaField(lazy_gettext("Translation"))
    source = reference_field(lazy_gettext("Source"), "sources")
    incidents = FieldList(FormField(ExcerptForm), label=lazy_gettext("Incidents"), min_entries=1)
