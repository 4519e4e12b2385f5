"""Sign-in throttling: per account name and per client address, kept in the database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

import evidence.accounts.views as account_views
from evidence import create_app
from evidence.audit.models import AuditEntry
from evidence.config import config_for_tests
from tests.conftest import share_connection
from tests.webclient import PASSWORD, make_users, without_csrf

WRONG = "not the password at all"


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(account_views, "now", clock)
    return clock


@pytest.fixture
def client(app: Flask, session: Session, clock: Clock) -> FlaskClient:
    make_users(session)
    return without_csrf(app).test_client()


def _try(client: FlaskClient, name: str, password: str, address: str = "192.0.2.10") -> int:
    data = {"name": name, "password": password}
    response = client.post("/sign-in", data=data, environ_base={"REMOTE_ADDR": address})
    if response.status_code == 302:
        client.post("/sign-out")
    return response.status_code


def _fail(client: FlaskClient, name: str, times: int, address: str = "192.0.2.10") -> None:
    for attempt in range(times):
        assert _try(client, name, WRONG, address) == 401, f"attempt {attempt + 1}"


def _events(session: Session, action: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_the_eleventh_attempt_is_refused_even_with_the_right_password(
    client: FlaskClient, session: Session
) -> None:
    _fail(client, "admin", 10)
    response = client.post("/sign-in", data={"name": "admin", "password": PASSWORD})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) == 60
    assert b"Too many failed sign-ins for this account" in response.data
    assert b"Wait 60 seconds" in response.data
    assert client.get("/").status_code == 302  # not signed in
    failures = _events(session, "login-failed")
    assert len(failures) == 10
    assert all(WRONG not in entry.detail and "admin" in entry.detail for entry in failures)
    [throttled] = _events(session, "login-throttled")
    assert "admin" in throttled.detail


def test_the_cool_down_grows_with_each_further_failure(client: FlaskClient, clock: Clock) -> None:
    _fail(client, "documenter", 10)
    clock.advance(61)
    assert _try(client, "documenter", WRONG) == 401  # the cool-down passed: checked again
    response = client.post("/sign-in", data={"name": "documenter", "password": PASSWORD})
    assert response.status_code == 429 and int(response.headers["Retry-After"]) == 120
    clock.advance(119)
    assert _try(client, "documenter", PASSWORD) == 429
    clock.advance(2)
    assert _try(client, "documenter", PASSWORD) == 302  # waited it out: signed in


def test_a_successful_sign_in_clears_the_accounts_failures(
    client: FlaskClient, clock: Clock
) -> None:
    _fail(client, "viewer", 9)
    assert _try(client, "viewer", PASSWORD) == 302
    _fail(client, "viewer", 9)
    assert _try(client, "viewer", PASSWORD) == 302


def test_one_address_trying_many_accounts_is_throttled(client: FlaskClient) -> None:
    names = ["admin", "lawyer", "auditor", "viewer", "nobody", "a", "b", "c", "d", "e"]
    for name in names:
        _fail(client, name, 1, address="198.51.100.7")
    response = client.post(
        "/sign-in",
        data={"name": "documenter", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    assert response.status_code == 429
    assert b"from your network address" in response.data
    assert _try(client, "documenter", PASSWORD, address="198.51.100.8") == 302


def test_unknown_names_are_throttled_like_real_ones(client: FlaskClient) -> None:
    _fail(client, "no.such.person", 10)
    assert _try(client, "no.such.person", WRONG) == 429


def test_unlock_clears_the_cool_down(
    client: FlaskClient, runner: FlaskCliRunner, session: Session
) -> None:
    _fail(client, "lawyer", 10)
    assert _try(client, "lawyer", PASSWORD) == 429
    result = runner.invoke(args=["users", "unlock", "lawyer", "--as", "ops"])
    assert result.exit_code == 0, result.output
    assert "10 failed sign-in(s) cleared" in result.output
    assert _try(client, "lawyer", PASSWORD) == 302
    [unlocked] = _events(session, "unlocked")
    assert unlocked.actor == "ops" and "lawyer" in unlocked.detail


def test_unlock_can_clear_an_address(client: FlaskClient, runner: FlaskCliRunner) -> None:
    for name in "abcdefghij":
        _fail(client, name, 1, address="203.0.113.5")
    assert _try(client, "viewer", PASSWORD, address="203.0.113.5") == 429
    result = runner.invoke(args=["users", "unlock", "viewer", "--address", "203.0.113.5"])
    assert result.exit_code == 0, result.output
    assert _try(client, "viewer", PASSWORD, address="203.0.113.5") == 302


def test_another_worker_process_sees_the_same_count(
    client: FlaskClient, database_url: str, connection: Connection, tmp_path: Path
) -> None:
    # A second application instance, as a second gunicorn worker would be, on the same database.
    other_worker = create_app(config_for_tests(database_url, str(tmp_path / "other")))
    share_connection(other_worker, connection)
    _fail(client, "auditor", 10)
    assert _try(without_csrf(other_worker).test_client(), "auditor", PASSWORD) == 429


def test_behind_a_proxy_the_forwarded_address_is_counted(
    session: Session, database_url: str, connection: Connection, tmp_path: Path, clock: Clock
) -> None:
    make_users(session)
    config = config_for_tests(database_url, str(tmp_path / "data"))
    config.PROXY_COUNT = 1
    behind_proxy = create_app(config)
    share_connection(behind_proxy, connection)
    client = without_csrf(behind_proxy).test_client()

    def attempt(name: str, password: str, client_address: str) -> int:
        # Every request comes from the proxy's own address, as behind nginx.
        response = client.post(
            "/sign-in",
            data={"name": name, "password": password},
            headers={"X-Forwarded-For": client_address},
            environ_base={"REMOTE_ADDR": "127.0.0.1"},
        )
        return response.status_code

    for name in "abcdefghij":
        assert attempt(name, WRONG, "203.0.113.9") == 401
    assert attempt("viewer", PASSWORD, "203.0.113.9") == 429
    assert attempt("viewer", PASSWORD, "203.0.113.10") == 302
