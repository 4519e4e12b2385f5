"""The web side of merging: the duplicate warning before a record is created, and the
Merge button of persons, units, places and sources."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_login import login_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.accounts.models import User
from evidence.actors.models import Person, Unit
from evidence.places.models import Place
from evidence.sources.models import Source
from evidence.web.record_views import _duplicates_of_new
from tests.factories import (
    involvement,
    make_incident,
    make_person,
    make_place,
    make_source,
    make_statement,
    make_unit,
)
from tests.records_web import client_for
from tests.webclient import make_users


def _person(session: Session, key: str) -> Person | None:
    session.expire_all()
    return session.scalar(select(Person).where(Person.key == key))


def test_new_person_warns_of_a_duplicate_in_another_script_then_saves_anyway(
    app: Flask, session: Session
) -> None:
    make_users(session)
    make_person(session, name="Alexander Taraikovsky", key="taraikovsky", aliases=["Taraykovsky"])
    session.commit()
    documenter = client_for(app, "documenter")
    data = {"name": "Тарайковский", "key": "tarajkovskij"}

    warned = documenter.post("/persons/new", data=data)

    page = warned.get_data(as_text=True)
    assert warned.status_code == 200
    assert "Possible duplicates:" in page
    assert 'href="/persons/taraikovsky"' in page
    assert "Alexander Taraikovsky</a> (as “Taraykovsky”)" in page
    assert 'name="save_anyway"' in page
    assert "Тарайковский" in page, "what was typed is kept"
    assert _person(session, "tarajkovskij") is None

    saved = documenter.post("/persons/new", data={**data, "save_anyway": "1"})

    assert saved.status_code == 302
    assert _person(session, "tarajkovskij") is not None


@pytest.mark.parametrize(
    ("section", "existing", "typed"),
    [
        ("units", {"name": "OMON", "aliases": ["АМАП"]}, {"name": "Амап", "kind": "police"}),
        ("places", {"name": "Minsk"}, {"name": "Мінск", "kind": "settlement"}),
        ("sources", {"title": "Interview with an Almaz officer"}, None),
    ],
)
def test_every_kind_warns_before_creating_a_duplicate(
    app: Flask, session: Session, section: str, existing: dict, typed: dict | None
) -> None:
    make_users(session)
    make = {"units": make_unit, "places": make_place, "sources": make_source}[section]
    model = {"units": Unit, "places": Place, "sources": Source}[section]
    make(session, key="existing", **existing)
    session.commit()
    data = typed or {"title": "Interview with an Almaz officer", "kind": "document"}

    response = client_for(app, "documenter").post(f"/{section}/new", data=data)

    assert "Possible duplicates:" in response.get_data(as_text=True)
    assert session.scalar(select(model).where(model.key != "existing")) is None


def test_no_warning_for_a_new_name(app: Flask, session: Session) -> None:
    make_users(session)
    make_person(session, name="Alexander Taraikovsky")
    session.commit()

    response = client_for(app, "documenter").post("/persons/new", data={"name": "Ivan Petrov"})

    assert response.status_code == 302
    assert _person(session, "ivan-petrov") is not None


def test_protected_witness_is_not_offered_as_a_duplicate_to_the_public(
    app: Flask, session: Session
) -> None:
    make_users(session)
    witness = make_person(session, name="Ivan Petrov", key="witness")
    make_statement(session, witness=witness, protection="pseudonymous", pseudonym="W-7")
    session.commit()
    viewer = session.scalar(select(User).where(User.role == "viewer"))
    documenter = session.scalar(select(User).where(User.role == "documenter"))

    found = {}
    for user in (viewer, documenter):
        with app.test_request_context("/persons/new", method="POST"):
            login_user(user)
            found[user.role] = _duplicates_of_new("person", {"name": "Иван Петров"})

    assert found["viewer"] == []
    assert [d.key for d in found["documenter"]] == ["witness"]


def test_merge_button_merges_into_the_chosen_record(app: Flask, session: Session) -> None:
    make_users(session)
    keep = make_person(session, name="Alexander Taraikovsky", key="taraikovsky")
    other = make_person(session, name="Тарайковский", key="tarajkovskij")
    incident = make_incident(session, involvements=[involvement(person=other, role="victim")])
    session.commit()
    documenter = client_for(app, "documenter")

    page = documenter.get("/persons/tarajkovskij").get_data(as_text=True)
    assert 'href="/persons/tarajkovskij/merge"' in page
    form = documenter.get("/persons/tarajkovskij/merge").get_data(as_text=True)
    assert 'data-autocomplete="persons"' in form
    response = documenter.post(
        "/persons/tarajkovskij/merge", data={"keep": "taraikovsky", "confirm": "y"}
    )

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/persons/taraikovsky")
    shown = documenter.get("/persons/taraikovsky").get_data(as_text=True)
    assert "Merged person tarajkovskij into this person" in shown
    assert "merged tarajkovskij into this person" in shown, "the history says so"
    session.expire_all()
    assert incident.involvements[0].person_id == keep.id
    assert session.get(Person, other.id).retraction_reason == "merged into taraikovsky"
    retracted = documenter.get("/persons/tarajkovskij").get_data(as_text=True)
    assert "merged into taraikovsky" in retracted
    assert 'href="/persons/tarajkovskij/merge"' not in retracted


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"keep": "tarajkovskij", "confirm": "y"}, "cannot merge a person into itself"),
        ({"keep": "nobody", "confirm": "y"}, "no person has the key &#39;nobody&#39;"),
        ({"keep": "taraikovsky"}, "Tick the box to confirm the merge"),
        ({"confirm": "y"}, "Record to keep is required"),
    ],
)
def test_merge_refusals_name_the_problem_and_change_nothing(
    app: Flask, session: Session, data: dict, message: str
) -> None:
    make_users(session)
    make_person(session, name="Alexander Taraikovsky", key="taraikovsky")
    make_person(session, name="Тарайковский", key="tarajkovskij")
    session.commit()

    response = client_for(app, "documenter").post("/persons/tarajkovskij/merge", data=data)

    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert not _person(session, "tarajkovskij").is_retracted


@pytest.mark.parametrize("role", ["viewer", "lawyer", "auditor"])
def test_only_documenters_may_merge(app: Flask, session: Session, role: str) -> None:
    make_users(session)
    make_person(session, name="A", key="a")
    make_person(session, name="B", key="b")
    session.commit()
    client = client_for(app, role)

    assert 'href="/persons/b/merge"' not in client.get("/persons/b").get_data(as_text=True)
    response = client.post("/persons/b/merge", data={"keep": "a", "confirm": "y"})

    assert response.status_code == 403
    assert not _person(session, "b").is_retracted


@pytest.mark.parametrize("section", ["units", "places", "sources"])
def test_merge_page_exists_for_every_kind(app: Flask, session: Session, section: str) -> None:
    make_users(session)
    make = {"units": make_unit, "places": make_place, "sources": make_source}[section]
    make(session, key="first")
    make(session, key="second")
    session.commit()
    documenter = client_for(app, "documenter")

    assert f'href="/{section}/second/merge"' in documenter.get(f"/{section}/second").get_data(
        as_text=True
    )
    form = documenter.get(f"/{section}/second/merge")
    assert form.status_code == 200 and f'data-autocomplete="{section}"' in form.get_data(
        as_text=True
    )
    response = documenter.post(f"/{section}/second/merge", data={"keep": "first", "confirm": "y"})

    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/{section}/first"
    )
