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
    vocabulary_choices,
)
from evidence.web.input import BoundedSubform


class CitationForm(BoundedSubform):
    """One citation (a subform: no CSRF token of its own)."""

    source = reference_field("Source", "sources")
    locator = StringField(
        "Locator", description="Page, paragraph or timestamp, e.g. p. 12, 00:14:05"
    )
    quote = TextAreaField("Quote", description="The words of the source that support the fact")
    credibility = SelectField(
        "Credibility",
        choices=vocabulary_choices(CREDIBILITY, blank="not graded"),
        default="",
        description="How credible this information is",
    )


def citations_field(label: str = "Sources") -> FieldList:
    return FieldList(FormField(CitationForm), label=label, min_entries=1)


def web_address(form: Form, field: StringField) -> None:
    """Only http(s) addresses are kept: the server fetches them for link checks and captures."""
    if problem := web_address_problem(field.data):
        raise ValidationError(problem)


class SourceForm(RecordForm):
    title = StringField("Title", validators=[InputRequired("Title is required")])
    key = key_field()
    kind = SelectField("Kind", choices=vocabulary_choices(SOURCE_KINDS), default=SOURCE_KINDS[0])
    url = StringField(
        "URL",
        validators=[Optional(), web_address],
        description="A web address starting with http:// or https://",
    )
    publisher = StringField("Publisher")
    author = StringField("Author")
    published = edtf_field("Published")
    accessed = DateField("Accessed", validators=[Optional()], description="YYYY-MM-DD")
    language = StringField("Language", description="e.g. ru, be, en")
    reliability = SelectField(
        "Reliability",
        choices=vocabulary_choices(RELIABILITY, blank="not graded"),
        default="",
        description="How reliable the source is",
    )
    notes = TextAreaField("Notes")
