"""Account administration pages: create, change role, password, disable and enable."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.accounts.models import User
from evidence.audit.models import AuditEntry
from tests.webclient import make_users, sign_in, without_csrf


@pytest.fixture
def admin(app: Flask, session: Session) -> FlaskClient:
    make_users(session)
    client = without_csrf(app).test_client()
    sign_in(client, "admin")
    return client


def _user(session: Session, name: str) -> User:
    session.expire_all()
    return session.scalar(select(User).where(User.name == name))


def test_admin_lists_and_creates_accounts(admin: FlaskClient, session: Session) -> None:
    listing = admin.get("/accounts/")
    assert listing.status_code == 200 and b"documenter" in listing.data
    data = {
        "name": "a.petrova",
        "role": "documenter",
        "password": "a long passphrase",
        "confirm": "a long passphrase",
    }
    response = admin.post("/accounts/new", data=data)
    assert response.status_code == 302
    created = _user(session, "a.petrova")
    assert created.role == "documenter" and created.active
    sign_in(admin, "a.petrova", "a long passphrase")
    entry = session.scalar(select(AuditEntry).where(AuditEntry.record_key == "a.petrova"))
    assert entry.actor == "admin" and entry.action == "insert"


def test_new_account_errors_name_the_field_and_keep_input(
    admin: FlaskClient, session: Session
) -> None:
    data = {"name": "viewer", "role": "lawyer", "password": "short", "confirm": "other"}
    response = admin.post("/accounts/new", data=data)
    assert response.status_code == 400
    assert b"Password: Use at least 12 characters (at most 1024)." in response.data
    assert b"Repeat the password: The passwords differ." in response.data
    assert b'value="viewer"' in response.data
    data.update(password="long enough pass", confirm="long enough pass")
    duplicate = admin.post("/accounts/new", data=data)
    assert b"Account name: an account named &#39;viewer&#39; already exists" in duplicate.data
    assert _user(session, "viewer").role == "viewer"


def test_change_role_and_password(admin: FlaskClient, session: Session) -> None:
    viewer = _user(session, "viewer")
    assert admin.post(f"/accounts/{viewer.id}/role", data={"role": "auditor"}).status_code == 302
    assert _user(session, "viewer").role == "auditor"
    new_password = {"password": "another passphrase", "confirm": "another passphrase"}
    assert admin.post(f"/accounts/{viewer.id}/password", data=new_password).status_code == 302
    sign_in(admin.application.test_client(), "viewer", "another passphrase")


def test_last_admin_cannot_lock_everyone_out(admin: FlaskClient, session: Session) -> None:
    me = _user(session, "admin")
    response = admin.post(f"/accounts/{me.id}/role", data={"role": "viewer"})
    assert response.status_code == 400
    assert b"Role: admin is the last active admin" in response.data
    refused = admin.post(f"/accounts/{me.id}/disable", follow_redirects=True)
    assert b"admin is the last active admin" in refused.data
    assert b"active: admin" not in refused.data  # the notice is the refusal, not a field's
    assert _user(session, "admin").role == "admin" and _user(session, "admin").active


def test_disable_and_enable(admin: FlaskClient, session: Session, app: Flask) -> None:
    lawyer = _user(session, "lawyer")
    assert admin.post(f"/accounts/{lawyer.id}/disable").status_code == 302
    assert not _user(session, "lawyer").active
    other = app.test_client()
    refused = other.post("/sign-in", data={"name": "lawyer", "password": "correct horse battery"})
    assert refused.status_code == 401
    admin.post(f"/accounts/{lawyer.id}/enable")
    sign_in(other, "lawyer")


def test_unknown_account_is_404(admin: FlaskClient) -> None:
    assert admin.get("/accounts/999999").status_code == 404
