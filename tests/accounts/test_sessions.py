"""Session lifetime (idle and absolute), a new session at sign-in, cookie flags."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

import evidence.accounts.views as account_views
from tests.webclient import make_users, sign_in, without_csrf

MINUTE = 60.0
HOUR = 3600.0


class Clock:
    """The time the session checks see; tests move it forward."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(account_views, "now", clock)
    return clock


@pytest.fixture
def client(app: Flask, session: Session) -> FlaskClient:
    make_users(session)
    app.config["IDLE_TIMEOUT_MINUTES"] = 30
    app.config["SESSION_LIFETIME_HOURS"] = 12
    client = without_csrf(app).test_client()
    return client


def test_idle_session_ends(client: FlaskClient, clock: Clock) -> None:
    sign_in(client, "documenter")
    clock.advance(29 * MINUTE)
    assert client.get("/").status_code == 200
    clock.advance(29 * MINUTE)  # active 29 minutes ago: still fine
    assert client.get("/").status_code == 200
    clock.advance(31 * MINUTE)
    response = client.get("/")
    assert response.status_code == 302 and "/sign-in" in response.location
    page = client.get(response.location)
    assert b"signed out after a period of inactivity" in page.data
    assert client.get("/").status_code == 302  # really signed out


def test_active_session_ends_at_its_absolute_lifetime(client: FlaskClient, clock: Clock) -> None:
    sign_in(client, "documenter")
    for _ in range(int(12 * 60 / 20)):  # a request every 20 minutes for 12 hours
        clock.advance(20 * MINUTE)
        assert client.get("/").status_code == 200
    clock.advance(20 * MINUTE)
    response = client.get("/")
    assert response.status_code == 302
    assert b"maximum length" in client.get(response.location).data


def test_sign_in_starts_a_new_session(client: FlaskClient, clock: Clock) -> None:
    with client.session_transaction() as planted:
        planted["planted"] = "by someone else"
    sign_in(client, "viewer")
    with client.session_transaction() as first:
        assert "planted" not in first
        first_id = first["sid"]
    client.post("/sign-out")
    sign_in(client, "viewer")
    with client.session_transaction() as second:
        assert second["sid"] != first_id


def test_session_cookie_flags(client: FlaskClient, clock: Clock) -> None:
    data = {"name": "viewer", "password": "correct horse battery"}
    response = client.post("/sign-in", data=data)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    client.post("/sign-out")
    secure = client.post("/sign-in", data=data, base_url="https://localhost")
    assert "Secure" in secure.headers["Set-Cookie"]


def test_disabled_account_loses_its_open_session(
    client: FlaskClient, session: Session, clock: Clock
) -> None:
    from evidence.accounts.models import User

    sign_in(client, "lawyer")
    user = session.query(User).filter_by(name="lawyer").one()
    user.active = False
    session.commit()
    assert client.get("/").status_code == 302
