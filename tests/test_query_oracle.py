"""No search oracle: for a viewer, a protected name finds exactly what a nonsense word finds.

A viewer who suspects that "Kuzmich" is a protected witness types the name, a case form,
a piece of it or a misspelling into every search box and list filter. Whatever the
records hold, each page must be the same as for a word that occurs nowhere, so it
confirms nothing. The team still finds the records by the name.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from html import escape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from evidence.exhibits.services import add_exhibit
from evidence.store import store_for
from tests.factories import (
    involvement,
    make_case,
    make_incident,
    make_person,
    make_place,
    make_source,
    make_statement,
    make_unit,
)
from tests.webclient import make_users, sign_in, without_csrf

NONSENSE = "Qwxzvbn"
# The name, a Russian case form, a Belarusian one with a lookalike letter, pieces of the
# name (list filters match inside words) and a misspelling the search would correct.
PROBES = ["Kuzmich", "Кузьмича", "Kuzmіchам", "Kuzm", "uzmic", "Kuzmitch", "P. Kuzmich"]
LISTS = [
    "/incidents/?q={}",
    "/places/?q={}",
    "/units/?q={}",
    "/persons/?q={}",
    "/sources/?q={}",
    "/cases/?q={}",
    "/exhibits/?q={}",
    "/search?q={}",
    "/search?q={}&type=incident",
    "/lookup/persons?q={}",
    "/lookup/places?q={}",
    "/lookup/sources?q={}",
    "/lookup/incidents?q={}",
    "/lookup/units?q={}",
]


@pytest.fixture
def kuzmich_everywhere(app: Flask, session: Session) -> None:
    """A protected witness whose name is written into every record a list filters by."""
    kuzmich = make_person(session, name="Pavel Kuzmich", aliases=["Павел Кузьмич"])
    make_statement(
        session, witness=kuzmich, protection="pseudonymous", pseudonym="Witness K",
        text="I, Pavel Kuzmich, was beaten.",
    )  # fmt: skip
    farm = make_place(session, name="Kuzmich farm", aliases=["хутор Кузьмича"])
    squad = make_unit(session, name="Squad 9", aliases=["Kuzmich's squad"])
    make_person(session, name="Olga Kuzmich")  # a relative, not protected herself
    make_source(session, title="Interview with P. Kuzmich")
    make_case(session, title="Kuzmich v. Belarus")
    make_incident(
        session, title="Beating of Кузьмич", place=farm, summary="Kuzmich was beaten.",
        involvements=[involvement(unit=squad)],
    )  # fmt: skip
    unrelated = make_incident(session, title="Unrelated detention", summary="Nobody named.")
    add_exhibit(
        session, store_for(app.config), io.BytesIO(b"signed: Pavel Kuzmich"),
        filename="Kuzmich_signed_statement.txt", by="tester", incidents=[unrelated.key],
    )  # fmt: skip
    session.commit()


@pytest.fixture
def client_for(
    app: Flask, session: Session, kuzmich_everywhere: None
) -> Callable[[str], FlaskClient]:
    """A signed-in test client for a role, over the records above."""
    make_users(session)
    without_csrf(app)

    def signed_in(role: str) -> FlaskClient:
        client = app.test_client()
        sign_in(client, role)
        return client

    return signed_in


def _page(client: FlaskClient, url: str, word: str) -> str:
    """The page for a query, with the echo of the typed query itself blanked out."""
    response = client.get(url.format(word))
    assert response.status_code == 200, url.format(word)
    page = response.get_data(as_text=True)
    for echo in {word, escape(word), escape(word, quote=False), json.dumps(word)[1:-1]}:
        page = page.replace(echo, "<QUERY>")
    page = re.sub(r"q=[^&\"']*", "q=<QUERY>", page)
    return re.sub(r"[\w-]{20,}\.[\w-]+\.[\w-]+", "<CSRF TOKEN>", page)


@pytest.mark.parametrize("url", LISTS)
def test_a_protected_name_finds_what_a_nonsense_word_finds(client_for, url):
    viewer = client_for("viewer")
    nonsense = _page(viewer, url, NONSENSE)
    for probe in PROBES:
        assert _page(viewer, url, probe) == nonsense, probe


@pytest.mark.parametrize(
    "url", ["/incidents/?q={}", "/places/?q={}", "/sources/?q={}", "/cases/?q={}", "/search?q={}"]
)
def test_the_team_finds_the_records_by_the_name(client_for, url):
    documenter = client_for("documenter")
    assert _page(documenter, url, "Kuzmich") != _page(documenter, url, NONSENSE)


def test_every_viewer_query_says_that_some_words_may_be_ignored(client_for):
    viewer = client_for("viewer")
    for url in LISTS:
        if url.startswith("/lookup"):
            continue
        for word in (NONSENSE, "Kuzmich", "farm"):
            assert "Some words were ignored" in _page(viewer, url, word), url
    documenter = client_for("documenter")
    assert "Some words were ignored" not in _page(documenter, "/search?q={}", "Kuzmich")


def test_other_words_still_find_records_for_the_viewer(client_for):
    viewer = client_for("viewer")
    assert "Unrelated detention" in viewer.get("/incidents/?q=unrelated").get_data(as_text=True)
    assert "Squad 9" in viewer.get("/units/?q=squad").get_data(as_text=True)


@pytest.mark.usefixtures("kuzmich_everywhere")
def test_cli_search_for_the_public_audience_is_no_oracle(runner):
    def found(word: str) -> dict:
        result = runner.invoke(args=["search", "query", "--audience", "public", "--json", word])
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        data.pop("query")
        return data

    nonsense = found(NONSENSE)
    for probe in PROBES:
        assert found(probe) == nonsense, probe
