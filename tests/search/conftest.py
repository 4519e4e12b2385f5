"""A small world of records spelled the ways the seed interview and sources spell them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.orm import Session

from evidence.protection import Protection
from evidence.search.services import SearchFilters, SearchResults, search
from tests.factories import (
    involvement,
    make_incident,
    make_person,
    make_place,
    make_source,
    make_statement,
    make_unit,
)


@dataclass
class World:
    records: dict[str, Any]

    def __getitem__(self, name: str) -> Any:
        return self.records[name]


def found_keys(results: SearchResults) -> set[str]:
    """entity:key of every hit (protected persons found by pseudonym as person:<label>)."""
    return {
        f"{group.entity}:{hit.key or hit.label}" for group in results.groups for hit in group.hits
    }


def run(
    session: Session,
    query: str,
    audience: str = "internal",
    filters: SearchFilters | None = None,
    **options: Any,
) -> set[str]:
    protection = Protection.load(session, audience)
    return found_keys(search(session, query, protection=protection, filters=filters, **options))


@pytest.fixture
def world(session: Session) -> World:
    minsk = make_place(session, name="Minsk", key="minsk", aliases=["Мінск", "Минск"])
    pushkinskaya = make_place(
        session, name="Pushkinskaya metro station", key="pushkinskaya", parent=minsk
    )
    zhodino = make_place(session, name="Жодино", key="zhodino", aliases=["Žodzina"])
    mvd = make_unit(session, name="Ministry of Internal Affairs", key="mvd", kind="ministry")
    almaz = make_unit(
        session,
        name="Almaz",
        key="almaz",
        kind="special-forces",
        aliases=["Алмаз"],
        parents=[{"unit": mvd, "start": "2000", "end": "2015"}],
    )
    omon = make_unit(session, name="OMON", key="omon", parents=[{"unit": mvd}])
    taraikovsky = make_person(
        session,
        name="Александр Тарайковский",
        key="taraikovsky",
        aliases=["Aliaksandr Taraikouski"],
    )
    tarasenko = make_person(session, name="Pavel Tarasenko", key="tarasenko")
    lukashenko = make_person(session, name="Alexander Lukashenko", key="lukashenko")
    petrov = make_person(session, name="Ivan Petrov", key="petrov", aliases=["Ваня Петров"])
    shooting = make_incident(
        session,
        title="Fatal shooting near the metro",
        key="shooting",
        date="2020-08-10",
        status="verified",
        place=pushkinskaya,
        summary="A protester was shot dead by a riot police officer.",
        involvements=[involvement(person=taraikovsky, role="victim"), involvement(unit=omon)],
    )
    mention = make_incident(
        session,
        title="Funeral crowd dispersed",
        key="funeral",
        date="2020-08",
        place=minsk,
        summary="Mourners of Taraykovsky were detained after the funeral.",
    )
    beatings = make_incident(
        session,
        title="Beatings of prisoners",
        key="zhodino-beatings",
        date="2000/2001",
        place=zhodino,
        summary="Prisoners beaten by Almaz officers; orders attributed to Лукашэнка.",
        involvements=[involvement(unit=almaz), involvement(person=petrov, role="victim")],
    )
    late = make_incident(
        session,
        title="Raid in Tarasovo",
        key="tarasovo-raid",
        date="2019",
        involvements=[involvement(unit=almaz), involvement(person=tarasenko)],
    )
    source = make_source(session, title="Lukashenka's security services", key="report")
    public = make_statement(
        session,
        key="officer-statement",
        text="I served in Almaz; we beat prisoners in Zhodino on orders from above.",
        incidents=[{"incident": beatings, "excerpt": "we beat prisoners"}],
    )
    protected = make_statement(
        session,
        key="petrov-statement",
        witness=petrov,
        protection="pseudonymous",
        pseudonym="Witness P",
        text="I, Ivan Petrov, was beaten in Zhodino by men in masks.",
        incidents=[{"incident": beatings, "excerpt": None}],
    )
    secret = make_statement(
        session,
        key="secret-statement",
        protection="confidential",
        pseudonym="Witness C",
        text="Confidential account of the Zhodino beatings.",
        incidents=[{"incident": beatings, "excerpt": None}],
    )
    session.commit()
    return World(
        {
            name: record
            for name, record in locals().items()
            if name not in ("session",) and hasattr(record, "key")
        }
    )
