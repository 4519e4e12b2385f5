"""`evidence export --audience`: a public data set holds no confidential statement and no
protected name, in any field of any record, and still reads as an evidence/1 document."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy.orm import Session

from evidence.exhibits.services import add_custody_event, add_exhibit
from evidence.interchange.validate import schema_problems
from evidence.records.editing import retract
from evidence.store import Store
from tests.factories import (
    citation,
    involvement,
    make_case,
    make_incident,
    make_person,
    make_place,
    make_source,
    make_statement,
    make_unit,
    make_violation_type,
)

# Spellings of the protected witness's name, one per text field below.
NAMED = "About Павла Кузьмича, P. Kuzmich, Kuzmich's family and KUZMICH."
LEAKS = ("kuzmich", "кузьмич", "pavel", "павел", "павла", "pasha")
SECRET = "Confidential account of the night in the cells"


@pytest.fixture
def kuzmich_in_every_field(app, session: Session) -> None:
    violation = make_violation_type(session, label="Beating of Kuzmich", description=NAMED)
    place = make_place(session, name="Kuzmich farm", aliases=["хутор Кузьмича"])
    parent = make_unit(session, name="Interior ministry")
    unit = make_unit(
        session,
        name="Kuzmich's squad",
        aliases=["отряд Кузьмича"],
        parents=[{"unit": parent, "start": "2000"}],
    )
    witness = make_person(
        session,
        name="Pavel Kuzmich",
        aliases=["Павел Кузьмич", "Pasha"],
        notes=NAMED,
        memberships=[{"unit": unit, "title": "driver of P. Kuzmich's car", "start": "2001"}],
    )
    make_person(session, name="Olga Kuzmich", notes=NAMED)  # a relative: not protected
    source = make_source(
        session,
        title="Interview with P. Kuzmich",
        author="Kuzmich",
        publisher="Kuzmich family",
        notes=NAMED,
    )
    incident = make_incident(
        session,
        title="Beating of Кузьмич",
        summary=NAMED,
        place=place,
        violations=[violation],
        citations=[citation(source, locator="Kuzmich p. 4", quote=NAMED)],
        involvements=[
            involvement(person=witness, role="victim"),
            involvement(unit=unit, citations=[citation(source, locator="P. Kuzmich, p. 5")]),
        ],
    )
    links = [{"incident": incident, "excerpt": NAMED}]
    make_statement(
        session,
        witness=witness,
        protection="pseudonymous",
        pseudonym="Witness K",
        text=NAMED,
        translation=NAMED,
        taken_by="Kuzmich's lawyer",
        incidents=links,
    )
    make_statement(
        session, protection="confidential", pseudonym="Witness C", text=SECRET, incidents=links
    )
    make_case(session, title="Kuzmich v. Belarus", summary=NAMED, incidents=[incident])
    withdrawn = make_source(session, title="Rumours")
    retract(session, withdrawn, NAMED, by="tester")
    exhibit = add_exhibit(
        session,
        Store(app.config["DATA_DIR"]),
        io.BytesIO(b"signed"),
        filename="Kuzmich_signed_statement.txt",
        by="tester",
        incidents=[incident.key],
        acquired_from="Pavel Kuzmich, by hand",
    )
    add_custody_event(session, exhibit, action="transferred", by="tester", note=NAMED)
    session.commit()


def _export(runner, *options: str) -> str:
    result = runner.invoke(args=["export", *options])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.usefixtures("kuzmich_in_every_field")
def test_public_export_holds_no_protected_name_and_no_confidential_statement(runner):
    text = _export(runner, "--audience", "public")
    for leak in LEAKS:
        assert leak not in text.casefold(), leak
    assert SECRET not in text
    document = json.loads(text)
    assert schema_problems(document) == []
    persons = {p["key"]: p for p in document["persons"]}
    witness = persons["protected-witness-1"]
    assert (witness["name"], witness["aliases"], witness["notes"]) == ("Witness K", [], None)
    # References follow the neutral keys, so the export still imports as a whole.
    keys = {
        section: {r["key"] for r in document[section]}
        for section in document
        if section != "format"
    }
    assert {s["witness"] for s in document["statements"]} <= keys["persons"]
    for incident in document["incidents"]:
        assert incident["place"] in keys["places"]
        assert {i["person"] for i in incident["involvements"]} - {None} <= keys["persons"]
        assert {i["unit"] for i in incident["involvements"]} - {None} <= keys["units"]


@pytest.mark.usefixtures("kuzmich_in_every_field")
def test_counsel_export_keeps_confidential_statements_without_the_name(runner):
    text = _export(runner, "--audience", "counsel")
    assert SECRET in text
    for leak in LEAKS:
        assert leak not in text.casefold(), leak


@pytest.mark.usefixtures("kuzmich_in_every_field")
def test_internal_export_is_the_whole_data_set(runner):
    assert _export(runner) == _export(runner, "--audience", "internal")
    text = _export(runner)
    assert "Pavel Kuzmich" in text and SECRET in text


def test_an_unknown_audience_is_refused(runner):
    result = runner.invoke(args=["export", "--audience", "press"])
    assert result.exit_code != 0 and "--audience" in result.output
