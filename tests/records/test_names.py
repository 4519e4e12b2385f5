"""Typed names in reference fields (issue 15 item 4): the resolver, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from evidence.core.validation import FieldErrors, ValidationError
from evidence.incidents.services import create_incident
from evidence.models import Person, Place
from evidence.protection import INTERNAL, PUBLIC, Protection
from evidence.records.editing import resolve, retract
from evidence.records.names import accepting_names
from tests.factories import (
    involvement,
    make_incident,
    make_person,
    make_place,
    make_statement,
    make_unit,
)


def _resolve(session: Session, model: type, typed: str, audience: str = INTERNAL):
    """(the record ``typed`` names or None, the outcome noted for the field)."""
    with accepting_names(session, Protection.load(session, audience)) as names:
        found = names.resolve(session, model, "place", typed)
    return found, names.outcomes.get("place")


@pytest.fixture
def minsk(session: Session) -> Place:
    place = make_place(session, key="minsk", name="Мінск", aliases=["Minsk"])
    make_place(session, key="pinsk", name="Пінск")
    make_place(session, key="minsk-region", name="Мінская вобласць")
    session.commit()  # "did you mean" looks for near spellings in the search index
    return place


@pytest.mark.parametrize("typed", ["Мінск", "минск", "Minsk", "МІНСК", "MINSK", " minsk "])
def test_a_name_in_any_case_and_script_names_the_record(
    session: Session, minsk: Place, typed: str
) -> None:
    assert _resolve(session, Place, typed) == (minsk, None)


def test_an_alias_names_the_record(session: Session) -> None:
    omon = make_unit(session, name="Атрад міліцыі асаблівага прызначэння", aliases=["ОМОН"])
    with accepting_names(session, Protection.load(session, INTERNAL)) as names:
        assert names.resolve(session, type(omon), "unit", "omon") == omon


def test_several_records_of_one_name_are_offered_as_choices(session: Session) -> None:
    first = make_person(session, key="pavel-kuzmich", name="Павел Кузьмич")
    second = make_person(session, key="pavel-kuzmich-2", name="Pavel Kuzmich")
    make_person(session, key="pavel", name="Pavel")
    found, outcome = _resolve(session, Person, "pavel kuzmich")
    assert found is None
    assert [(c.key, c.label) for c in outcome.choices] == [
        (first.key, "Павел Кузьмич"),
        (second.key, "Pavel Kuzmich"),
    ]
    assert outcome.nearest == ()


def test_no_record_of_that_name_offers_the_nearest(session: Session, minsk: Place) -> None:
    found, outcome = _resolve(session, Place, "Minks")
    assert found is None and outcome.choices == ()
    assert [c.key for c in outcome.nearest][0] == "minsk"
    assert "pinsk" not in [c.key for c in outcome.nearest][:1]


def test_a_name_near_nothing_offers_nothing(session: Session, minsk: Place) -> None:
    found, outcome = _resolve(session, Place, "Qwxz Vbnm")
    assert found is None and outcome.choices == () and outcome.nearest == ()


def test_retracted_records_are_not_named(session: Session, minsk: Place) -> None:
    retract(session, minsk, "duplicate", by="tester")
    found, outcome = _resolve(session, Place, "Minsk")
    assert found is None
    assert "minsk" not in [c.key for c in outcome.nearest]


def test_a_key_comes_first(session: Session, minsk: Place) -> None:
    make_place(session, key="grodno", name="minsk-region")
    with accepting_names(session, Protection.load(session, INTERNAL)):
        found = resolve(FieldErrors(), session, Place, "place", "minsk-region")
    assert found is not None and found.name == "Мінская вобласць"


def test_services_take_names_only_while_names_are_accepted(session: Session, minsk: Place) -> None:
    with pytest.raises(ValidationError) as refused:
        create_incident(session, title="Beaten", date="2020-08-10", place="Minsk")
    assert refused.value.errors == {"place": 'no place with key "Minsk"'}
    with accepting_names(session, Protection.load(session, INTERNAL)):
        incident = create_incident(session, title="Beaten", date="2020-08-10", place="минск")
        with pytest.raises(ValidationError) as refused:
            create_incident(session, title="Beaten", date="2020-08-10", place="Minks")
    assert incident.place == minsk
    assert refused.value.errors == {
        "place": 'No place has the key or name "Minks". Did you mean minsk, minsk-region?'
    }


# --- protection: a protected witness's name names nothing outside the team ------------------


@pytest.fixture
def protected(session: Session) -> Person:
    witness = make_person(session, key="witness-a", name="Ivan Siarhiejevich Karpenka")
    make_statement(session, witness=witness, protection="pseudonymous", pseudonym="Witness A")
    make_person(session, key="karpovich", name="Anton Karpovich")
    # A namesake the public may see: offered, their name would be read as the pseudonym.
    make_person(session, key="piotr-karpenka", name="Piotr Karpenka", aliases=["Karpenka"])
    session.commit()
    return witness


def test_the_team_finds_a_protected_witness_by_name(session: Session, protected: Person) -> None:
    with accepting_names(session, Protection.load(session, INTERNAL)) as names:
        assert names.resolve(session, Person, "witness", "IVAN SIARHIEJEVICH KARPENKO") == protected


@pytest.mark.parametrize(
    "typed",
    [
        "Ivan Siarhiejevich Karpenka",
        "иван сергеевич карпенко",
        "Ivan Karpenka",
        "Karpenko",
        "Karpenka Ivan",
        "witness-a",  # the key
    ],
)
def test_a_protected_witness_answers_outside_the_team_as_a_name_of_nobody(
    session: Session, protected: Person, typed: str
) -> None:
    nobody = " ".join("Qwxzvbnmyt"[: len(word)] for word in typed.split())
    statements: list[str] = []

    def counted(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    def refused(name: str) -> tuple[ValidationError, int]:
        statements.clear()
        with pytest.raises(ValidationError) as caught:
            create_incident(
                session, title="t", date="2020", involvements=[involvement(person=name)]
            )
        return caught.value, len(statements)

    event.listen(session.connection(), "before_cursor_execute", counted)
    try:
        with accepting_names(session, Protection.load(session, PUBLIC)) as names:
            (named, named_queries), (nonsense, nonsense_queries) = refused(typed), refused(nobody)
    finally:
        event.remove(session.connection(), "before_cursor_execute", counted)
    field = "involvements-0-person"
    assert named.errors[field] == nonsense.errors[field].replace(nobody, typed)
    # The same work as for a name of nobody: no shortcut a stopwatch could tell apart.
    assert named_queries == nonsense_queries
    outcome = names.outcomes[field]
    assert outcome.choices == () and outcome.nearest == ()


def test_outside_the_team_other_people_stay_nameable(session: Session, protected: Person) -> None:
    with accepting_names(session, Protection.load(session, PUBLIC)) as names:
        found = names.resolve(session, Person, "person", "Антон Карпович")
        assert found is not None and found.key == "karpovich"
        assert names.resolve(session, Person, "person", "Anton Karpovih") is None
    assert [c.key for c in names.outcomes["person"].nearest] == ["karpovich"]


def test_the_command_line_takes_names_and_lists_the_records_to_choose_from(
    runner, session: Session, tmp_path
) -> None:
    make_incident(session, key="sovetsky", title="Beatings at the Sovetsky police station")
    make_incident(session, key="okrestina-1", title="Okrestina")
    make_incident(session, key="okrestina-2", title="Окрестина")
    session.commit()
    photo = tmp_path / "photo.txt"
    photo.write_bytes(b"a photo")

    def add(incident: str):
        return runner.invoke(args=["exhibits", "add", str(photo), "--incident", incident])

    added = add("beatings at the sovetsky police station")
    assert added.exit_code == 0, added.output
    several = add("OKRESTINA")
    assert several.exit_code == 1
    assert "give the key of the one you mean (okrestina-1, okrestina-2)" in several.stderr
    none = add("Beatings at the Sovetsky police")
    assert none.exit_code == 1 and "Did you mean sovetsky?" in none.stderr
