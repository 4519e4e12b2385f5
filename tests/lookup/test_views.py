"""The JSON lookups behind every form: autocomplete with protection, EDTF preview."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.factories import make_incident, make_person, make_statement, make_unit
from tests.incidents.test_views import Client, client_for

__all__ = ["client_for"]


def _keys(response) -> list[str | None]:
    return [result["key"] for result in response.get_json()["results"]]


def test_autocomplete_matches_names_and_aliases(session: Session, client_for: Client) -> None:
    make_unit(session, key="omon", name="OMON", aliases=["ОМОН", "Special police"])
    make_unit(session, key="almaz", name="Almaz")
    session.commit()
    client = client_for("documenter")
    assert _keys(client.get("/lookup/units?q=special")) == ["omon"]
    assert _keys(client.get("/lookup/units?q=alm")) == ["almaz"]
    assert client.get("/lookup/units?q=").get_json()["results"] == []
    assert client.get("/lookup/cows?q=x").status_code == 404


def test_autocomplete_never_reveals_a_protected_witness(
    session: Session, client_for: Client
) -> None:
    witness = make_person(session, key="ivan-petrov", name="Ivan Petrov", aliases=["Vanya"])
    make_incident(session, key="arrest-17", title="Arrest of Ivan Petrov")
    make_statement(session, witness=witness, protection="pseudonymous", pseudonym="W-1")
    session.commit()
    viewer = client_for("viewer")
    for kind, query in (("persons", "ivan"), ("persons", "vanya"), ("incidents", "petrov")):
        response = viewer.get(f"/lookup/{kind}?q={query}")
        assert response.get_json()["results"] == [], (kind, query)
    shown = viewer.get("/lookup/incidents?q=arrest").get_json()["results"]
    assert shown == [{"key": "arrest-17", "label": "Arrest of W-1", "aliases": []}]
    documenter = client_for("documenter")
    assert _keys(documenter.get("/lookup/persons?q=vanya")) == ["ivan-petrov"]


def test_date_preview(client_for: Client) -> None:
    client = client_for("viewer")
    assert client.get("/lookup/date?value=2020-08~").get_json() == {
        "valid": True,
        "text": "about August 2020",
        "edtf": "2020-08~",
        "earliest": "2020-08-01",
        "latest": "2020-08-31",
        "range_text": "between 1 August 2020 and 31 August 2020",
        "error": None,
    }
    in_belarusian = client.get(
        "/lookup/date?value=2020/..", headers={"Accept-Language": "be"}
    ).get_json()
    assert in_belarusian["range_text"] == "з 1 студзеня 2020 і пазней"
    bad = client.get("/lookup/date?value=2020-13").get_json()
    assert bad["valid"] is False and '"2020-13"' in bad["error"] and bad["edtf"] is None


def test_date_preview_reads_phrases_and_says_what_it_will_store(client_for: Client) -> None:
    client = client_for("viewer")
    for phrase in ("about August 2020", "около августа 2020", "каля жніўня 2020"):
        said = client.get("/lookup/date", query_string={"value": phrase}).get_json()
        assert (said["valid"], said["edtf"], said["text"]) == (
            True,
            "2020-08~",
            "about August 2020",
        )
    early = client.get("/lookup/date", query_string={"value": "пачатак 2006"}).get_json()
    assert early["edtf"] == "2006-01/2006-04" and early["latest"] == "2006-04-30"
    refused = client.get("/lookup/date", query_string={"value": "каля вечара"}).get_json()
    assert refused["valid"] is False and refused["edtf"] is None
    assert '"вечара" is not a word of a date we know' in refused["error"]
