"""A protected witness's person record never gets a key made from their name."""

from __future__ import annotations

import re

from evidence.actors.services import create_person, update_person
from evidence.models import Person
from tests.webclient import make_users, sign_in, without_csrf

NEUTRAL = re.compile(r"^witness-[a-z2-7]{4}$")


def test_a_protected_witness_gets_a_neutral_key(session):
    witness = create_person(session, name="Pavel Kuzmich", protected_witness=True)
    assert NEUTRAL.match(witness.key), witness.key
    other = create_person(session, name="Pavel Kuzmich", protected_witness=True)
    assert NEUTRAL.match(other.key) and other.key != witness.key
    # Everyone else still gets a readable key from the name.
    assert create_person(session, name="Olga Kuzmich").key == "olga-kuzmich"


def test_a_key_made_from_the_name_is_replaced(session):
    typed = create_person(
        session, name="Pavel Kuzmich", key="kuzmich-p", aliases=["Паша"], protected_witness=True
    )
    assert NEUTRAL.match(typed.key)
    existing = create_person(session, name="Ivan Petrov")
    assert existing.key == "ivan-petrov"
    update_person(session, existing, existing.version, protected_witness=True)
    assert NEUTRAL.match(existing.key)
    # A key that does not name the person is kept.
    chosen = create_person(session, name="Olga Sidorova", key="case-7-w2", protected_witness=True)
    assert chosen.key == "case-7-w2"


def test_the_person_form_makes_a_neutral_key(app, session):
    make_users(session)
    without_csrf(app)
    client = app.test_client()
    sign_in(client, "documenter")
    # The form's script fills the key in from the name; the box still wins.
    response = client.post(
        "/persons/new",
        data={"name": "Pavel Kuzmich", "key": "pavel-kuzmich", "protected_witness": "y"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    person = session.query(Person).filter_by(name="Pavel Kuzmich").one()
    assert NEUTRAL.match(person.key)
    assert "kuzmich" not in response.headers["Location"].lower()
