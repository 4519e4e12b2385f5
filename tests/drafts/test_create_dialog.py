"""Creating a place, unit, person or source from inside the incident and statement forms:
the kind's "new" route answers a dialog fragment, refuses what its page refuses, and
answers the new record's key and label as JSON once it is saved (one commit, audited)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from evidence.actors.models import Person
from evidence.audit.models import AuditEntry
from evidence.models import Place, Source
from tests.factories import make_source
from tests.webclient import make_users, sign_in, without_csrf


def signed_in(app, name: str = "documenter"):
    client = without_csrf(app).test_client()
    sign_in(client, name)
    return client


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(
    ("page", "fields"),
    [
        ("/incidents/new", ("place", "unit", "person", "source")),
        ("/statements/new", ("person", "source")),
    ],
)
def test_the_forms_carry_the_dialog_for_each_kind_they_refer_to(app, session, page, fields):
    make_users(session)
    body = signed_in(app).get(page).get_data(as_text=True)
    assert "<dialog" in body and 'aria-labelledby="create-dialog-title"' in body
    for kind in fields:
        assert f'data-url-{kind}="/{kind}s/new?dialog=1"' in body
    assert "js/drafts.js" in body


def test_the_dialog_shows_only_the_first_fields_with_ids_of_its_own(app, session):
    make_users(session)
    body = signed_in(app).get("/persons/new?dialog=1").get_data(as_text=True)
    assert "<html" not in body  # a fragment for the dialog, not a page
    assert 'id="create-dialog-title"' in body
    assert 'id="new-name"' in body and 'for="new-name"' in body
    assert 'id="new-protected_witness"' in body
    assert 'name="memberships-0-unit"' not in body


def test_a_protected_witness_created_in_the_dialog_comes_back_as_key_and_label(app, session):
    make_users(session)
    client = signed_in(app)
    entries = count(session, AuditEntry)
    response = client.post(
        "/persons/new?dialog=1",
        data={"name": "Anna Dialogova", "aliases": "Анна Диалогова", "protected_witness": "y"},
    )
    assert response.status_code == 201
    person = session.scalar(select(Person).where(Person.name == "Anna Dialogova"))
    assert response.json == {"key": person.key, "label": "Anna Dialogova"}
    assert person.key.startswith("witness-")  # the protection choice made in the dialog
    assert person.aliases == ["Анна Диалогова"]
    assert count(session, AuditEntry) == entries + 1  # audited like any create


def test_a_source_created_in_the_dialog_keeps_its_reliability(app, session):
    make_users(session)
    response = signed_in(app).post(
        "/sources/new?dialog=1",
        data={"title": "Radio Svaboda interview, 2020", "kind": "interview", "reliability": "B"},
    )
    assert response.status_code == 201
    source = session.scalar(select(Source).where(Source.key == response.json["key"]))
    assert (source.title, source.reliability) == ("Radio Svaboda interview, 2020", "B")


def test_errors_come_back_inside_the_dialog_naming_the_field_and_nothing_is_saved(app, session):
    make_users(session)
    client = signed_in(app)
    places = count(session, Place)
    response = client.post("/places/new?dialog=1", data={"name": "", "kind": "settlement"})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "data-create-form" in body and "<html" not in body
    assert "Name is required" in body
    assert 'aria-invalid="true"' in body
    assert count(session, Place) == places


def test_errors_in_the_dialog_speak_the_users_language(app, session):
    make_users(session)
    client = signed_in(app)
    response = client.post(
        "/places/new?dialog=1",
        data={"name": "", "kind": "settlement"},
        headers={"Accept-Language": "be"},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Name is required" not in body
    assert "Новае месца" in body


def test_a_likely_duplicate_is_shown_in_the_dialog_before_saving(app, session):
    make_users(session)
    make_source(session, title="Radio Svaboda interview, 2020")
    session.commit()
    client = signed_in(app)
    sources = count(session, Source)
    data = {"title": "Radio Svaboda interview 2020", "kind": "interview"}
    response = client.post("/sources/new?dialog=1", data=data)
    assert response.status_code == 200
    assert 'name="save_anyway"' in response.get_data(as_text=True)
    assert count(session, Source) == sources
    response = client.post("/sources/new?dialog=1", data={**data, "save_anyway": "1"})
    assert response.status_code == 201
    assert count(session, Source) == sources + 1


@pytest.mark.parametrize("role", ["viewer", "lawyer", "auditor"])
def test_the_dialog_asks_the_same_permission_as_the_new_page(app, session, role):
    make_users(session)
    client = signed_in(app, role)
    places = count(session, Place)
    assert client.get("/places/new?dialog=1").status_code == 403
    response = client.post("/places/new?dialog=1", data={"name": "Minsk", "kind": "settlement"})
    assert response.status_code == 403
    assert count(session, Place) == places


def test_the_dialog_refuses_a_post_without_its_csrf_token(app, session):
    make_users(session)
    client = signed_in(app)
    app.config["WTF_CSRF_ENABLED"] = True
    places = count(session, Place)
    response = client.post("/places/new?dialog=1", data={"name": "Minsk", "kind": "settlement"})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert count(session, Place) == places
