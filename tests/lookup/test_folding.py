"""Autocomplete and list filters find names in any case and script (issue 15 item 3)."""

from __future__ import annotations

import re
from urllib.parse import quote

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from evidence.actors.services import update_person
from evidence.interchange.services import import_document
from evidence.models import Case, Incident, Person, Place, Source, Unit
from evidence.search.engine import ENGINES
from evidence.search.folded_names import names_containing, refold
from tests.factories import (
    involvement,
    make_case,
    make_incident,
    make_person,
    make_place,
    make_source,
    make_statement,
    make_unit,
)
from tests.generate import document
from tests.incidents.test_views import Client, client_for, titles
from tests.incidents.test_views import text as page_text

__all__ = ["client_for"]


def _keys(client, kind: str, typed: str) -> list[str | None]:
    response = client.get(f"/lookup/{kind}?q={quote(typed)}")
    return [result["key"] for result in response.get_json()["results"]]


def _listed(client, url: str) -> set[str]:
    found = set(re.findall(r'href="/[a-z]+/([a-z0-9-]+)"', page_text(client.get(url))))
    return found - {"new"}


def test_autocomplete_folds_case_and_script(session: Session, client_for: Client) -> None:
    make_unit(session, key="omon", name="ОМОН", aliases=["Atrad militsyi asablivaha pryznachennia"])
    make_person(session, key="taraikovsky", name="Тарайковский Александр")
    make_place(session, key="zhodino", name="Жодино", aliases=["Žodzina"])
    make_source(session, key="nasha-niva", title="Наша Ніва: затрыманні ў Менску")
    make_incident(session, key="shooting", title="Расстрел на Пушкинской")
    session.commit()
    client = client_for("documenter")
    for kind, typed, key in (
        ("units", "омон", "omon"),
        ("units", "Омон", "omon"),
        ("units", "OMON", "omon"),  # Latin letters for the Cyrillic name
        ("persons", "Taraikovsky", "taraikovsky"),
        ("persons", "тарайкоўскі", "taraikovsky"),
        ("persons", "TARAIK", "taraikovsky"),
        ("places", "zhodino", "zhodino"),
        ("places", "ЖОДЗІНА", "zhodino"),
        ("sources", "наша ніва", "nasha-niva"),
        ("sources", "Nasha Niva", "nasha-niva"),
        ("incidents", "пушкинской", "shooting"),
    ):
        assert _keys(client, kind, typed) == [key], (kind, typed)
    assert _keys(client, "persons", "Ivanov") == []


def test_list_filters_fold_case_and_script(session: Session, client_for: Client) -> None:
    omon = make_unit(session, key="omon", name="ОМОН")
    person = make_person(session, key="victim-1", name="Taraikovsky")
    make_place(session, key="minsk", name="Минск")
    make_source(session, key="svaboda", title="Радыё Свабода")
    make_case(session, key="case-omon", title="ДЕЛО ОМОНА")
    make_incident(
        session, key="beaten", title="Beaten", involvements=[involvement(unit=omon, person=None)]
    )
    make_incident(session, key="other", title="Other")
    session.commit()
    client = client_for("documenter")
    assert _listed(client, "/units/?q=омон") == {"omon"}
    assert _listed(client, "/persons/?q=" + quote("тарайковский")) >= {"victim-1"}
    assert _listed(client, "/places/?q=minsk") >= {"minsk"}
    assert _listed(client, "/sources/?q=" + quote("радыё свабода")) >= {"svaboda"}
    assert "case-omon" in _listed(client, "/cases/?q=" + quote("дело омона"))
    assert titles(page_text(client.get("/incidents/?q=" + quote("омон")))) == ["Beaten"]
    # Renaming is picked up at commit, by the same hook every writer goes through.
    update_person(session, person, person.version, name="Kuzmich")
    session.commit()
    assert _listed(client, "/persons/?q=" + quote("тарайковский")) == set()
    assert _listed(client, "/persons/?q=" + quote("кузьмич")) >= {"victim-1"}
    assert _listed(client, "/persons/?q=VICTIM") >= {"victim-1"}  # keys are found too


def test_imported_records_are_found_folded(session: Session) -> None:
    import_document(
        session,
        {
            "format": "evidence/1",
            "persons": [
                {
                    "key": "kuzmich",
                    "name": "Павел Кузьмич",
                    "aliases": [],
                    "notes": None,
                    "memberships": [],
                }
            ],
        },
    )
    session.commit()
    found = select(Person.key).where(names_containing(session, Person, "pavel kuzmich"))
    assert session.scalars(found).all() == ["kuzmich"]


def test_an_import_writes_the_folded_names_the_hook_would_and_indexes_them(
    session: Session,
) -> None:
    imported = document(incidents=30, with_exhibits=False)
    imported["persons"][0]["retracted"] = {
        "at": "2024-01-02T03:04:05+00:00",
        "by": "x",
        "reason": "y",
    }
    import_document(session, imported)
    session.commit()
    models = {
        "person": Person,
        "unit": Unit,
        "place": Place,
        "source": Source,
        "incident": Incident,
        "case": Case,
    }
    written = {
        entity: dict(session.execute(select(model.id, model.folded_names)).all())
        for entity, model in models.items()
    }
    if session.get_bind().dialect.name == "sqlite":
        listed = text("SELECT rowid, names FROM search_fts_folded_names")
        indexed = dict(session.execute(listed).all())
        number = ENGINES["sqlite"].document_id
        assert indexed == {
            number(entity, record_id): value
            for entity, names in written.items()
            for record_id, value in names.items()
        }
    assert all(value for names in written.values() for value in names.values())
    refold(session, {entity: set(names) for entity, names in written.items()})
    for entity, model in models.items():
        assert dict(session.execute(select(model.id, model.folded_names)).all()) == written[entity]
    person = imported["persons"][1]
    found = select(Person.key).where(names_containing(session, Person, person["name"].upper()))
    assert session.scalars(found).all() == [person["key"]]


def test_folding_never_reveals_a_protected_witness(session: Session, client_for: Client) -> None:
    witness = make_person(session, key="ivan-petrov", name="Ivan Petrov")
    make_incident(session, key="arrest-17", title="Arrest of Ivan Petrov")
    make_statement(session, witness=witness, protection="pseudonymous", pseudonym="W-1")
    session.commit()
    viewer = client_for("viewer")
    for kind, typed in (("persons", "Иван"), ("persons", "ПЕТРОВ"), ("incidents", "петров")):
        assert _keys(viewer, kind, typed) == [], (kind, typed)
    assert _listed(viewer, "/persons/?q=" + quote("петров")) == set()
    assert titles(page_text(viewer.get("/incidents/?q=" + quote("петров")))) == []


def test_the_folded_index_is_used_not_a_scan(session: Session) -> None:
    make_person(session, key="p1", name="Тарайковский")
    session.commit()
    condition = names_containing(session, Person, "taraikovsky")
    count = select(func.count()).select_from(Person).where(condition)
    assert session.scalar(count) == 1
    if session.get_bind().dialect.name == "sqlite":
        explain = "EXPLAIN QUERY PLAN"
    else:
        explain = "EXPLAIN"  # a table this small is read whole unless told otherwise
        session.execute(select(func.set_config("enable_seqscan", "off", True)))
    query = select(Person.id).where(condition)
    sql = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    plan = "\n".join(str(row) for row in session.execute(text(f"{explain} {sql}")))
    if explain == "EXPLAIN":
        assert "search_fts_persons_folded" in plan, plan
    else:  # FTS5 given the GLOB (constraint G), persons reached by id
        assert "search_fts_folded_names VIRTUAL TABLE INDEX 0:G" in plan, plan
        assert "SCAN persons" not in plan, plan
