"""Unit and person pages: lists, pages, forms (parents, memberships with citations),
conflicts, retraction, and protection of witnesses for viewers."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.actors.models import Person, Unit
from tests.factories import (
    citation,
    involvement,
    make_incident,
    make_person,
    make_source,
    make_statement,
    make_unit,
)
from tests.records_web import client_for, statements_for
from tests.webclient import make_users

WITNESS_NAMES = ("Ivan Petrov", "Ваня Петров", "ivan-petrov")


@pytest.fixture
def archive(session: Session) -> dict[str, Any]:
    """A ministry over OMON; a commander and a protected witness who both served in OMON."""
    make_users(session)
    source = make_source(session, title="Interview with a former officer", key="interview")
    ministry = make_unit(session, name="Ministry of Internal Affairs", key="mvd", kind="ministry")
    omon = make_unit(
        session,
        name="OMON",
        key="omon",
        aliases=["АМАП"],
        parents=[{"unit": ministry, "start": "1990", "end": None}],
    )
    commander = make_person(
        session,
        name="Dmitry Pavlichenko",
        key="pavlichenko",
        memberships=[
            {
                "unit": omon,
                "title": "commander",
                "start": "1999",
                "end": "2000~",
                "citations": [citation(source, locator="p. 4")],
            }
        ],
    )
    witness = make_person(
        session,
        name="Ivan Petrov",
        key="ivan-petrov",
        aliases=["Ваня Петров"],
        notes="Lives in Minsk",
        memberships=[{"unit": omon, "title": "driver", "citations": [citation(source)]}],
    )
    incident = make_incident(
        session,
        title="Beating at Okrestina",
        key="okrestina-beating",
        involvements=[
            involvement(unit=omon, citations=[citation(source, quote="OMON beat them")]),
            involvement(person=commander, role="commander"),
            involvement(person=witness, role="victim"),
        ],
    )
    make_statement(
        session,
        key="statement-w7",
        witness=witness,
        protection="pseudonymous",
        pseudonym="W-7",
        text="Ivan Petrov saw it.",
        source=source,
        incidents=[{"incident": incident, "excerpt": "I saw it"}],
    )
    session.commit()
    return {"omon": omon, "commander": commander, "witness": witness, "source": source}


def _stored(session: Session, model: type, key: str) -> Any:
    session.expire_all()
    return session.scalar(select(model).where(model.key == key))


def _no_witness_names(page: str) -> None:
    for name in WITNESS_NAMES:
        assert name not in page, f"{name!r} shown to a viewer"


# --- units ------------------------------------------------------------------------------


def test_unit_list_filters_by_alias(app: Flask, archive):
    page = client_for(app, "viewer").get("/units/?q=АМАП").get_data(as_text=True)
    assert 'href="/units/omon"' in page and "Ministry of Internal Affairs" not in page


def test_unit_page_shows_parents_sub_units_members_and_incidents(app: Flask, archive):
    page = client_for(app, "documenter").get("/units/omon").get_data(as_text=True)
    assert 'href="/units/mvd"' in page and "from 1990" in page
    assert 'href="/persons/pavlichenko"' in page and "commander" in page and "p. 4" in page
    assert "Beating at Okrestina" in page and "OMON beat them" in page
    assert 'href="/persons/ivan-petrov"' in page  # the team sees the witness
    ministry = client_for(app, "documenter").get("/units/mvd").get_data(as_text=True)
    assert 'href="/units/omon"' in ministry


def test_viewer_sees_the_protected_member_only_by_pseudonym(app: Flask, archive):
    page = client_for(app, "viewer").get("/units/omon").get_data(as_text=True)
    assert "W-7" in page and 'href="/persons/pavlichenko"' in page
    _no_witness_names(page)


def test_create_a_unit_under_a_parent(app: Flask, archive, session):
    documenter = client_for(app, "documenter")
    assert documenter.get("/units/new").status_code == 200
    response = documenter.post(
        "/units/new",
        data={
            "name": "Almaz",
            "kind": "special-forces",
            "aliases": "Алмаз",
            "parents-0-unit": "mvd",
            "parents-0-start": "1998",
            "parents-0-end": "",
        },
    )
    assert response.status_code == 302
    almaz = _stored(session, Unit, "almaz")
    assert almaz.aliases == ["Алмаз"] and [link.parent.key for link in almaz.parent_links] == [
        "mvd"
    ]


def test_unit_form_errors_name_the_row_field(app: Flask, archive, session):
    response = client_for(app, "documenter").post(
        "/units/new",
        data={
            "name": "Alfa",
            "kind": "special-forces",
            "parents-0-unit": "kgb",
            "parents-0-start": "2020-13",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'value="kgb"' in page and "2020-13" in page
    assert "From: " in page and "2020-13" in page  # the date is checked by the form first
    response = client_for(app, "documenter").post(
        "/units/new", data={"name": "Alfa", "kind": "special-forces", "parents-0-unit": "kgb"}
    )
    assert "Parent unit: Nothing is named &#34;kgb&#34; yet." in response.get_data(as_text=True)
    assert _stored(session, Unit, "alfa") is None


def test_unit_edit_conflict(app: Flask, archive, session):
    documenter = client_for(app, "documenter")
    version = _stored(session, Unit, "omon").version
    data = {
        "name": "OMON Minsk",
        "kind": "police",
        "parents-0-unit": "mvd",
        "version": str(version),
    }
    assert documenter.post("/units/omon/edit", data=data).status_code == 302
    stale = documenter.post("/units/omon/edit", data={**data, "name": "OMON of Minsk"})
    assert stale.status_code == 409 and "OMON of Minsk" in stale.get_data(as_text=True)
    assert _stored(session, Unit, "omon").name == "OMON Minsk"


def test_unit_retract_and_restore(app: Flask, archive, session):
    documenter = client_for(app, "documenter")
    version = _stored(session, Unit, "omon").version
    documenter.post("/units/omon/retract", data={"reason": "merged", "version": version})
    assert _stored(session, Unit, "omon").retraction_reason == "merged"
    assert "OMON" not in client_for(app, "viewer").get("/units/").get_data(as_text=True)
    documenter.post("/units/omon/restore", data={"version": version + 1})
    assert _stored(session, Unit, "omon").retracted_at is None


# --- persons ----------------------------------------------------------------------------


def test_person_page_shows_posts_involvements_and_statements(app: Flask, archive):
    page = client_for(app, "lawyer").get("/persons/ivan-petrov").get_data(as_text=True)
    assert "driver" in page and 'href="/units/omon"' in page
    assert "Beating at Okrestina" in page and "victim" in page
    assert "statement-w7" in page and "W-7" in page and "Lives in Minsk" in page


def test_a_protected_persons_page_does_not_exist_for_viewers(app: Flask, archive):
    viewer = client_for(app, "viewer")
    assert viewer.get("/persons/ivan-petrov").status_code == 404
    assert viewer.get("/persons/ivan-petrov/edit").status_code == 403
    assert viewer.get("/persons/pavlichenko").status_code == 200


def test_the_person_list_leaves_protected_persons_out_for_viewers(app: Flask, archive):
    viewer = client_for(app, "viewer")
    for url in ("/persons/", "/persons/?q=Petrov", "/persons/?q=Ваня", "/persons/?retracted=1"):
        page = viewer.get(url).get_data(as_text=True)
        _no_witness_names(page)
    assert "Dmitry Pavlichenko" in viewer.get("/persons/").get_data(as_text=True)
    assert "Ivan Petrov" in client_for(app, "documenter").get("/persons/").get_data(as_text=True)


def test_create_a_person_with_a_membership_citing_a_source(app: Flask, archive, session):
    documenter = client_for(app, "documenter")
    assert documenter.get("/persons/new").status_code == 200
    response = documenter.post(
        "/persons/new",
        data={
            "name": "Yuri Karaev",
            "aliases": "Юрий Караев",
            "memberships-0-unit": "mvd",
            "memberships-0-title": "minister",
            "memberships-0-start": "2019-10",
            "memberships-0-citations-0-source": "interview",
            "memberships-0-citations-0-locator": "00:14:05",
            "memberships-0-citations-0-credibility": "2",
        },
    )
    assert response.status_code == 302 and response.location.endswith("/persons/yuri-karaev")
    person = _stored(session, Person, "yuri-karaev")
    (membership,) = person.memberships
    assert membership.unit.key == "mvd" and membership.start == "2019-10"
    assert [(c.source.key, c.locator, c.credibility) for c in membership.citations] == [
        ("interview", "00:14:05", 2)
    ]


def test_person_edit_form_keeps_memberships_and_citations(app: Flask, archive, session):
    documenter = client_for(app, "documenter")
    form = documenter.get("/persons/pavlichenko/edit").get_data(as_text=True)
    assert 'name="memberships-0-citations-0-source"' in form and 'value="interview"' in form
    assert 'name="memberships-1-unit"' in form  # a spare row to add a post without JavaScript
    person = _stored(session, Person, "pavlichenko")
    data = {
        "name": "Dmitry Pavlichenko",
        "version": str(person.version),
        "memberships-0-unit": "omon",
        "memberships-0-title": "commander",
        "memberships-0-start": "2000",
        "memberships-0-end": "1999",
    }
    response = documenter.post("/persons/pavlichenko/edit", data=data)
    assert response.status_code == 400 and "Until: Until is before the start" in response.get_data(
        as_text=True
    )
    assert _stored(session, Person, "pavlichenko").memberships[0].start == "1999"


def _link_records(session: Session, unit: Unit, person: Person, source: Any) -> None:
    """One more of everything the unit and person pages list."""
    make_unit(session, parents=[{"unit": unit}])
    member = make_person(session, memberships=[{"unit": unit, "citations": [citation(source)]}])
    incident = make_incident(
        session,
        involvements=[
            involvement(unit=unit, citations=[citation(source)]),
            involvement(person=person, citations=[citation(source)]),
            involvement(person=member),
        ],
    )
    make_statement(session, witness=person, incidents=[{"incident": incident}])
    session.commit()


def test_unit_and_person_pages_send_a_fixed_number_of_statements(app: Flask, archive, session):
    client = client_for(app, "viewer")
    unit = make_unit(session, name="SOBR", key="sobr")
    person = make_person(
        session, name="Oleg Ivanov", key="oleg-ivanov", memberships=[{"unit": unit}]
    )
    _link_records(session, unit, person, archive["source"])
    unit_few = statements_for(app, client, "/units/sobr")
    person_few = statements_for(app, client, "/persons/oleg-ivanov")
    for _ in range(5):
        _link_records(session, unit, person, archive["source"])
    assert statements_for(app, client, "/units/sobr") == unit_few
    assert statements_for(app, client, "/persons/oleg-ivanov") == person_few
