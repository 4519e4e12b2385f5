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


class ViolationTypeForm(RecordForm):
    label = StringField("Label", validators=[InputRequired("Label is required")])
    key = key_field()
    description = TextAreaField("Description")


class InvolvementForm(BoundedSubform):
    """A unit or a person (exactly one) in a role, with how sure we are and who says so."""

    unit = reference_field("Unit", "units")
    person = reference_field("Person", "persons")
    role = SelectField(
        "Role", choices=vocabulary_choices(INVOLVEMENT_ROLES), default=INVOLVEMENT_ROLES[0]
    )
    confidence = SelectField(
        "Confidence", choices=vocabulary_choices(CONFIDENCE_LEVELS), default="medium"
    )
    citations = citations_field()


class IncidentForm(RecordForm):
    title = StringField("Title", validators=[InputRequired("Title is required")])
    key = key_field()
    date = edtf_field("Date", required=True)
    place = reference_field("Place", "places")
    violations = SelectMultipleField("Violations", choices=[], validate_choice=False)
    status = SelectField(
        "Status", choices=vocabulary_choices(INCIDENT_STATUSES), default=INCIDENT_STATUSES[0]
    )
    summary = TextAreaField("Narrative")
    citations = citations_field()
    involvements = FieldList(FormField(InvolvementForm), label="Involved", min_entries=1)

    def set_violation_choices(self, violation_types: Iterable[ViolationType]) -> None:
        """Offer these violation types (see incidents.services.violation_types)."""
        self.violations.choices = [SelectChoice(vt.key, vt.label) for vt in violation_types]
