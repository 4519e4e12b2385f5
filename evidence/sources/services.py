"""Sources, and citations: the links from each fact to the sources that support it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from evidence.actors.models import Membership
from evidence.core.messages import FieldName, message
from evidence.core.validation import (
    FieldErrors,
    check_choice,
    check_fields,
    clean_text,
    field_name,
    require_text,
)
from evidence.incidents.models import Incident, Involvement
from evidence.outbound import web_address_problem
from evidence.records.editing import (
    apply_fields,
    check_date,
    clean_key,
    create,
    resolve,
    saving,
)
from evidence.sources.models import Citation, Source
from evidence.statements.models import Statement
from evidence.vocabularies import CREDIBILITY, RELIABILITY, SOURCE_KINDS

SOURCE_FIELDS = (
    "key",
    "kind",
    "title",
    "url",
    "publisher",
    "author",
    "published",
    "accessed",
    "language",
    "reliability",
    "notes",
)
CITATION_FIELDS = ("source", "locator", "quote", "credibility")
# A fact that carries citations.
CitationOwner = Incident | Involvement | Membership


def _clean(session: Session, fields: dict[str, Any], source: Source | None = None) -> dict:
    check_fields(fields, SOURCE_FIELDS)
    errors = FieldErrors()
    values: dict[str, Any] = {}
    if "title" in fields:
        values["title"] = require_text(errors, "title", fields["title"])
    if "kind" in fields:
        values["kind"] = check_choice(errors, "kind", fields["kind"], SOURCE_KINDS)
    for name in ("url", "publisher", "author", "language", "notes"):
        if name in fields:
            values[name] = clean_text(fields[name])
    if "url" in fields and (problem := web_address_problem(values["url"])):
        errors.add("url", problem)
    if "published" in fields:
        check_date(errors, "published", fields["published"])
        values["published"] = clean_text(fields["published"])
    if "accessed" in fields:
        values["accessed"] = _day(errors, "accessed", fields["accessed"])
    if "reliability" in fields:
        reliability = clean_text(fields["reliability"])
        if reliability is not None:
            reliability = check_choice(errors, "reliability", reliability.upper(), RELIABILITY)
        values["reliability"] = reliability
    clean_key(errors, session, Source, fields, values, source, "title")
    errors.raise_if_any()
    return values


def _day(errors: FieldErrors, field: str, value: dt.date | str | None) -> dt.date | None:
    if isinstance(value, dt.date) or value is None:
        return value
    text = value.strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors.add(
            field,
            message(
                '%(field)s must be a day written YYYY-MM-DD (got "%(value)s")',
                field=FieldName(field),
                value=text,
            ),
        )
        return None


def create_source(
    session: Session,
    *,
    title: str,
    kind: str,
    key: str | None = None,
    url: str | None = None,
    publisher: str | None = None,
    author: str | None = None,
    published: str | None = None,
    accessed: dt.date | str | None = None,
    language: str | None = None,
    reliability: str | None = None,
    notes: str | None = None,
) -> Source:
    fields = dict(
        key=key,
        kind=kind,
        title=title,
        url=url,
        publisher=publisher,
        author=author,
        published=published,
        accessed=accessed,
        language=language,
        reliability=reliability,
        notes=notes,
    )
    return create(session, Source(**_clean(session, fields)))


def update_source(session: Session, source: Source, expected_version: int, **fields: Any) -> Source:
    """Change the given fields (see SOURCE_FIELDS); raises ValidationError or Conflict."""
    with saving(session, source, expected_version, fields):
        apply_fields(source, _clean(session, fields, source))
    return source


# --- citations --------------------------------------------------------------------------


def _blank(item: Mapping[str, Any]) -> bool:
    return all(clean_text(str(item.get(name) or "")) is None for name in CITATION_FIELDS)


def citations_blank(citations: Sequence[Mapping[str, Any]] | None) -> bool:
    """Whether a list of citation rows holds nothing (a form's empty spare rows)."""
    return all(_blank(item) for item in citations or ())


def clean_citations(
    errors: FieldErrors,
    session: Session,
    prefix: str,
    citations: Sequence[Mapping[str, Any]] | None,
) -> list[dict[str, Any]]:
    """Check citations given as {source, locator, quote, credibility}; blank rows are skipped.

    Errors go on ``<prefix>-<n>-<field>`` (the WTForms names of a citation subform).
    """
    cleaned = []
    for index, item in enumerate(citations or ()):
        check_fields(dict(item), CITATION_FIELDS)
        if _blank(item):
            continue
        source = resolve(
            errors,
            session,
            Source,
            field_name(prefix, index, "source"),
            item.get("source"),
            required=True,
        )
        credibility = item.get("credibility")
        if credibility in ("", None):
            credibility = None
        else:
            field = field_name(prefix, index, "credibility")
            try:
                credibility = check_choice(errors, field, int(credibility), CREDIBILITY)
            except (TypeError, ValueError):
                check_choice(errors, field, credibility, CREDIBILITY)
        cleaned.append(
            {
                "source": source,
                "locator": clean_text(item.get("locator")),
                "quote": clean_text(item.get("quote")),
                "credibility": credibility,
            }
        )
    return cleaned


def build_citations(cleaned: Sequence[Mapping[str, Any]]) -> list[Citation]:
    return [Citation(position=index, **item) for index, item in enumerate(cleaned)]


def citation_root(owner: CitationOwner) -> Incident | Any:
    """The top-level record whose version guards ``owner``'s citations."""
    if isinstance(owner, Involvement):
        return owner.incident
    if isinstance(owner, Membership):
        return owner.person
    return owner


# --- queries ----------------------------------------------------------------------------


@dataclass
class SourceDetail:
    source: Source
    incidents: list[tuple[Citation, Incident]]
    involvements: list[tuple[Citation, Involvement]]  # .incident, .unit, .person loaded
    memberships: list[tuple[Citation, Membership]]  # .person, .unit loaded
    statements: list[Statement]  # statements taken from it (.witness loaded)


def load_source(session: Session, source_id: int) -> SourceDetail | None:
    """A source and everything citing it, in a fixed number of queries."""
    source = session.get(Source, source_id)
    if source is None:
        return None
    cited = Citation.source_id == source_id
    incidents = session.execute(
        select(Citation, Incident)
        .join(Incident, Incident.id == Citation.incident_id)
        .where(cited)
        .order_by(Incident.earliest, Incident.id, Citation.position)
    ).all()
    involvements = session.execute(
        select(Citation, Involvement)
        .join(Involvement, Involvement.id == Citation.involvement_id)
        .where(cited)
        .options(
            joinedload(Involvement.incident),
            joinedload(Involvement.unit),
            joinedload(Involvement.person),
        )
        .order_by(Involvement.incident_id, Involvement.position, Citation.position)
    ).all()
    memberships = session.execute(
        select(Citation, Membership)
        .join(Membership, Membership.id == Citation.membership_id)
        .where(cited)
        .options(joinedload(Membership.person), joinedload(Membership.unit))
        .order_by(Membership.person_id, Membership.position, Citation.position)
    ).all()
    statements = session.scalars(
        select(Statement)
        .where(Statement.source_id == source_id)
        .options(joinedload(Statement.witness))
        .order_by(Statement.key)
    ).all()
    return SourceDetail(
        source,
        [tuple(row) for row in incidents],
        [tuple(row) for row in involvements],
        [tuple(row) for row in memberships],
        list(statements),
    )
