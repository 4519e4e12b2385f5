"""Names typed into the reference fields of the incident and statement forms (issue 15
item 4): one record named is that record; several are offered to choose from; none
offers the nearest and a button to create it."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.models import Incident, Statement
from tests.factories import make_incident, make_person, make_place, make_source, make_unit
from tests.incidents.test_views import Client, client_for, text

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
