"""Source pages: list, page listing everything citing the source (with protection), form."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.sources.models import Source
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


@pytest.fixture
def source(session: Session) -> Source:
    """A source cited by an incident, an involvement, a membership and a statement, where
    the person in the membership is a protected witness."""
    make_users(session)
    source = make_source(
        session, title="Interview with a former officer", key="interview", reliability="B"
    )
    unit = make_unit(session, name="Almaz", key="almaz")
    witness = make_person(
        session,
        name="Ivan Petrov",
        key="ivan-petrov",
        memberships=[{"unit": unit, "citations": [citation(source, locator="p. 9")]}],
    )
    incident = make_incident(
        session,
        title="Zhodino beatings",
        citations=[citation(source, quote="they beat prisoners", locator="p. 2")],
        involvements=[involvement(unit=unit, citations=[citation(source, locator="p. 3")])],
    )
    make_statement(
        session,
        key="w-9-statement",
        witness=witness,
        protection="pseudonymous",
        pseudonym="W-9",
        source=source,
        incidents=[{"incident": incident}],
    )
    make_statement(session, key="secret-statement", protection="confidential", source=source)
    session.commit()
    return source


def _stored(session: Session, key: str) -> Source | None:
    session.expire_all()
    return session.scalar(select(Source).where(Source.key == key))


def test_list_filters_by_title(app: Flask, source, session):
    make_source(session, title="Viasna report")
    session.commit()
    page = client_for(app, "viewer").get("/sources/?q=former").get_data(as_text=True)
    assert "Interview with a former officer" in page and "Viasna" not in page


def test_page_lists_everything_citing_the_source(app: Flask, source):
    page = client_for(app, "auditor").get("/sources/interview").get_data(as_text=True)
    assert "Zhodino beatings" in page and "they beat prisoners" in page and "p. 2" in page
    assert 'href="/units/almaz"' in page and "p. 3" in page
    assert 'href="/persons/ivan-petrov"' in page and "p. 9" in page
    assert "w-9-statement" in page and "secret-statement" in page
    assert "B — usually reliable" in page


def test_viewer_sees_no_protected_name_and_no_confidential_statement(app: Flask, source):
    page = client_for(app, "viewer").get("/sources/interview").get_data(as_text=True)
    assert "W-9" in page and "p. 9" in page
    assert "Ivan Petrov" not in page and "ivan-petrov" not in page
    assert "secret-statement" not in page


def test_create_edit_conflict_and_retract(app: Flask, source, session):
    documenter = client_for(app, "documenter")
    assert documenter.get("/sources/new").status_code == 200
    created = documenter.post(
        "/sources/new",
        data={
            "title": "Report of 2001",
            "kind": "document",
            "published": "2001~",
            "accessed": "2024-05-01",
            "reliability": "C",
        },
    )
    assert created.status_code == 302
    report = _stored(session, "report-of-2001")
    assert report.published == "2001~" and report.reliability == "C"
    bad = documenter.post(
        "/sources/new", data={"title": "Later", "kind": "web", "published": "someday"}
    )
    assert bad.status_code == 400 and 'value="someday"' in bad.get_data(as_text=True)
    assert "Published: " in bad.get_data(as_text=True)
    edit = {"title": "Report of 2001 (Viasna)", "kind": "document", "version": str(report.version)}
    assert documenter.post("/sources/report-of-2001/edit", data=edit).status_code == 302
    assert documenter.post("/sources/report-of-2001/edit", data=edit).status_code == 409
    version = _stored(session, "report-of-2001").version
    documenter.post(
        "/sources/report-of-2001/retract", data={"reason": "forgery", "version": version}
    )
    assert _stored(session, "report-of-2001").retraction_reason == "forgery"
    assert (
        client_for(app, "viewer")
        .post("/sources/interview/retract", data={"reason": "x"})
        .status_code
        == 403
    )


def test_page_statement_count_does_not_grow_with_citations(app: Flask, source, session):
    client = client_for(app, "viewer")
    few = statements_for(app, client, "/sources/interview")
    for _ in range(5):
        unit = make_unit(session)
        person = make_person(session, memberships=[{"unit": unit, "citations": [citation(source)]}])
        make_incident(
            session,
            citations=[citation(source)],
            involvements=[involvement(person=person, citations=[citation(source)])],
        )
        make_statement(session, source=source, witness=person)
    session.commit()
    assert statements_for(app, client, "/sources/interview") == few


@pytest.mark.parametrize("url", ["javascript:alert(document.cookie)", "file:///etc/passwd"])
def test_a_source_url_that_is_not_a_web_address_is_refused(app: Flask, source, session, url):
    documenter = client_for(app, "documenter")
    refused = documenter.post(
        "/sources/new", data={"title": "Planted link", "kind": "web", "url": url}
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "URL must start with http:// or https://" in page
    assert _stored(session, "planted-link") is None
