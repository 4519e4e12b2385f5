"""Signing in and out through the web form, and what the audit log records of it."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.audit.models import AuditEntry
from tests.webclient import PASSWORD, make_users, sign_in, without_csrf


def _events(session: Session, action: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_sign_in_lands_on_the_dashboard_and_is_audited(app: Flask, session: Session) -> None:
    make_users(session)
    client = without_csrf(app).test_client()
    response = client.post("/sign-in", data={"name": "documenter", "password": PASSWORD})
    assert response.status_code == 302 and response.location == "/"
    page = client.get("/")
    assert page.status_code == 200 and b"Dashboard" in page.data
    [login] = _events(session, "login")
    assert login.actor == "documenter"
    assert PASSWORD not in login.detail


def test_wrong_password_is_refused_and_audited_without_the_password(
    app: Flask, session: Session
) -> None:
    make_users(session)
    client = without_csrf(app).test_client()
    response = client.post("/sign-in", data={"name": "admin", "password": "not the password"})
    assert response.status_code == 401
    assert b"account name or password is wrong" in response.data
    assert b'value="admin"' in response.data  # what the user typed is kept
    assert client.get("/").status_code == 302
    [failed] = _events(session, "login-failed")
    assert "admin" in failed.detail and "not the password" not in failed.detail
    assert _events(session, "login") == []


def test_unknown_name_and_disabled_account_are_refused(app: Flask, session: Session) -> None:
    users = make_users(session)
    users["lawyer"].active = False
    session.commit()
    client = without_csrf(app).test_client()
    for name in ("nobody", "lawyer"):
        response = client.post("/sign-in", data={"name": name, "password": PASSWORD})
        assert response.status_code == 401, name
    assert len(_events(session, "login-failed")) == 2


def test_empty_form_names_the_missing_fields(app: Flask, session: Session) -> None:
    client = without_csrf(app).test_client()
    response = client.post("/sign-in", data={"name": "", "password": ""})
    assert response.status_code == 200
    assert b"Account name: This field is required." in response.data
    assert b"Password: This field is required." in response.data


def test_next_is_followed_only_within_the_site(app: Flask, session: Session) -> None:
    make_users(session)
    client = without_csrf(app).test_client()
    assert client.get("/accounts/").location == "/sign-in?next=%2Faccounts%2F"
    data = {"name": "admin", "password": PASSWORD}
    assert client.post("/sign-in?next=/accounts/", data=data).location == "/accounts/"
    client.post("/sign-out")
    for hostile in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post("/sign-in", query_string={"next": hostile}, data=data)
        assert response.location == "/", hostile
        client.post("/sign-out")


def test_sign_out_ends_the_session(app: Flask, session: Session) -> None:
    make_users(session)
    client = without_csrf(app).test_client()
    sign_in(client, "viewer")
    assert client.get("/").status_code == 200
    response = client.post("/sign-out")
    assert response.status_code == 302 and response.location == "/sign-in"
    assert client.get("/").status_code == 302
    assert [e.actor for e in _events(session, "logout")] == ["viewer"]


def test_sign_out_needs_a_post_with_the_csrf_token(app: Flask, session: Session) -> None:
    make_users(session)
    client = without_csrf(app).test_client()
    sign_in(client, "viewer")
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.get("/sign-out").status_code == 405
    refused = client.post("/sign-out")
    assert refused.status_code == 400
    assert b"expired or was sent without its security token" in refused.data
    assert client.get("/").status_code == 200  # still signed in


def test_sign_in_form_without_csrf_token_is_refused(app: Flask, session: Session) -> None:
    make_users(session)
    client = app.test_client()
    response = client.post("/sign-in", data={"name": "admin", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302
