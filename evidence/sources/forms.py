"""Forms for sources, and the citation subform placed next to every sourced fact."""

from __future__ import annotations

from wtforms import DateField, FieldList, Form, FormField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Optional, ValidationError

from evidence.outbound import web_address_problem
from evidence.vocabularies import CREDIBILITY, RELIABILITY, SOURCE_KINDS
from evidence.web.forms import (
    RecordForm,
    edtf_field,
    key_field,
    reference_field,
    shown_localized,
    vocabulary_choices,
)
from evidence.web.input import BoundedSubform
from evidence.web.language import lazy_gettext


class CitationForm(BoundedSubform):
    """One citation (a subform: no CSRF token of its own)."""

    source = reference_field(lazy_gettext("Source"), "sources")
    locator = StringField(
        lazy_gettext("Locator"),
        description=lazy_gettext("Page, paragraph or timestamp, e.g. p. 12, 00:14:05"),
    )
    quote = TextAreaField(
        lazy_gettext("Quote"),
        description=lazy_gettext("The words of the source that support the fact"),
    )
    credibility = SelectField(
        lazy_gettext("Credibility"),
        choices=vocabulary_choices(CREDIBILITY, blank=lazy_gettext("not graded")),
        default="",
        description=lazy_gettext("How credible this information is"),
    )


def citations_field(label: str = "Sources") -> FieldList:
    return FieldList(FormField(CitationForm), label=label, min_entries=1)


def web_address(form: Form, field: StringField) -> None:
    """Only http(s) addresses are kept: the server fetches them for link checks and captures."""
    if problem := web_address_problem(field.data):
        raise ValidationError(shown_localized(problem))


class SourceForm(RecordForm):
    title = StringField(
        lazy_gettext("Title"), validators=[InputRequired(lazy_gettext("Title is required"))]
    )
    key = key_field()
    kind = SelectField(
        lazy_gettext("Kind"), choices=vocabulary_choices(SOURCE_KINDS), default=SOURCE_KINDS[0]
    )
    url = StringField(
        lazy_gettext("URL"),
        validators=[Optional(), web_address],
        description=lazy_gettext("A web address starting with http:// or https://"),
    )
    publisher = StringField(lazy_gettext("Publisher"))
    author = StringField(lazy_gettext("Author"))
    published = edtf_field(lazy_gettext("Published"))
    accessed = DateField(
        lazy_gettext("Accessed"), validators=[Optional()], description=lazy_gettext("YYYY-MM-DD")
    )
    language = StringField(lazy_gettext("Language"), description=lazy_gettext("e.g. ru, be, en"))
    reliability = SelectField(
        lazy_gettext("Reliability"),
        choices=vocabulary_choices(RELIABILITY, blank=lazy_gettext("not graded")),
        default="",
        description=lazy_gettext("How reliable the source is"),
    )
    notes = TextAreaField(lazy_gettext("Notes"))


class CitationsForm(RecordForm):
    """Edit the citations of one fact (incident, involvement or membership) on their own."""

    citations = citations_field()
