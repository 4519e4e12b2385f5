"""Forms for violation types and incidents (with involvements and citations)."""

from __future__ import annotations

from collections.abc import Iterable

from wtforms import (
    FieldList,
    FormField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from evidence.incidents.models import ViolationType
from evidence.sources.forms import citations_field
from evidence.vocabularies import CONFIDENCE_LEVELS, INCIDENT_STATUSES, INVOLVEMENT_ROLES
from evidence.web.forms import (
    RecordForm,
    edtf_field,
    key_field,
    reference_field,
    vocabulary_choices,
)
from evidence.web.input import BoundedSubform
from evidence.web.language import lazy_gettext


class ViolationTypeForm(RecordForm):
    label = StringField(
        lazy_gettext("Label"), validators=[InputRequired(lazy_gettext("Label is required"))]
    )
    key = key_field()
    description = TextAreaField(lazy_gettext("Description"))


class InvolvementForm(BoundedSubform):
    """A unit or a person (exactly one) in a role, with how sure we are and who says so."""

    unit = reference_field(lazy_gettext("Unit"), "units")
    person = reference_field(lazy_gettext("Person"), "persons")
    role = SelectField(
        lazy_gettext("Role"),
        choices=vocabulary_choices(INVOLVEMENT_ROLES),
        default=INVOLVEMENT_ROLES[0],
    )
    confidence = SelectField(
        lazy_gettext("Confidence"), choices=vocabulary_choices(CONFIDENCE_LEVELS), default="medium"
    )
    citations = citations_field()


class IncidentForm(RecordForm):
    title = StringField(
        lazy_gettext("Title"), validators=[InputRequired(lazy_gettext("Title is required"))]
    )
    key = key_field()
    date = edtf_field(lazy_gettext("Date"), required=True)
    place = reference_field(lazy_gettext("Place"), "places")
    violations = SelectMultipleField(lazy_gettext("Violations"), choices=[], validate_choice=False)
    status = SelectField(
        lazy_gettext("Status"),
        choices=vocabulary_choices(INCIDENT_STATUSES),
        default=INCIDENT_STATUSES[0],
    )
    summary = TextAreaField(lazy_gettext("Narrative"))
    citations = citations_field()
    involvements = FieldList(
        FormField(InvolvementForm), label=lazy_gettext("Involved"), min_entries=1
    )

    def set_violation_choices(self, violation_types: Iterable[ViolationType]) -> None:
        """Offer these violation types (see incidents.services.violation_types)."""
        self.violations.choices = [SelectChoice(vt.key, vt.label) for vt in violation_types]
