"""Helpers for tests that drive the web UI through Flask's test client.

``users(session)`` creates one account per role (named after the role, all
with PASSWORD); ``sign_in(client, name)`` signs in through the real form.
CSRF is switched off by ``web_app`` so tests can post forms directly; the
CSRF tests switch it back on.
"""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from evidence.accounts.models import User
from evidence.accounts.services import create_user
from evidence.vocabularies import ROLES

PASSWORD = "correct horse battery"


def make_users(session: Session) -> dict[str, User]:
    users = {role: create_user(session, name=role, role=role, password=PASSWORD) for role in ROLES}
    session.commit()
    return users


def without_csrf(app: Flask) -> Flask:
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def sign_in(client: FlaskClient, name: str, password: str = PASSWORD) -> None:
    response = client.post("/sign-in", data={"name": name, "password": password})
    assert response.status_code == 302, f"sign-in as {name} failed ({response.status_code})"


# The sign-out form's CSRF token carries the second it was made in.
CSRF_TOKEN = re.compile(rb'name="csrf_token" value="[^"]*"')


def page_without_tokens(response: TestResponse) -> bytes:
    """The page's bytes without its CSRF tokens, to compare two pages made moments apart."""
    return CSRF_TOKEN.sub(b"", response.get_data())
