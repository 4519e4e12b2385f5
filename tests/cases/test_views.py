"""Case pages: lawyers create cases and add, remove and order incidents; others read."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.cases.models import Case
from tests.factories import make_case, make_incident, make_person, make_place, make_statement
from tests.records_web import client_for
from tests.webclient import make_users


@pytest.fixture
def case(session: Session) -> Case:
    make_users(session)
    okrestina = make_place(session, name="Okrestina", key="okrestina")
    first = make_incident(
        session, title="Beating at Okrestina", key="beating", date="2020-08-11", place=okrestina
    )
    second = make_incident(
        session, title="Shooting of Taraikovsky", key="shooting", status="verified"
    )
    make_incident(session, title="Zhodino beatings", key="zhodino", date="2000/2001")
    witness = make_person(session, name="Ivan Petrov", key="ivan-petrov")
    make_statement(
        session,
        key="w-3",
        witness=witness,
        protection="pseudonymous",
        pseudonym="W-3",
        incidents=[{"incident": first, "excerpt": "Ivan Petrov was beaten"}],
    )
    make_statement(
        session, key="secret-one", protection="confidential", incidents=[{"incident": second}]
    )
    case = make_case(session, title="August 2020", key="august-2020", incidents=[first, second])
    session.commit()
    return case


def _incident_keys(session: Session) -> list[str]:
    session.expire_all()
    case = session.scalar(select(Case).where(Case.key == "august-2020"))
    return [link.incident.key for link in case.incident_links]


def _version(session: Session) -> str:
    session.expire_all()
    return str(session.scalar(select(Case.version).where(Case.key == "august-2020")))


def test_case_page_lists_incidents_in_order_with_statements(app: Flask, case):
    page = client_for(app, "lawyer").get("/cases/august-2020").get_data(as_text=True)
    assert page.index("Beating at Okrestina") < page.index("Shooting of Taraikovsky")
    assert "11 August 2020" in page and "Okrestina" in page and "verified" in page
    assert "w-3" in page and "secret-one" in page and "Move down" in page


def test_viewer_reads_the_case_without_names_or_confidential_statements(app: Flask, case):
    viewer = client_for(app, "viewer")
    page = viewer.get("/cases/august-2020").get_data(as_text=True)
    assert "W-3" in page and "Ivan Petrov" not in page and "secret-one" not in page
    assert "Move down" not in page and "Add an incident" not in page
    assert (
        viewer.post("/cases/august-2020/incidents/add", data={"incident": "zhodino"}).status_code
        == 403
    )
    assert "August 2020" in viewer.get("/cases/").get_data(as_text=True)


def test_lawyer_creates_and_edits_a_case(app: Flask, case, session):
    lawyer = client_for(app, "lawyer")
    assert lawyer.get("/cases/new").status_code == 200
    response = lawyer.post("/cases/new", data={"title": "Zhodino 2000", "summary": "Beatings"})
    assert response.status_code == 302 and response.location.endswith("/cases/zhodino-2000")
    assert lawyer.post("/cases/new", data={"title": ""}).status_code == 400
    edit = {"title": "August 2020 in Minsk", "key": "august-2020", "version": _version(session)}
    assert lawyer.post("/cases/august-2020/edit", data=edit).status_code == 302
    assert _incident_keys(session) == ["beating", "shooting"]  # editing keeps the incidents
    assert lawyer.post("/cases/august-2020/edit", data=edit).status_code == 409
    assert client_for(app, "documenter").get("/cases/new").status_code == 403


def test_add_move_and_remove_incidents(app: Flask, case, session):
    lawyer = client_for(app, "lawyer")
    found = lawyer.get("/cases/august-2020?find=zhodino").get_data(as_text=True)
    assert "Zhodino beatings" in found
    lawyer.post(
        "/cases/august-2020/incidents/add",
        data={"incident": "zhodino", "version": _version(session)},
    )
    assert _incident_keys(session) == ["beating", "shooting", "zhodino"]
    lawyer.post(
        "/cases/august-2020/incidents/move",
        data={"incident": "zhodino", "offset": "-1", "version": _version(session)},
    )
    assert _incident_keys(session) == ["beating", "zhodino", "shooting"]
    lawyer.post(
        "/cases/august-2020/incidents/remove",
        data={"incident": "beating", "version": _version(session)},
    )
    assert _incident_keys(session) == ["zhodino", "shooting"]
    unknown = lawyer.post(
        "/cases/august-2020/incidents/add",
        data={"incident": "nothing", "version": _version(session)},
        follow_redirects=True,
    )
    assert "Incident: no incident with key" in unknown.get_data(as_text=True)
    stale = lawyer.post(
        "/cases/august-2020/incidents/move",
        data={"incident": "shooting", "offset": "-1", "version": "1"},
    )
    assert stale.status_code == 409 and _incident_keys(session) == ["zhodino", "shooting"]


def test_case_page_draws_the_timeline_and_chains_with_protection(app: Flask, session):
    from tests.factories import involvement, make_unit

    make_users(session)
    ministry = make_unit(session, name="Interior Ministry", kind="ministry")
    unit = make_unit(session, name="Almaz", parents=[{"unit": ministry, "start": "1990"}])
    insider = make_person(
        session, name="Ivan Petrovsky", memberships=[{"unit": unit, "title": "commander"}]
    )
    incident = make_incident(
        session, title="Yard beating", date="2000/2001", involvements=[involvement(unit=unit)]
    )
    make_statement(
        session,
        witness=insider,
        protection="pseudonymous",
        pseudonym="Witness K.",
        incidents=[{"incident": incident}],
    )
    make_case(session, title="Almaz", key="almaz-case", incidents=[incident])
    session.commit()
    page = client_for(app, "viewer").get("/cases/almaz-case").get_data(as_text=True)
    figures = page[page.index('id="figures-title"') : page.index('id="incidents-title"')]
    assert figures.count("<svg") == 2  # the timeline and the chain of Almaz
    assert "Timeline of the incidents" in figures and "Interior Ministry (ministry)" in figures
    assert "Witness K. (commander)" in figures
    assert "Petrovsky" not in page
    assert "<script" not in figures and "style=" not in figures
