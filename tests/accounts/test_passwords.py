"""Password policy (length, guessability), changing one's own password, argon2id cost."""

from __future__ import annotations

import html
from collections.abc import Iterator

import pytest
from argon2 import extract_parameters
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.accounts import passwords
from evidence.accounts.models import User
from evidence.accounts.services import authenticate, create_user
from evidence.audit.models import AuditEntry
from evidence.core.validation import ValidationError
from evidence.interchange.cli import DEMO_PASSWORD
from tests.webclient import PASSWORD, make_users, sign_in, without_csrf

NEW_PASSWORD = "pelican orbit lantern gravel"


def _user(session: Session, name: str) -> User:
    session.expire_all()
    return session.scalar(select(User).where(User.name == name))


@pytest.fixture
def admin(app: Flask, session: Session) -> FlaskClient:
    make_users(session)
    client = without_csrf(app).test_client()
    sign_in(client, "admin")
    return client


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("password12", "must be at least 12 characters long"),
        ("aaaaaaaaaaaa", 'is too easy to guess (Repeats like "aaa" are easy to guess)'),
        ("1234567890ab", "is too easy to guess"),
        ("password1234", "is too easy to guess (This is a very common password)"),
        ("qwertyuiop12", "is too easy to guess"),
        ("a.petrova2026", "is too easy to guess"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(
    session: Session, password: str, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        create_user(session, name="a.petrova", role="viewer", password=password)
    assert str(refused.value).startswith(f"password: {message}")
    assert session.scalar(select(User).where(User.name == "a.petrova")) is None


def test_the_demo_and_test_passwords_are_accepted(session: Session) -> None:
    for name, password in (("demo-admin", DEMO_PASSWORD), ("someone", PASSWORD)):
        assert create_user(session, name=name, role="admin", password=password).id


def test_the_new_account_form_names_the_problem(admin: FlaskClient, session: Session) -> None:
    data = {"name": "b.weak", "role": "viewer", "password": "password1234"}
    response = admin.post("/accounts/new", data={**data, "confirm": "password1234"})
    assert response.status_code == 400
    text = html.unescape(response.get_data(as_text=True))
    assert "Password: is too easy to guess (This is a very common password)" in text
    assert _user(session, "b.weak") is None


def test_cli_refuses_a_weak_password(runner: FlaskCliRunner, session: Session) -> None:
    result = runner.invoke(
        args=["users", "create", "c.weak", "--role", "viewer"],
        env={"EVIDENCE_PASSWORD": "aaaaaaaaaaaa"},
    )
    assert result.exit_code == 1
    assert "password: is too easy to guess" in result.output
    assert _user(session, "c.weak") is None


def test_change_my_password(app: Flask, session: Session) -> None:
    make_users(session)
    without_csrf(app)
    here = app.test_client()
    sign_in(here, "documenter")
    elsewhere = app.test_client()
    sign_in(elsewhere, "documenter")
    assert b"Change my password" in here.get("/account/password").data
    data = {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    response = here.post("/account/password", data=data)
    assert response.status_code == 302 and response.location == "/account/"
    assert here.get("/").status_code == 200  # this session stays
    assert elsewhere.get("/").status_code == 302  # the other one ended
    fresh = app.test_client()
    refused = fresh.post("/sign-in", data={"name": "documenter", "password": PASSWORD})
    assert refused.status_code == 401
    sign_in(fresh, "documenter", NEW_PASSWORD)


def test_change_my_password_needs_the_current_one(app: Flask, session: Session) -> None:
    make_users(session)
    client = without_csrf(app).test_client()
    sign_in(client, "lawyer")
    before = _user(session, "lawyer").password_hash
    data = {"current_password": "a wrong guess here", "password": NEW_PASSWORD}
    response = client.post("/account/password", data={**data, "confirm": NEW_PASSWORD})
    assert response.status_code == 400
    text = html.unescape(response.get_data(as_text=True))
    assert "Current password: this is not your current password" in text
    assert _user(session, "lawyer").password_hash == before
    # A stolen session cannot be used to guess the password freely: it counts as a failure.
    failed = session.scalars(select(AuditEntry).where(AuditEntry.action == "login-failed")).all()
    assert [entry.detail for entry in failed] == [
        "current password refused on the password page of 'lawyer'"
    ]


def test_change_my_password_refuses_a_weak_one(app: Flask, session: Session) -> None:
    make_users(session)
    client = without_csrf(app).test_client()
    sign_in(client, "lawyer")
    before = _user(session, "lawyer").password_hash
    data = {"current_password": PASSWORD, "password": "1234567890ab", "confirm": "1234567890ab"}
    response = client.post("/account/password", data=data)
    assert response.status_code == 400
    assert b"New password: is too easy to guess" in response.data
    assert _user(session, "lawyer").password_hash == before


@pytest.fixture
def full_cost() -> Iterator[None]:
    passwords.use_cheap_hashing(False)
    yield
    passwords.use_cheap_hashing(True)


def test_argon2id_parameters(full_cost: None) -> None:
    assert passwords.hash_password(PASSWORD).startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_tests_hash_cheaply_and_real_use_upgrades_the_hash(session: Session, app: Flask) -> None:
    user = create_user(session, name="cheap", role="viewer", password=PASSWORD)
    assert user.password_hash.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    passwords.use_cheap_hashing(False)
    try:
        assert authenticate(session, "cheap", PASSWORD) is user
        assert user.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    finally:
        passwords.use_cheap_hashing(True)


@pytest.mark.parametrize("cheap", [False, True])
def test_an_unknown_name_is_checked_at_the_cost_of_a_real_password(
    cheap: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refusing an unknown name verifies the password against a hash of the current
    parameters and lengths (argon2's cost is set by them), which no password matches."""
    checked: list[str] = []
    monkeypatch.setattr(
        passwords, "password_matches", lambda stored, _password: checked.append(stored)
    )
    passwords.use_cheap_hashing(cheap)
    try:
        real = passwords.hash_password(PASSWORD)
        passwords.waste_a_check(PASSWORD)
        passwords.waste_a_check("any other password")
    finally:
        passwords.use_cheap_hashing(True)
    monkeypatch.undo()
    assert len(checked) == 2 and checked[0] == checked[1]
    assert extract_parameters(checked[0]) == extract_parameters(real)
    assert not passwords.password_matches(checked[0], PASSWORD)
