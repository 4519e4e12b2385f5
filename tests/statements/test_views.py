"""Statement pages through the web: protection for viewers, forms, conflicts, retraction.

Every test runs on SQLite and PostgreSQL (the ``app`` fixture is parametrised).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.models import Statement
from tests.factories import make_incident, make_person, make_source, make_statement
from tests.incidents.test_views import Client, client_for, text

__all__ = ["client_for"]  # the fixture, shared with the incident view tests


@pytest.fixture
def statements(session: Session) -> dict[str, Statement]:
    witness = make_person(session, key="ivan-petrov", name="Ivan Petrov", aliases=["Иван Петров"])
    named = make_person(session, key="anna-k", name="Anna K")
    incident = make_incident(session, key="okrestina", title="Beatings at Okrestina")
    found = {
        "public": make_statement(
            session,
            key="anna-statement",
            witness=named,
            text="Anna saw the van.",
            incidents=[{"incident": incident, "excerpt": "the van"}],
        ),
        "pseudonymous": make_statement(
            session,
            key="w1-statement",
            witness=witness,
            protection="pseudonymous",
            pseudonym="W-1",
            text="Ivan Petrov: they beat me.",
            incidents=[{"incident": incident, "excerpt": "they beat me"}],
        ),
        "confidential": make_statement(
            session,
            key="w2-statement",
            protection="confidential",
            pseudonym="W-2",
            text="A confidential account.",
        ),
    }
    session.commit()
    return found


def test_viewer_list_hides_confidential_and_protected_names(
    statements: dict[str, Statement], client_for: Client
) -> None:
    page = text(client_for("viewer").get("/statements/"))
    assert "anna-statement" in page and "w1-statement" in page and "W-1" in page
    assert "w2-statement" not in page and "confidential account" not in page
    assert "Petrov" not in page and "Иван" not in page and "petrov" not in page
    assert "Anna K" in page and "2 statements" in page
    internal = text(client_for("documenter").get("/statements/"))
    assert "w2-statement" in internal and "Ivan Petrov" in internal


def test_confidential_statement_does_not_exist_for_viewers(
    statements: dict[str, Statement], client_for: Client
) -> None:
    assert client_for("viewer").get("/statements/w2-statement").status_code == 404
    assert client_for("lawyer").get("/statements/w2-statement").status_code == 200
    assert client_for("viewer").get("/statements/no-such").status_code == 404


def test_viewer_sees_a_pseudonymous_statement_only_under_the_pseudonym(
    statements: dict[str, Statement], client_for: Client
) -> None:
    page = text(client_for("viewer").get("/statements/w1-statement"))
    assert "W-1: they beat me." in page and "Beatings at Okrestina" in page
    assert "Petrov" not in page and "petrov" not in page
    internal = text(client_for("documenter").get("/statements/w1-statement"))
    assert "Ivan Petrov" in internal and "pseudonymous" in internal


def test_create_a_pseudonymous_statement_linked_to_an_incident(
    session: Session, client_for: Client
) -> None:
    make_person(session, key="olga", name="Olga S")
    make_source(session, key="interview-1", title="Interview 1")
    make_incident(session, key="okrestina", title="Beatings at Okrestina")
    session.commit()
    client = client_for("documenter")
    form = text(client.get("/statements/new?incident=okrestina"))
    assert 'value="okrestina"' in form and 'data-autocomplete="persons"' in form
    data = {
        "witness": "olga",
        "protection": "pseudonymous",
        "pseudonym": "",
        "taken": "2021-03",
        "text": "I was held for three days.",
        "source": "interview-1",
        "incidents-0-incident": "okrestina",
        "incidents-0-excerpt": "held for three days",
    }
    response = client.post("/statements/new", data=data)
    assert response.status_code == 400
    assert "Pseudonym: Pseudonym is required for a pseudonymous statement" in text(response)
    assert "I was held for three days." in text(response)
    response = client.post("/statements/new", data={**data, "pseudonym": "Witness O"})
    assert response.status_code == 302
    statement = session.scalar(select(Statement).where(Statement.pseudonym == "Witness O"))
    assert statement.key == "statement-witness-o-2021-03"
    assert statement.incident_links[0].incident.key == "okrestina"
    page = text(client_for("viewer").get("/incidents/okrestina"))
    assert "Witness O" in page and "Olga" not in page


def test_stale_statement_edit_is_a_conflict(
    statements: dict[str, Statement], session: Session, client_for: Client
) -> None:
    client = client_for("documenter")
    form = text(client.get("/statements/anna-statement/edit"))
    assert "Anna saw the van." in form
    data = {"key": "anna-statement", "witness": "anna-k", "protection": "public", "version": "1"}
    assert client.post("/statements/anna-statement/edit", data={**data, "text": "One"}).status_code
    response = client.post("/statements/anna-statement/edit", data={**data, "text": "Two"})
    assert response.status_code == 409
    assert "Two" in text(response) and "One" in text(response)
    session.refresh(statements["public"])
    assert statements["public"].text == "One"


def test_retracted_statement_is_hidden_from_the_list_until_asked_for(
    statements: dict[str, Statement], client_for: Client
) -> None:
    client = client_for("documenter")
    response = client.post(
        "/statements/anna-statement/retract",
        data={"reason": "withdrawn by witness", "version": statements["public"].version},
    )
    assert response.status_code == 302
    assert 'href="/statements/anna-statement"' not in text(client.get("/statements/"))
    assert 'href="/statements/anna-statement"' in text(client.get("/statements/?retracted=1"))
    page = text(client.get("/statements/anna-statement"))
    assert "withdrawn by witness" in page and "Restore" in page
    assert client_for("viewer").post("/statements/anna-statement/restore").status_code == 403
