"""Names typed into the reference fields of the incident and statement forms (issue 15
item 4): one record named is that record; several are offered to choose from; none
offers the nearest and a button to create it."""

from __future__ import annotations

import html
import re
from urllib.parse import quote_plus

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.models import Incident, Statement
from evidence.protection import PUBLIC, Protection
from tests.factories import (
    make_incident,
    make_person,
    make_place,
    make_source,
    make_statement,
    make_unit,
)
from tests.incidents.test_views import Client, client_for, text
from tests.webclient import page_without_tokens

__all__ = ["client_for"]

INCIDENT = {
    "title": "Beatings at the Sovetsky district police station",
    "date": "2020-08-11",
    "status": "alleged",
    "involvements-0-role": "perpetrator",
    "involvements-0-confidence": "medium",
}
STATEMENT = {
    "protection": "public",
    "taken": "2021-03",
    "text": "They beat us in the yard.",
    "incidents-0-excerpt": "in the yard",
}


@pytest.fixture
def world(session: Session) -> None:
    make_place(session, key="minsk", name="Мінск", aliases=["Minsk"])
    make_place(session, key="pinsk", name="Пінск", aliases=["Pinsk"])
    make_unit(session, key="omon-minsk", name="ОМОН ГУВД Мингорисполкома", aliases=["OMON"])
    make_unit(session, key="omon-brest", name="OMON Brest", aliases=["ОМОН"])
    make_person(session, key="kuzmich", name="Павел Кузьмич")
    make_source(session, key="svaboda", title="Радыё Свабода, інтэрв'ю 2020")
    make_incident(session, key="sovetsky", title="Sovetsky district police station")
    session.commit()


def _choices(page: str, field: str) -> list[tuple[str, str]]:
    """(key, label) of each record offered beside ``field``."""
    found = re.findall(
        rf'<input type="radio" name="{re.escape(field)}" value="([^"]+)"[^>]*> ([^<]*) <span',
        page,
    )
    return [(key, html.unescape(label)) for key, label in found]


def _create_button(page: str) -> dict[str, str] | None:
    found = re.search(r"<button type=\"button\"[^>]*data-create=[^>]*>", page)
    if found is None:
        return None
    return dict(re.findall(r'(data-create[a-z-]*)="([^"]*)"', found.group()))


def test_a_name_that_names_one_record_is_that_record(
    session: Session, world: None, client_for: Client
) -> None:
    client = client_for("documenter")
    data = {**INCIDENT, "place": "минск", "involvements-0-person": "PAVEL KUZMICH"}
    response = client.post("/incidents/new", data=data)
    assert response.status_code == 302, text(response)
    incident = session.scalar(select(Incident).where(Incident.date == "2020-08-11"))
    assert incident.place.key == "minsk"
    assert incident.involvements[0].person.key == "kuzmich"

    statement = {
        **STATEMENT,
        "witness": "Павел Кузьмич",
        "source": "РАДЫЁ СВАБОДА, ІНТЭРВ'Ю 2020",
        "incidents-0-incident": "sovetsky district police station",
    }
    response = client.post("/statements/new", data=statement)
    assert response.status_code == 302, text(response)
    saved = session.scalar(select(Statement).where(Statement.taken == "2021-03"))
    assert (saved.witness.key, saved.source.key) == ("kuzmich", "svaboda")
    assert saved.incident_links[0].incident.key == "sovetsky"


def test_a_name_of_several_records_lists_them_and_saves_nothing(
    session: Session, world: None, client_for: Client
) -> None:
    client = client_for("documenter")
    data = {**INCIDENT, "place": "Minsk", "involvements-0-unit": "омон"}
    response = client.post("/incidents/new", data=data)
    page = text(response)
    assert response.status_code == 400
    assert session.scalar(select(Incident.id).where(Incident.date == "2020-08-11")) is None
    assert "Unit: Several records are named &#34;омон&#34;" in page
    assert _choices(page, "involvements-0-unit") == [
        ("omon-minsk", "ОМОН ГУВД Мингорисполкома"),
        ("omon-brest", "OMON Brest"),
    ]
    assert 'value="омон"' in page  # what was typed stays in the field
    # Choosing one sends its key after the typed text (no JavaScript needed): it is saved.
    chosen = {**data, "involvements-0-unit": ["омон", "omon-brest"]}
    assert client.post("/incidents/new", data=chosen).status_code == 302
    incident = session.scalar(select(Incident).where(Incident.date == "2020-08-11"))
    assert incident.involvements[0].unit.key == "omon-brest"


def test_a_name_of_nothing_offers_the_nearest_and_creating_it(
    session: Session, world: None, client_for: Client
) -> None:
    client = client_for("documenter")
    response = client.post("/incidents/new", data={**INCIDENT, "place": "Minks"})
    page = text(response)
    assert response.status_code == 400
    assert "Place: Nothing is named &#34;Minks&#34; yet." in page
    assert _choices(page, "place")[0] == ("minsk", "Мінск")
    button = _create_button(page)
    assert button == {
        "data-create": "places",
        "data-create-name": "Minks",
        "data-create-for": "place",
        "data-create-page": "/places/new?name=Minks",
    }
    new_place = text(client.get(button["data-create-page"]))
    assert re.search(r'id="name"[^>]*value="Minks"|value="Minks"[^>]*id="name"', new_place)

    statement = {**STATEMENT, "witness": "", "source": "Radio Svobodа 2021"}
    page = text(client.post("/statements/new", data=statement))
    assert "Source: Nothing is named" in page
    assert _choices(page, "source") == [("svaboda", "Радыё Свабода, інтэрв'ю 2020")]
    assert _create_button(page)["data-create-page"].startswith("/sources/new?title=Radio")
    assert "Sovetsky" in text(client.get("/incidents/new?title=Sovetsky"))


# --- protection: outside the team a protected witness's name names nobody -------------------


@pytest.mark.parametrize(
    ("url", "field", "fields"),
    [
        ("/incidents/new", "involvements-0-person", INCIDENT),
        ("/statements/new", "witness", STATEMENT),
    ],
)
@pytest.mark.parametrize("typed", ["Karpenka", "КАРПЕНКО", "witness-a"])
def test_a_protected_witness_typed_outside_the_team_answers_as_a_name_of_nobody(
    session: Session, client_for: Client, url: str, field: str, fields: dict, typed: str
) -> None:
    """A documenter previewing the form as the public sees it (the only way to post a form
    as an audience that may not see protected witnesses) gets, for the witness's name, the
    page a name of nobody gets: no choices, no "did you mean", the same button."""
    witness = make_person(session, key="witness-a", name="Ivan Siarhiejevich Karpenka")
    make_statement(session, witness=witness, protection="pseudonymous", pseudonym="Witness A")
    make_person(session, key="karpovich", name="Anton Karpovich")
    session.commit()
    client = client_for("documenter")
    public = Protection.load(session, PUBLIC)
    nobody = "Qwxzvbnm"

    def page(name: str) -> bytes:
        response = client.post(f"{url}?preview=public", data={**fields, field: name})
        assert response.status_code == 400
        # What was typed is echoed: as the public reads it (the witness's name as the
        # pseudonym), and in the "new" page's address, percent-encoded.
        shown = page_without_tokens(response)
        for echoed in (html.escape(public.scrub(name) or ""), quote_plus(name)):
            shown = shown.replace(echoed.encode(), b"TYPED")
        return shown

    assert page(typed) == page(nobody)
    assert b"Witness A" not in page(nobody)
    assert b"Ivan" not in page(typed) and b"karpenka" not in page(typed).lower()
    # The team is offered the witness for the same name.
    team = text(client.post(url, data={**fields, field: "Karpenka"}))
    assert ("witness-a", "Ivan Siarhiejevich Karpenka") in _choices(team, field)
