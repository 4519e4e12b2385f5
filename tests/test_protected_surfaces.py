"""What every page and JSON response does with protected names, and what the team is told.

The leak test (tests/test_leaks.py) crawls everything; these tests show single surfaces a
user notices: the page title and a filter dropdown scrubbed for a viewer, JSON scrubbed,
the notice that tells a documenter which words viewers will not see, and the
"Preview as public" view.
"""

from __future__ import annotations

import html
import json

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.factories import (
    make_incident,
    make_person,
    make_place,
    make_statement,
    make_violation_type,
)
from tests.webclient import make_users, sign_in, without_csrf


@pytest.fixture
def world(app, session: Session) -> dict:
    make_users(session)
    witness = make_person(session, key="witness-1", name="Pavel Kuzmich")
    make_statement(session, witness=witness, protection="pseudonymous", pseudonym="Witness R")
    place = make_place(session, key="yard", name="Yard where Pavel Kuzmich was held")
    make_violation_type(session, key="beat", label="Beating of Pavel Kuzmich")
    incident = make_incident(
        session, key="inc-1", title="Beating", place=place, summary="Pavel Kuzmich was beaten."
    )
    session.commit()
    return {"incident": incident}


def _client(app, role: str) -> FlaskClient:
    client = without_csrf(app).test_client()
    sign_in(client, role)
    return client


def _page(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return html.unescape(response.get_data(as_text=True))


def test_titles_dropdowns_and_json_are_scrubbed_for_a_viewer(app, world) -> None:
    viewer = _client(app, "viewer")
    place = _page(viewer, "/places/yard")
    assert "<title>Yard where Witness R was held" in place
    listing = _page(viewer, "/incidents/")
    assert "Beating of Witness R" in listing  # the violation filter's options
    found = viewer.get("/lookup/places?q=Yard")
    labels = json.dumps(found.get_json(), ensure_ascii=False)
    assert "Witness R" in labels and "Kuzmich" not in labels
    for page in (place, listing):
        assert "Kuzmich" not in page
    documenter = _client(app, "documenter")
    assert "<title>Yard where Pavel Kuzmich was held" in _page(documenter, "/places/yard")


def test_the_documenter_is_told_which_words_viewers_will_not_see(app, world) -> None:
    documenter = _client(app, "documenter")
    page = _page(documenter, "/incidents/inc-1")
    assert "Witness protection on this page" in page
    assert "Viewers (the public) and counsel will not see these words" in page
    assert "“Pavel Kuzmich”" in page
    viewer_page = _page(_client(app, "viewer"), "/incidents/inc-1")
    assert "Witness protection on this page" not in viewer_page


def test_preview_as_public_shows_what_a_viewer_sees(app, world) -> None:
    documenter = _client(app, "documenter")
    page = _page(documenter, "/incidents/inc-1")
    assert "Preview as public" in page and "?preview=public" in page
    preview = _page(documenter, "/incidents/inc-1?preview=public")
    assert "Witness R was beaten" in preview and "Kuzmich" not in preview
    assert "this page as a viewer (the public audience) sees it" in preview
    assert "/incidents/inc-1/edit" not in preview  # the viewer's buttons, too
    # The preview is the viewer's page: the same text, once the banner is set aside.
    viewer_page = _page(_client(app, "viewer"), "/incidents/inc-1")
    assert "Witness R was beaten" in viewer_page
    # A viewer asking for a preview gets their own view: nothing more.
    assert "Kuzmich" not in _page(_client(app, "viewer"), "/incidents/inc-1?preview=public")


def test_hidden_words_are_found_in_order(session: Session, world) -> None:
    from evidence.protection import Protection

    public = Protection.load(session, "public")
    assert public.hidden_words("PAVEL KUZMICH and pavel kuzmich met") == [
        "PAVEL KUZMICH",
        "pavel kuzmich",
    ]
    assert public.hidden_words("nobody") == []
    assert Protection.load(session, "internal").hidden_words("Pavel Kuzmich") == []
