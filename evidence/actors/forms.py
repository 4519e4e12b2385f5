"""Forms for units (with parents over time) and persons (with memberships and their sources)."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired

from evidence.sources.forms import citations_field
from evidence.vocabularies import UNIT_KINDS
from evidence.web.forms import (
    RecordForm,
    aliases_field,
    edtf_field,
    key_field,
    reference_field,
    vocabulary_choices,
)
from evidence.web.input import BoundedSubform


class ParentLinkForm(BoundedSubform):
    unit = reference_field("Parent unit", "units")
    start = edtf_field("From")
    end = edtf_field("Until")


class UnitForm(RecordForm):
    name = StringField("Name", validators=[InputRequired("Name is required")])
    key = key_field()
    aliases = aliases_field()
    kind = SelectField("Kind", choices=vocabulary_choices(UNIT_KINDS), default=UNIT_KINDS[0])
    parents = FieldList(FormField(ParentLinkForm), label="Part of", min_entries=1)


class MembershipForm(BoundedSubform):
    unit = reference_field("Unit", "units")
    title = StringField("Post", description="Rank or position, e.g. deputy commander")
    start = edtf_field("From")
    end = edtf_field("Until")
    citations = citations_field()


class PersonForm(RecordForm):
    name = StringField("Name", validators=[InputRequired("Name is required")])
    key = key_field()
    protected_witness = BooleanField(
        "Protected witness",
        description="Gives or will give a pseudonymous or confidential statement:"
        " the key is made without the name (witness-7f3k).",
    )
    aliases = aliases_field()
    notes = TextAreaField("Notes")
    memberships = FieldList(FormField(MembershipForm), label="Posts", min_entries=1)
