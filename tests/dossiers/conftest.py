"""Cases the dossier tests share."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from evidence import create_app
from evidence.config import config_for_tests
from tests.conftest import share_connection
from tests.factories import (
    citation,
    involvement,
    make_case,
    make_incident,
    make_person,
    make_source,
    make_statement,
    make_unit,
)


@contextmanager
def throwaway_session(database_url: str, engine: Engine, data_dir: Path) -> Iterator[Session]:
    """A session whose writes are all rolled back when the block ends: for module fixtures
    that lay out a case's dossiers once and keep only the bytes, so that no test sees
    their rows."""
    app = create_app(config_for_tests(database_url, str(data_dir)))
    connection = engine.connect()
    transaction = connection.begin()
    session = share_connection(app, connection).extensions["evidence.sessions"]()
    session.info["actor"] = "tester"
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()
        app.extensions["evidence.engine"].dispose()


@pytest.fixture
def command_case(session):
    return make_command_case(session)


def make_command_case(session):
    """An incident over 2000-2003 by a unit that changed superior in 2002, with a commander
    whose dates are unknown, one whose post ended long before, and a protected member."""
    source = make_source(session, title="Court records", publisher="Viasna", reliability="B")
    top = make_unit(session, name="Security Council", kind="ministry")
    old_parent = make_unit(session, name="Interior Ministry", kind="ministry")
    new_parent = make_unit(
        session, name="State Security Committee", kind="ministry", parents=[{"unit": top}]
    )
    unit = make_unit(
        session,
        name="Almaz",
        parents=[
            {"unit": old_parent, "start": "1990", "end": "2001"},
            {"unit": new_parent, "start": "2002", "end": None},
        ],
    )
    make_person(
        session,
        name="Kommandir Neizvestny",
        memberships=[{"unit": unit, "title": "commander", "start": None, "end": None}],
    )
    make_person(
        session,
        name="Staryi Komandir",
        memberships=[{"unit": unit, "title": "commander", "start": "1980", "end": "1985"}],
    )
    make_person(
        session,
        name="Minister Ivanov",
        memberships=[{"unit": new_parent, "title": "chairman", "start": "2001", "end": "2005"}],
    )
    unrelated = make_unit(session, name="Unrelated Border Guard")
    insider = make_person(
        session,
        name="Ivan Petrovsky",
        memberships=[
            {"unit": unit, "title": "sergeant", "start": "1999", "end": "2003"},
            {"unit": unrelated, "title": "conscript", "start": "1990", "end": "1992"},
        ],
    )
    same_passage = citation(source, locator="p. 4", quote="they beat him", credibility=2)
    first = make_incident(
        session,
        title="Beating in the yard",
        date="2000/2003",
        summary="Officers beat detainees.",
        citations=[same_passage, citation(source, locator="p. 9")],
        involvements=[involvement(unit=unit, citations=[citation(source, locator="p. 5")])],
    )
    second = make_incident(
        session,
        title="Night detention",
        date="2020-08~",
        summary="A second night.",
        citations=[same_passage],
    )
    make_statement(
        session,
        witness=insider,
        protection="pseudonymous",
        pseudonym="Witness K.",
        text="I saw it.",
        incidents=[{"incident": first, "excerpt": None}],
    )
    case = make_case(session, title="Almaz abuses", incidents=[first, second])
    session.commit()
    return case
