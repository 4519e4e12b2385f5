"""Place pages: list and filter, page, form with errors and conflicts, retract/restore."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.places.models import Place
from tests.factories import make_incident, make_place
from tests.records_web import client_for, statements_for
from tests.webclient import make_users


@pytest.fixture
def minsk(session: Session) -> Place:
    make_users(session)
    region = make_place(session, name="Minsk region", kind="region")
    city = make_place(session, name="Minsk", parent=region, aliases=["Мінск", "Minsk city"])
    make_place(session, name="Pushkinskaya", kind="street", parent=city)
    session.commit()
    return city


def _stored(session: Session, key: str) -> Place:
    session.expire_all()
    return session.scalar(select(Place).where(Place.key == key))


def test_list_filters_by_name_and_alias_and_hides_retracted(app: Flask, minsk, session):
    make_place(session, name="Minsk old", key="minsk-old")
    session.commit()
    viewer = client_for(app, "viewer")
    by_alias = viewer.get("/places/?q=Мінск").get_data(as_text=True)
    assert ">Minsk</a>" in by_alias and "Pushkinskaya" not in by_alias
    documenter = client_for(app, "documenter")
    retracted = documenter.post(
        "/places/minsk-old/retract", data={"reason": "duplicate", "version": "1"}
    )
    assert retracted.status_code == 302
    assert "Minsk old" not in viewer.get("/places/?q=minsk").get_data(as_text=True)
    assert "Minsk old" in viewer.get("/places/?q=minsk&retracted=1").get_data(as_text=True)


def test_page_shows_ancestors_places_inside_and_incidents_there(app: Flask, minsk, session):
    street = _stored(session, "pushkinskaya")
    make_incident(session, title="Shooting on Pushkinskaya", place=street)
    session.commit()
    page = client_for(app, "viewer").get("/places/minsk").get_data(as_text=True)
    assert 'href="/places/minsk-region"' in page
    assert 'href="/places/pushkinskaya"' in page
    assert "Shooting on Pushkinskaya" in page
    assert "Edit place" not in page and "Retract place" not in page
    assert client_for(app, "viewer").get("/places/nowhere").status_code == 404


def test_create_generates_the_key_and_saves_aliases_one_per_line(app: Flask, minsk, session):
    documenter = client_for(app, "documenter")
    assert documenter.get("/places/new").status_code == 200
    response = documenter.post(
        "/places/new",
        data={
            "name": "Жодино",
            "kind": "prison",
            "parent": "minsk-region",
            "aliases": "Zhodino\n\nZhodzina",
        },
    )
    assert response.status_code == 302 and response.location.endswith("/places/zhodino")
    place = _stored(session, "zhodino")
    assert place.aliases == ["Zhodino", "Zhodzina"] and place.parent.key == "minsk-region"


def test_errors_name_the_field_and_keep_what_was_typed(app: Flask, minsk, session):
    response = client_for(app, "documenter").post(
        "/places/new",
        data={"name": "Okrestina", "kind": "prison", "parent": "atlantis", "lat": "95"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Latitude: -90 to 90" in page
    assert 'value="Okrestina"' in page and 'value="atlantis"' in page
    assert _stored(session, "okrestina") is None
    response = client_for(app, "documenter").post(
        "/places/new", data={"name": "Okrestina", "kind": "prison", "parent": "atlantis"}
    )
    assert (
        response.status_code == 400
        and "Inside: Nothing is named &#34;atlantis&#34; yet." in response.get_data(as_text=True)
    )


def test_a_stale_edit_shows_both_versions_and_overwrites_nothing(app: Flask, minsk, session):
    documenter = client_for(app, "documenter")
    form = documenter.get("/places/minsk/edit").get_data(as_text=True)
    assert 'name="version"' in form and "Мінск" in form
    first = documenter.post(
        "/places/minsk/edit", data={"name": "Minsk", "kind": "settlement", "version": "1"}
    )
    assert first.status_code == 302
    stale = documenter.post(
        "/places/minsk/edit", data={"name": "Mensk", "kind": "settlement", "version": "1"}
    )
    page = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert "Mensk" in page and "Minsk" in page and "Nothing was overwritten" in page
    assert _stored(session, "minsk").name == "Minsk"


def test_retract_needs_a_reason_and_restore_brings_it_back(app: Flask, minsk, session):
    documenter = client_for(app, "documenter")
    version = str(_stored(session, "minsk").version)
    documenter.post("/places/minsk/retract", data={"reason": "", "version": version})
    assert _stored(session, "minsk").retracted_at is None
    documenter.post("/places/minsk/retract", data={"reason": "wrong city", "version": version})
    assert _stored(session, "minsk").retraction_reason == "wrong city"
    assert "wrong city" in documenter.get("/places/minsk").get_data(as_text=True)
    documenter.post("/places/minsk/restore", data={"version": _stored(session, "minsk").version})
    assert _stored(session, "minsk").retracted_at is None


@pytest.mark.parametrize("role, status", [("viewer", 403), ("lawyer", 403), ("documenter", 200)])
def test_only_editors_open_the_form(app: Flask, minsk, role: str, status: int):
    assert client_for(app, role).get("/places/new").status_code == status


def test_page_statement_count_does_not_grow_with_linked_records(app: Flask, minsk, session):
    client = client_for(app, "documenter")
    lonely = make_place(session, name="Lonely")
    make_incident(session, place=lonely)
    session.commit()
    few = statements_for(app, client, "/places/lonely")
    for n in range(6):
        make_place(session, name=f"Block {n}", parent=lonely)
        make_incident(session, place=_stored(session, "lonely"))
    session.commit()
    assert statements_for(app, client, "/places/lonely") == few
