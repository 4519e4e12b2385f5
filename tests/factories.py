"""Factory functions: each builds one valid record through its service and returns it.

Every argument is optional; anything not given gets a fresh, valid value
(names carry a counter, so keys never collide). Related records that a
record needs are not created unless asked for: ``make_incident(session)``
has no place, ``make_incident(session, place=make_place(session))`` has one.

    source = make_source(session)
    unit = make_unit(session, parents=[{"unit": make_unit(session, kind="ministry")}])
    incident = make_incident(
        session,
        date="2000/2001",
        citations=[citation(source, locator="p. 4")],
        involvements=[involvement(unit=unit, citations=[citation(source)])],
    )
"""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy.orm import Session

from evidence.actors.models import Person, Unit
from evidence.actors.services import create_person, create_unit
from evidence.cases.models import Case
from evidence.cases.services import create_case
from evidence.incidents.models import Incident, ViolationType
from evidence.incidents.services import create_incident, create_violation_type
from evidence.places.models import Place
from evidence.places.services import create_place
from evidence.sources.models import Source
from evidence.sources.services import create_source
from evidence.statements.models import Statement
from evidence.statements.services import create_statement

_counter = itertools.count(1)


def _n() -> int:
    return next(_counter)


def make_place(session: Session, **fields: Any) -> Place:
    fields.setdefault("name", f"Place {_n()}")
    fields.setdefault("kind", "settlement")
    return create_place(session, **fields)


def make_unit(session: Session, **fields: Any) -> Unit:
    fields.setdefault("name", f"Unit {_n()}")
    fields.setdefault("kind", "police")
    return create_unit(session, **fields)


def make_person(session: Session, **fields: Any) -> Person:
    fields.setdefault("name", f"Person {_n()}")
    return create_person(session, **fields)


def make_source(session: Session, **fields: Any) -> Source:
    fields.setdefault("title", f"Source {_n()}")
    fields.setdefault("kind", "document")
    return create_source(session, **fields)


def make_violation_type(session: Session, **fields: Any) -> ViolationType:
    fields.setdefault("label", f"Violation {_n()}")
    return create_violation_type(session, **fields)


def make_incident(session: Session, **fields: Any) -> Incident:
    fields.setdefault("title", f"Incident {_n()}")
    fields.setdefault("date", "2020-08-10")
    fields.setdefault("status", "alleged")
    return create_incident(session, **fields)


def make_statement(session: Session, **fields: Any) -> Statement:
    """A public statement by default; pass protection= and pseudonym= for protected ones."""
    fields.setdefault("text", f"Statement text {_n()}")
    fields.setdefault("protection", "public")
    if fields["protection"] != "public":
        fields.setdefault("pseudonym", f"Witness {_n()}")
    return create_statement(session, **fields)


def make_case(session: Session, **fields: Any) -> Case:
    fields.setdefault("title", f"Case {_n()}")
    return create_case(session, **fields)


def citation(source: Source | int | str, **fields: Any) -> dict[str, Any]:
    """A citation as the services take it."""
    return {"source": source, "locator": None, "quote": None, "credibility": None, **fields}


def involvement(
    *, unit: Any = None, person: Any = None, role: str = "perpetrator", **fields: Any
) -> dict[str, Any]:
    """An involvement as the services take it; give exactly one of unit and person."""
    return {
        "unit": unit,
        "person": person,
        "role": role,
        "confidence": "medium",
        "citations": [],
        **fields,
    }
