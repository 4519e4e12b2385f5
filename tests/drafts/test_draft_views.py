"""Drafts of the incident and statement forms: autosaved per user, listed, restored into
the form, deleted; only their owner ever sees one; saving the form discards its draft."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from evidence.accounts.services import create_user
from evidence.audit.models import AuditEntry
from evidence.core.timestamps import utcnow
from evidence.drafts.models import Draft
from evidence.drafts.services import prune_drafts, save_draft
from evidence.models import Incident
from tests.factories import make_incident, make_violation_type
from tests.webclient import PASSWORD, make_users, page_without_tokens, sign_in, without_csrf

SECRET_NAME = "Zinaida Protectedova"
FIELDS = [
    ["title", "Wall standing at the Sovetsky RUVD"],
    ["date", "каля жніўня 2020"],
    ["summary", f"{SECRET_NAME} stood for six hours."],
    ["violations", "ill-treatment"],
    ["involvements-0-role", "witness"],
]


def signed_in(app, name: str = "documenter"):
    client = without_csrf(app).test_client()
    sign_in(client, name)
    return client


def autosave(client, **body):
    return client.post("/drafts/autosave", data=json.dumps(body), content_type="application/json")


def second_documenter(session) -> None:
    create_user(session, name="other.documenter", role="documenter", password=PASSWORD)
    session.commit()


def test_autosave_keeps_the_typed_fields_and_updates_the_same_draft(app, session):
    make_users(session)
    client = signed_in(app)
    first = autosave(client, form="incident", record=None, draft=None, fields=FIELDS[:1])
    assert first.status_code == 200
    draft_id = first.json["draft"]
    again = autosave(client, form="incident", record=None, draft=draft_id, fields=FIELDS)
    assert again.json == {"draft": draft_id}
    drafts = session.scalars(select(Draft)).all()
    assert [(d.owner, d.form, d.record_key, d.fields) for d in drafts] == [
        ("documenter", "incident", None, FIELDS)
    ]


def test_the_security_token_is_not_kept_in_a_draft(app, session):
    make_users(session)
    fields = [["csrf_token", "token"], ["draft", "7"], *FIELDS]
    response = autosave(signed_in(app), form="incident", fields=fields)
    assert session.get(Draft, response.json["draft"]).fields == FIELDS


def test_a_restored_draft_opens_its_form_filled(app, session):
    make_users(session)
    make_violation_type(session, key="ill-treatment", label="Ill-treatment")
    session.commit()
    client = signed_in(app)
    draft_id = autosave(client, form="incident", fields=FIELDS).json["draft"]
    listed = client.get("/drafts/").get_data(as_text=True)
    assert "Wall standing at the Sovetsky RUVD" in listed
    restored = client.get(f"/drafts/{draft_id}", follow_redirects=True)
    body = restored.get_data(as_text=True)
    assert restored.request.path == "/incidents/new"
    assert 'value="Wall standing at the Sovetsky RUVD"' in body
    assert 'value="каля жніўня 2020"' in body
    assert f"{SECRET_NAME} stood for six hours." in body
    assert 'value="ill-treatment" checked' in body
    assert f'name="draft" value="{draft_id}"' in body


def test_a_draft_of_an_edit_reopens_the_edit_with_the_version_it_was_typed_against(app, session):
    make_users(session)
    incident = make_incident(session, title="Stored title")
    session.commit()
    client = signed_in(app)
    fields = [["title", "Changed title"], ["version", str(incident.version)]]
    draft_id = autosave(client, form="incident", record=incident.key, fields=fields).json["draft"]
    restored = client.get(f"/drafts/{draft_id}", follow_redirects=True)
    assert restored.request.path == f"/incidents/{incident.key}/edit"
    assert 'value="Changed title"' in restored.get_data(as_text=True)


@pytest.mark.parametrize(
    "request_for",
    [
        lambda client, i: client.get(f"/drafts/{i}"),
        lambda client, i: client.post(f"/drafts/{i}/delete"),
        lambda client, i: client.get(f"/incidents/new?draft={i}"),
        lambda client, i: autosave(client, form="incident", draft=i, fields=[["title", "x"]]),
    ],
    ids=["restore", "delete", "open-form", "autosave-over"],
)
def test_another_users_draft_answers_exactly_like_a_missing_one(app, session, request_for):
    make_users(session)
    second_documenter(session)
    owner = signed_in(app)
    draft_id = autosave(owner, form="incident", fields=FIELDS).json["draft"]
    other = signed_in(app, "other.documenter")
    theirs = request_for(other, draft_id)
    missing = request_for(other, draft_id + 1000)
    assert theirs.status_code == missing.status_code == 404
    assert page_without_tokens(theirs) == page_without_tokens(missing)
    assert SECRET_NAME not in other.get("/drafts/").get_data(as_text=True)
    assert session.get(Draft, draft_id).fields == FIELDS  # unchanged, not deleted


def test_a_draft_opened_in_the_wrong_form_answers_404(app, session):
    make_users(session)
    client = signed_in(app)
    draft_id = autosave(client, form="incident", fields=FIELDS).json["draft"]
    assert client.get(f"/statements/new?draft={draft_id}").status_code == 404


@pytest.mark.parametrize("role", ["viewer", "lawyer", "auditor"])
def test_only_documenters_have_drafts(app, session, role):
    make_users(session)
    client = signed_in(app, role)
    assert client.get("/drafts/").status_code == 403
    assert autosave(client, form="incident", fields=FIELDS).status_code == 403
    assert session.scalar(select(func.count()).select_from(Draft)) == 0


def test_the_drafts_page_is_in_the_header_for_documenters_only(app, session):
    make_users(session)
    assert 'href="/drafts/"' in signed_in(app).get("/").get_data(as_text=True)
    assert 'href="/drafts/"' not in signed_in(app, "viewer").get("/").get_data(as_text=True)


def test_autosave_refuses_a_post_without_the_csrf_token(app, session):
    make_users(session)
    client = signed_in(app)
    app.config["WTF_CSRF_ENABLED"] = True
    assert autosave(client, form="incident", fields=FIELDS).status_code == 400
    assert session.scalar(select(func.count()).select_from(Draft)) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"form": "case", "fields": []}, "form"),
        ({"form": "incident", "fields": "title=x"}, "fields"),
        ({"form": "incident", "fields": [["title"]]}, "fields"),
        ({"form": "incident", "fields": [["text", "x" * 500_001]]}, "fields"),
    ],
)
def test_autosave_refuses_what_is_not_a_form_and_saves_nothing(app, session, body, field):
    make_users(session)
    response = autosave(signed_in(app), **body)
    assert response.status_code == 400
    assert field in response.json["errors"]
    assert session.scalar(select(func.count()).select_from(Draft)) == 0


def test_a_nul_character_no_database_keeps_is_dropped_from_the_draft(app, session):
    make_users(session)
    response = autosave(signed_in(app), form="incident", fields=[["title", "Wall\x00 standing"]])
    assert session.get(Draft, response.json["draft"]).fields == [["title", "Wall standing"]]


def test_saving_the_form_deletes_its_draft_in_the_same_commit(app, session):
    make_users(session)
    client = signed_in(app)
    draft_id = autosave(client, form="incident", fields=FIELDS).json["draft"]
    response = client.post(
        "/incidents/new",
        data={"title": "Wall standing", "date": "2020-08", "status": "alleged", "draft": draft_id},
    )
    assert response.status_code == 302
    assert session.get(Draft, draft_id) is None
    assert session.scalar(select(Incident).where(Incident.title == "Wall standing"))


def test_a_refused_form_keeps_its_draft_and_warns_before_leaving(app, session):
    make_users(session)
    client = signed_in(app)
    draft_id = autosave(client, form="incident", fields=FIELDS).json["draft"]
    response = client.post("/incidents/new", data={"title": "", "draft": draft_id})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert f'name="draft" value="{draft_id}"' in body and "data-unsaved" in body
    assert session.get(Draft, draft_id) is not None


def test_saving_a_form_never_deletes_another_users_draft(app, session):
    make_users(session)
    second_documenter(session)
    theirs = autosave(signed_in(app, "other.documenter"), form="incident", fields=FIELDS)
    client = signed_in(app)
    data = {"title": "Mine", "date": "2020", "status": "alleged", "draft": theirs.json["draft"]}
    assert client.post("/incidents/new", data=data).status_code == 302
    assert session.get(Draft, theirs.json["draft"]) is not None


def test_drafts_stay_out_of_the_audit_log_and_search(app, session):
    make_users(session)
    client = signed_in(app)
    entries = session.scalar(select(func.count()).select_from(AuditEntry))
    autosave(client, form="incident", fields=FIELDS)
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == entries
    audit = session.scalars(select(AuditEntry.changes)).all()
    assert SECRET_NAME not in json.dumps(audit, ensure_ascii=False)
    found = client.get("/search/?q=Protectedova").get_data(as_text=True)
    assert "stood for six hours" not in found


def test_old_drafts_are_pruned_and_recent_ones_kept(app, session):
    make_users(session)
    old = save_draft(session, owner="documenter", form="incident", record_key=None, fields=FIELDS)
    old.updated_at = utcnow() - dt.timedelta(days=31)
    recent = save_draft(session, owner="documenter", form="statement", record_key=None, fields=[])
    session.commit()
    assert prune_drafts(session, older_than=utcnow() - dt.timedelta(days=30)) == 1
    assert session.get(Draft, old.id) is None and session.get(Draft, recent.id) is not None


def test_signing_in_prunes_drafts_older_than_the_setting(app, session):
    make_users(session)
    app.config["DRAFT_DAYS"] = 2
    old = save_draft(session, owner="viewer", form="incident", record_key=None, fields=FIELDS)
    old.updated_at = utcnow() - dt.timedelta(days=3)
    session.commit()
    signed_in(app)
    assert session.scalar(select(func.count()).select_from(Draft)) == 0


def test_the_prune_command_uses_the_setting(app, session, runner):
    make_users(session)
    app.config["DRAFT_DAYS"] = 10
    old = save_draft(session, owner="documenter", form="incident", record_key=None, fields=[])
    old.updated_at = utcnow() - dt.timedelta(days=11)
    save_draft(session, owner="documenter", form="incident", record_key=None, fields=[])
    session.commit()
    result = runner.invoke(args=["drafts", "prune"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 draft(s) older than 10 days." in result.output
    assert session.scalar(select(func.count()).select_from(Draft)) == 1
