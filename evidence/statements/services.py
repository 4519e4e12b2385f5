"""Witness statements: protection level and pseudonym, witness, source, excerpts per incident."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, raiseload, selectinload

from evidence.actors.models import Person
from evidence.core.messages import FieldName, Message, message
from evidence.core.validation import (
    FieldErrors,
    check_choice,
    check_fields,
    clean_text,
    field_name,
    require_text,
)
from evidence.incidents.models import Incident
from evidence.records.editing import (
    apply_fields,
    check_date,
    clean_key,
    create,
    resolve,
    saving,
)
from evidence.sources.models import Source
from evidence.statements.models import Statement, StatementIncident
from evidence.vocabularies import PROTECTION_LEVELS

STATEMENT_FIELDS = (
    "key",
    "witness",
    "pseudonym",
    "protection",
    "taken",
    "taken_by",
    "language",
    "text",
    "translation",
    "source",
    "incidents",
)
EXCERPT_FIELDS = ("incident", "excerpt")
PROTECTED = ("pseudonymous", "confidential")


def _key_title(values: dict[str, Any], statement: Statement | None) -> str:
    """What a generated key is made of: never the witness's name, which may be protected."""
    pseudonym = values.get("pseudonym") or (statement.pseudonym if statement else None)
    return f"statement {pseudonym or ''} {values.get('taken') or ''}"


def _clean(session: Session, fields: dict[str, Any], statement: Statement | None = None) -> dict:
    check_fields(fields, STATEMENT_FIELDS)
    errors = FieldErrors()
    values: dict[str, Any] = {}
    if "text" in fields:
        values["text"] = require_text(errors, "text", fields["text"])
    if "protection" in fields:
        values["protection"] = check_choice(
            errors, "protection", fields["protection"], PROTECTION_LEVELS
        )
    if "pseudonym" in fields:
        values["pseudonym"] = clean_text(fields["pseudonym"])
    protection = values.get("protection", statement.protection if statement else None)
    pseudonym = values.get("pseudonym", statement.pseudonym if statement else None)
    if protection in PROTECTED and not pseudonym:
        errors.add(
            "pseudonym",
            message(
                "%(field)s is required for a %(protection)s statement",
                field=FieldName("pseudonym"),
                protection=Message(protection),
            ),
        )
    if "witness" in fields:
        values["witness"] = resolve(errors, session, Person, "witness", fields["witness"])
    if "source" in fields:
        values["source"] = resolve(errors, session, Source, "source", fields["source"])
    if "taken" in fields:
        check_date(errors, "taken", fields["taken"])
        values["taken"] = clean_text(fields["taken"])
    for name in ("taken_by", "language", "translation"):
        if name in fields:
            values[name] = clean_text(fields[name])
    if "incidents" in fields:
        values["incident_links"] = _clean_excerpts(errors, session, fields["incidents"] or ())
    values["key_title"] = _key_title(values, statement)
    clean_key(errors, session, Statement, fields, values, statement, "key_title")
    del values["key_title"]
    errors.raise_if_any()
    return values


def _clean_excerpts(
    errors: FieldErrors, session: Session, links: Sequence[Mapping[str, Any]]
) -> list[StatementIncident]:
    cleaned: list[StatementIncident] = []
    for index, item in enumerate(links):
        check_fields(dict(item), EXCERPT_FIELDS)
        if not item.get("incident") and not clean_text(item.get("excerpt")):
            continue
        field = field_name("incidents", index, "incident")
        incident = resolve(errors, session, Incident, field, item.get("incident"), required=True)
        cleaned.append(
            StatementIncident(
                incident=incident, excerpt=clean_text(item.get("excerpt")), position=index
            )
        )
    return cleaned


def create_statement(
    session: Session,
    *,
    text: str,
    protection: str,
    key: str | None = None,
    witness: Any = None,
    pseudonym: str | None = None,
    taken: str | None = None,
    taken_by: str | None = None,
    language: str | None = None,
    translation: str | None = None,
    source: Any = None,
    incidents: Sequence[Mapping[str, Any]] = (),
) -> Statement:
    """``incidents``: [{"incident": ref, "excerpt": str|None}]; references are records, ids
    or keys. A pseudonym is required for pseudonymous and confidential statements."""
    fields = dict(
        key=key,
        witness=witness,
        pseudonym=pseudonym,
        protection=protection,
        taken=taken,
        taken_by=taken_by,
        language=language,
        text=text,
        translation=translation,
        source=source,
        incidents=incidents,
    )
    with session.no_autoflush:
        statement = Statement(**_clean(session, fields))
    return create(session, statement)


def update_statement(
    session: Session, statement: Statement, expected_version: int, **fields: Any
) -> Statement:
    """Change the given fields (see STATEMENT_FIELDS; ``incidents`` replaces the list)."""
    with saving(session, statement, expected_version, fields):
        apply_fields(statement, _clean(session, fields, statement))
    return statement


def load_statement(session: Session, statement_id: int) -> Statement | None:
    """A statement with .witness, .source and .incident_links(.incident) loaded.

    Apply the protection filter before showing it.
    """
    return session.scalar(
        select(Statement)
        .where(Statement.id == statement_id)
        .options(
            joinedload(Statement.witness).raiseload("*"),
            joinedload(Statement.source).raiseload("*"),
            selectinload(Statement.incident_links)
            .joinedload(StatementIncident.incident)
            .raiseload("*"),
            raiseload("*"),
        )
    )
