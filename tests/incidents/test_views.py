"""Incident pages through the web: list filters, the incident page, forms, conflicts, retraction.

Every test runs on SQLite and PostgreSQL (the ``app`` fixture is parametrised).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from evidence.audit.models import AuditEntry
from evidence.incidents import views
from evidence.models import Incident
from tests.factories import (
    citation,
    involvement,
    make_incident,
    make_person,
    make_place,
    make_source,
    make_statement,
    make_unit,
    make_violation_type,
)
from tests.webclient import make_users, sign_in, without_csrf

Client = Callable[[str], FlaskClient]


@pytest.fixture
def client_for(app: Flask, session: Session) -> Client:
    """A signed-in test client for a role (accounts are named after their role)."""
    make_users(session)
    without_csrf(app)

    def signed_in(role: str) -> FlaskClient:
        client = app.test_client()
        sign_in(client, role)
        return client

    return signed_in


def text(response) -> str:
    return response.get_data(as_text=True)


def titles(page: str) -> list[str]:
    return re.findall(r'<a href="/incidents/[a-z0-9-]+">([^<]+)</a>', page)


# --- the list ---------------------------------------------------------------------------


def test_list_filters_by_uncertain_date_overlap(session: Session, client_for: Client) -> None:
    make_incident(session, title="Zhodino beatings", date="2000/2001")
    make_incident(session, title="Shooting in Minsk", date="2020-08-10")
    session.commit()
    client = client_for("viewer")
    assert titles(text(client.get("/incidents/?date_from=2001-06-01&date_to=2001-07-01"))) == [
        "Zhodino beatings"
    ]
    assert titles(text(client.get("/incidents/?date_from=2020-01-01"))) == ["Shooting in Minsk"]
    page = text(client.get("/incidents/"))
    assert "between 2000 and 2001" in page and "2000/2001" in page


def test_list_filters_by_place_including_sub_places(session: Session, client_for: Client) -> None:
    minsk = make_place(session, key="minsk", name="Minsk")
    okrestina = make_place(session, name="Okrestina", kind="detention-centre", parent=minsk)
    make_incident(session, title="In Okrestina", place=okrestina)
    make_incident(session, title="Elsewhere")
    session.commit()
    page = text(client_for("viewer").get("/incidents/?place=minsk"))
    assert titles(page) == ["In Okrestina"]


def test_list_filters_by_unit_violation_status_and_text(
    session: Session, client_for: Client
) -> None:
    omon = make_unit(session, key="omon", name="OMON", aliases=["ОМОН", "Special police"])
    make_violation_type(session, key="beating", label="Beating")
    make_incident(
        session,
        title="Beaten by OMON",
        status="corroborated",
        violations=["beating"],
        involvements=[involvement(unit=omon)],
    )
    make_incident(session, title="Other")
    session.commit()
    client = client_for("viewer")
    for query in ("unit=omon", "violation=beating", "status=corroborated", "q=special+police"):
        assert titles(text(client.get(f"/incidents/?{query}"))) == ["Beaten by OMON"], query
    assert titles(text(client.get("/incidents/?q=other"))) == ["Other"]


def test_a_bad_filter_names_the_field_and_keeps_what_was_typed(
    session: Session, client_for: Client
) -> None:
    make_incident(session, title="Anything")
    session.commit()
    page = text(client_for("viewer").get("/incidents/?place=atlantis&date_from=yesterday"))
    assert "Place: nothing has the key &#34;atlantis&#34;" in page
    assert "From: &#34;yesterday&#34; is not a date" in page
    assert 'value="atlantis"' in page and titles(page) == []


def test_list_pages(session: Session, client_for: Client, monkeypatch) -> None:
    monkeypatch.setattr(views, "PER_PAGE", 2)
    for day in range(1, 6):
        make_incident(session, title=f"Day {day}", date=f"2020-08-0{day}")
    session.commit()
    client = client_for("viewer")
    assert titles(text(client.get("/incidents/"))) == ["Day 5", "Day 4"]
    page = text(client.get("/incidents/?page=3"))
    assert titles(page) == ["Day 1"] and "5–5 of 5 incidents" in page


def test_retracted_incidents_are_hidden_unless_asked_for(
    session: Session, client_for: Client
) -> None:
    make_incident(session, title="Withdrawn", key="withdrawn")
    session.commit()
    client = client_for("documenter")
    page = client.post("/incidents/withdrawn/retract", data={"reason": "", "version": "1"})
    assert page.status_code == 400 and "Reason for retraction: " in text(page)
    response = client.post(
        "/incidents/withdrawn/retract", data={"reason": "duplicate of another", "version": "1"}
    )
    assert response.status_code == 302
    assert titles(text(client.get("/incidents/"))) == []
    assert titles(text(client.get("/incidents/?retracted=1"))) == ["Withdrawn"]
    page = text(client.get("/incidents/withdrawn"))
    assert "Retracted" in page and "duplicate of another" in page and "retracted" in page
    assert client.post("/incidents/withdrawn/restore", data={"version": "2"}).status_code == 302
    assert titles(text(client.get("/incidents/"))) == ["Withdrawn"]
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.entity == "incident").order_by(AuditEntry.seq)
    ).all()
    assert actions[-2:] == ["retract", "restore"]


def test_viewer_may_not_retract_or_edit(session: Session, client_for: Client) -> None:
    make_incident(session, key="kept")
    session.commit()
    client = client_for("viewer")
    assert client.post("/incidents/kept/retract", data={"reason": "x"}).status_code == 403
    assert client.get("/incidents/kept/edit").status_code == 403
    assert client.get("/incidents/new").status_code == 403
    page = text(client.get("/incidents/kept"))
    assert "/incidents/kept/edit" not in page and "/incidents/kept/retract" not in page


# --- the incident page ------------------------------------------------------------------


def _documented(session: Session) -> Incident:
    """An incident with a place, violation, numbered citations and two statements."""
    minsk = make_place(session, key="minsk", name="Minsk")
    omon = make_unit(session, key="omon", name="OMON")
    witness = make_person(session, key="ivan-petrov", name="Ivan Petrov", aliases=["Petrov"])
    video = make_source(session, key="video", title="Video of the arrest")
    report = make_source(session, key="report", title="Viasna report")
    make_violation_type(session, key="beating", label="Beating")
    incident = make_incident(
        session,
        key="okrestina",
        title="Beatings at Okrestina",
        date="2020-08~",
        place=minsk,
        violations=["beating"],
        summary="Ivan Petrov was beaten on arrival.",
        citations=[citation(report, locator="p. 4")],
        involvements=[
            involvement(unit=omon, confidence="high", citations=[citation(video, quote="Hit")]),
            involvement(person=witness, role="victim"),
        ],
    )
    make_statement(
        session,
        key="w1-statement",
        witness=witness,
        protection="pseudonymous",
        pseudonym="W-1",
        text="Petrov: I was beaten.",
        incidents=[{"incident": incident, "excerpt": "Petrov was beaten at the gate"}],
    )
    make_statement(
        session,
        key="secret-statement",
        protection="confidential",
        pseudonym="W-2",
        text="Secret.",
        incidents=[{"incident": incident, "excerpt": "Confidential excerpt"}],
    )
    session.commit()
    return incident


def test_incident_page_shows_everything_it_mentions_with_links(
    session: Session, client_for: Client
) -> None:
    _documented(session)
    page = text(client_for("documenter").get("/incidents/okrestina"))
    assert "about August 2020" in page and "2020-08~" in page
    assert "Beating" in page and "Ivan Petrov was beaten on arrival." in page
    # Numbered citations link to the sources list on the page.
    assert '<a class="ref" href="#source-1"' in page and 'id="source-2"' in page
    assert "p. 4" in page and "Hit" in page
    assert "high" in page and "victim" in page
    assert '<a href="/statements/w1-statement">Statement w1-statement</a>' in page
    assert "Petrov was beaten at the gate" in page and "Confidential excerpt" in page
    assert "History" in page and "added" in page


def test_viewer_sees_the_incident_with_protection_applied(
    session: Session, client_for: Client
) -> None:
    _documented(session)
    page = text(client_for("viewer").get("/incidents/okrestina"))
    assert "Petrov" not in page and "petrov" not in page
    assert "W-1 was beaten on arrival." in page and "W-1" in page
    assert "Confidential excerpt" not in page and "secret-statement" not in page


def test_unknown_incident_is_404(client_for: Client) -> None:
    assert client_for("viewer").get("/incidents/no-such").status_code == 404


# --- forms ------------------------------------------------------------------------------


NEW_INCIDENT = {
    "title": "Shooting of a protester",
    "key": "",
    "date": "2020-08-10",
    "status": "alleged",
    "place": "minsk",
    "violations": "killing",
    "summary": "Shot near the Pushkinskaya metro station.",
    "citations-0-source": "video",
    "citations-0-locator": "00:01:10",
    "citations-0-credibility": "2",
    "involvements-0-unit": "omon",
    "involvements-0-role": "perpetrator",
    "involvements-0-confidence": "medium",
    "involvements-0-citations-0-source": "video",
    "involvements-1-unit": "",
    "involvements-1-person": "",
    "involvements-1-role": "perpetrator",
    "involvements-1-confidence": "medium",
}


def _references(session: Session) -> None:
    make_place(session, key="minsk", name="Minsk")
    make_unit(session, key="omon", name="OMON")
    make_source(session, key="video", title="Video")
    make_violation_type(session, key="killing", label="Killing")
    session.commit()


def test_create_incident_with_involvement_citing_a_source(
    session: Session, client_for: Client
) -> None:
    _references(session)
    client = client_for("documenter")
    form = text(client.get("/incidents/new"))
    assert 'data-edtf="true"' in form and 'data-autocomplete="units"' in form
    assert "2000/2001" in form  # EDTF examples
    response = client.post("/incidents/new", data=NEW_INCIDENT)
    assert response.status_code == 302
    assert response.location.endswith("/incidents/shooting-of-a-protester")
    incident = session.scalar(select(Incident).where(Incident.key == "shooting-of-a-protester"))
    assert incident.place.key == "minsk" and incident.citations[0].credibility == 2
    assert [inv.unit.key for inv in incident.involvements] == ["omon"]
    assert incident.involvements[0].citations[0].source.key == "video"


def test_form_errors_name_the_field_and_keep_what_was_typed(
    session: Session, client_for: Client
) -> None:
    _references(session)
    client = client_for("documenter")
    data = {**NEW_INCIDENT, "date": "2020-13", "involvements-0-unit": "amaz"}
    response = client.post("/incidents/new", data=data)
    page = text(response)
    assert response.status_code == 400
    assert "Date: &#34;2020-13&#34; is not a valid EDTF date" in page
    assert 'value="Shooting of a protester"' in page and 'value="2020-13"' in page
    data["date"] = "2020-08-10"
    page = text(client.post("/incidents/new", data=data))
    assert "Unit: Nothing is named &#34;amaz&#34; yet." in page and 'value="amaz"' in page
    assert session.scalar(select(Incident.id)) is None


def test_edit_changes_the_incident(session: Session, client_for: Client) -> None:
    _references(session)
    incident = make_incident(session, key="edit-me", title="Before")
    session.commit()
    client = client_for("documenter")
    form = text(client.get("/incidents/edit-me/edit"))
    assert 'value="Before"' in form and 'name="version" type="hidden" value="1"' in form
    data = {**NEW_INCIDENT, "title": "After", "key": "edit-me", "version": "1"}
    assert client.post("/incidents/edit-me/edit", data=data).status_code == 302
    session.refresh(incident)
    assert incident.title == "After" and incident.version == 2


def test_every_problem_comes_back_at_once_named_as_the_form_shows_it(
    session: Session, client_for: Client
) -> None:
    _references(session)
    session.commit()
    data = {**NEW_INCIDENT, "title": "", "place": "nowhere", "citations-0-source": ""}
    response = client_for("documenter").post("/incidents/new", data=data)
    page = text(response)
    assert response.status_code == 400
    assert "Title: Title is required" in page  # the form's own check
    assert "Source: Source is required: choose a source" in page  # the service's, same round
    assert "Place: Nothing is named &#34;nowhere&#34; yet." in page
    assert "citations-0-source is required" not in page
    assert session.scalar(select(func.count()).select_from(Incident)) == 0


def test_stale_edit_shows_both_versions_and_overwrites_nothing(
    session: Session, client_for: Client
) -> None:
    _references(session)
    incident = make_incident(session, key="contested", title="Original", date="2020-08")
    session.commit()
    client = client_for("documenter")
    first = {**NEW_INCIDENT, "title": "First editor", "key": "contested", "version": "1"}
    assert client.post("/incidents/contested/edit", data=first).status_code == 302
    second = {**first, "title": "Second editor", "date": "2021"}
    response = client.post("/incidents/contested/edit", data=second)
    page = text(response)
    assert response.status_code == 409
    assert "Nothing was saved" in page or "not</strong> saved" in page
    assert "Second editor" in page and "First editor" in page
    assert "Your version" in page and "Stored version" in page
    # What the second editor left alone (citations, involvements) is not marked as changed.
    rows = re.findall(r'<tr( class="differs")?>\s*<th scope="row">(\w+)', page)
    assert {name for marked, name in rows if marked} == {"title", "date"}
    assert {name for _marked, name in rows} >= {"citations", "involvements"}
    session.refresh(incident)
    assert incident.title == "First editor" and incident.date == "2020-08-10"


# --- no N+1 -----------------------------------------------------------------------------


@contextmanager
def counted(session: Session) -> Iterator[list[str]]:
    """Every SQL statement the app runs on the test's connection meanwhile."""
    statements: list[str] = []
    connection = session.connection()

    def remember(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", remember)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", remember)


def _incident_with(session: Session, title: str, count: int) -> Incident:
    sources = [make_source(session) for _ in range(count)]
    units = [make_unit(session) for _ in range(count)]
    types = [make_violation_type(session) for _ in range(count)]
    incident = make_incident(
        session,
        title=title,
        place=make_place(session),
        violations=types,
        citations=[citation(source) for source in sources],
        involvements=[
            involvement(unit=unit, citations=[citation(s) for s in sources]) for unit in units
        ],
    )
    for number in range(count):
        make_statement(
            session,
            witness=make_person(session),
            protection="pseudonymous",
            incidents=[{"incident": incident, "excerpt": f"excerpt {number}"}],
        )
    return incident


@pytest.mark.parametrize("role", ["documenter", "viewer"])
def test_sql_statements_do_not_grow_with_linked_records(
    session: Session, client_for: Client, role: str
) -> None:
    small = _incident_with(session, "Small", 2)
    session.commit()
    client = client_for(role)
    client.get("/incidents/")  # warm up: first-request work is not the page's
    with counted(session) as few:
        assert client.get(f"/incidents/{small.key}").status_code == 200
    with counted(session) as list_few:
        assert client.get("/incidents/").status_code == 200
    large = _incident_with(session, "Large", 20)
    for _ in range(18):
        make_incident(session, place=make_place(session), violations=[make_violation_type(session)])
    session.commit()
    with counted(session) as many:
        assert client.get(f"/incidents/{large.key}").status_code == 200
    with counted(session) as list_many:
        assert client.get("/incidents/").status_code == 200
    assert len(many) == len(few), "\n".join(many)
    assert len(list_many) == len(list_few), "\n".join(list_many)


def test_date_said_in_belarusian_is_stored_as_edtf(session: Session, client_for: Client) -> None:
    _references(session)
    client = client_for("documenter")
    refused = client.post(
        "/incidents/new", data={**NEW_INCIDENT, "date": "каля вечара", "place": "nowhere"}
    )
    page = text(refused)
    assert refused.status_code == 400
    assert "&#34;вечара&#34; is not a word of a date we know" in page
    assert 'value="каля вечара"' in page  # what was typed comes back
    assert session.scalar(select(Incident.id)) is None
    retried = client.post(
        "/incidents/new", data={**NEW_INCIDENT, "date": "каля жніўня 2020", "place": "nowhere"}
    )
    page = text(retried)
    assert retried.status_code == 400  # the place is still wrong: the phrase is kept as typed
    assert 'value="каля жніўня 2020"' in page and "Place:" in page
    response = client.post("/incidents/new", data={**NEW_INCIDENT, "date": "каля жніўня 2020"})
    assert response.status_code == 302
    incident = session.scalar(select(Incident).where(Incident.key == "shooting-of-a-protester"))
    assert incident.date == "2020-08~"
    assert (incident.earliest.isoformat(), incident.latest.isoformat()) == (
        "2020-08-01",
        "2020-08-31",
    )
