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
from evidence.web.language import lazy_gettext


class ParentLinkForm(BoundedSubform):
    unit = reference_field(lazy_gettext("Parent unit"), "units")
    start = edtf_field(lazy_gettext("From"))
    end = edtf_field(lazy_gettext("Until"))


class UnitForm(RecordForm):
    name = StringField(
        lazy_gettext("Name"), validators=[InputRequired(lazy_gettext("Name is required"))]
    )
    key = key_field()
    aliases = aliases_field()
    kind = SelectField(
        lazy_gettext("Kind"), choices=vocabulary_choices(UNIT_KINDS), default=UNIT_KINDS[0]
    )
    parents = FieldList(FormField(ParentLinkForm), label=lazy_gettext("Part of"), min_entries=1)


class MembershipForm(BoundedSubform):
    unit = reference_field(lazy_gettext("Unit"), "units")
    title = StringField(
        lazy_gettext("Post"), description=lazy_gettext("Rank or position, e.g. deputy commander")
    )
    start = edtf_field(lazy_gettext("From"))
    end = edtf_field(lazy_gettext("Until"))
    citations = citations_field()


class PersonForm(RecordForm):
    name = StringField(
        lazy_gettext("Name"), validators=[InputRequired(lazy_gettext("Name is required"))]
    )
    key = key_field()
    protected_witness = BooleanField(
        lazy_gettext("Protected witness"),
        description=lazy_gettext(
            "Gives or will give a pseudonymous or confidential statement:"
            " the key is made without the name (witness-7f3k)."
        ),
    )
    aliases = aliases_field()
    notes = TextAreaField(lazy_gettext("Notes"))
    memberships = FieldList(FormField(MembershipForm), label=lazy_gettext("Posts"), min_entries=1)
