"""Two-factor sign-in (TOTP): enrolment in the UI and the CLI, codes, recovery codes, policy."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

import evidence.accounts.views as account_views
from evidence.accounts.models import RecoveryCode, User
from evidence.audit.models import AuditEntry
from evidence.config import Config
from tests.webclient import PASSWORD, make_users, sign_in, without_csrf

SECRET_ON_PAGE = re.compile(r'id="totp-secret">([A-Z2-7]+)<')
RECOVERY_CODE = re.compile(r"<code>([a-z2-7]{4}(?:-[a-z2-7]{4}){3})</code>")


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 12, 4, 9, 0, 10, tzinfo=dt.UTC)

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


def _enrol(client: FlaskClient, clock: Clock) -> tuple[str, list[str]]:
    """Set up TOTP through the account page, as a user with an authenticator app would."""
    page = client.get("/account/two-factor")
    assert page.status_code == 200
    secret = SECRET_ON_PAGE.search(page.get_data(as_text=True)).group(1)
    done = client.post("/account/two-factor", data={"code": pyotp.TOTP(secret).at(clock.now)})
    assert done.status_code == 200, done.get_data(as_text=True)
    codes = RECOVERY_CODE.findall(done.get_data(as_text=True))
    return secret, codes


def _password_step(client: FlaskClient, name: str) -> None:
    response = client.post("/sign-in", data={"name": name, "password": PASSWORD})
    assert response.status_code == 302 and response.location.startswith("/sign-in/code")


def _events(session: Session, action: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_enrol_then_sign_in_with_a_code_from_the_app(
    client: FlaskClient, clock: Clock, session: Session
) -> None:
    sign_in(client, "lawyer")
    page = client.get("/account/two-factor")
    assert "<svg" in page.get_data(as_text=True)  # the QR code is drawn in the page
    assert "no-store" in page.headers["Cache-Control"]
    secret, codes = _enrol(client, clock)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert [e.actor for e in _events(session, "totp-enrolled")] == ["lawyer"]
    client.post("/sign-out")

    _password_step(client, "lawyer")
    assert client.get("/").status_code == 302  # the password alone does not sign in
    clock.advance(30)
    wrong = client.post("/sign-in/code", data={"code": "000000"})
    assert wrong.status_code == 401 and b"this code is wrong" in wrong.data
    response = client.post("/sign-in/code", data={"code": pyotp.TOTP(secret).at(clock.now)})
    assert response.status_code == 302 and response.location == "/"
    assert client.get("/").status_code == 200
    assert "(authenticator code)" in _events(session, "login")[-1].detail


def test_a_code_is_accepted_once(client: FlaskClient, clock: Clock) -> None:
    sign_in(client, "viewer")
    secret, _ = _enrol(client, clock)
    client.post("/sign-out")
    clock.advance(30)
    code = pyotp.TOTP(secret).at(clock.now)
    _password_step(client, "viewer")
    assert client.post("/sign-in/code", data={"code": code}).status_code == 302
    client.post("/sign-out")
    _password_step(client, "viewer")
    assert client.post("/sign-in/code", data={"code": code}).status_code == 401  # replayed
    clock.advance(30)
    code = pyotp.TOTP(secret).at(clock.now)
    assert client.post("/sign-in/code", data={"code": code}).status_code == 302


def test_a_recovery_code_works_once(client: FlaskClient, clock: Clock, session: Session) -> None:
    sign_in(client, "auditor")
    _, codes = _enrol(client, clock)
    stored = session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not set(codes) & set(stored)  # only hashes are kept
    client.post("/sign-out")
    _password_step(client, "auditor")
    response = client.post("/sign-in/code", data={"code": codes[3].upper()})
    assert response.status_code == 302
    assert "(recovery code; 9 left)" in _events(session, "login")[-1].detail
    client.post("/sign-out")
    _password_step(client, "auditor")
    assert client.post("/sign-in/code", data={"code": codes[3]}).status_code == 401
    assert client.post("/sign-in/code", data={"code": codes[4]}).status_code == 302


def test_a_wrong_enrolment_code_leaves_two_factor_off(
    client: FlaskClient, clock: Clock, session: Session
) -> None:
    sign_in(client, "documenter")
    client.get("/account/two-factor")
    response = client.post("/account/two-factor", data={"code": "123456"})
    assert response.status_code == 400
    assert b"Code: this is not the code your app shows now" in response.data
    session.expire_all()
    assert session.scalar(select(User).where(User.name == "documenter")).totp_secret is None


def test_the_half_signed_in_session_opens_nothing_and_expires(
    client: FlaskClient, clock: Clock
) -> None:
    sign_in(client, "admin")
    secret, _ = _enrol(client, clock)
    client.post("/sign-out")
    _password_step(client, "admin")
    response = client.get("/accounts/")
    assert response.status_code == 302 and "/sign-in?next=" in response.location
    clock.advance(11 * 60)
    code = pyotp.TOTP(secret).at(clock.now)
    late = client.post("/sign-in/code", data={"code": code})
    assert late.status_code == 302 and late.location == "/sign-in"
    assert client.get("/").status_code == 302


def test_wrong_codes_are_throttled(client: FlaskClient, clock: Clock, session: Session) -> None:
    sign_in(client, "lawyer")
    secret, _ = _enrol(client, clock)
    client.post("/sign-out")
    _password_step(client, "lawyer")
    for _ in range(10):
        assert client.post("/sign-in/code", data={"code": "999999"}).status_code == 401
    clock.advance(30)
    response = client.post("/sign-in/code", data={"code": pyotp.TOTP(secret).at(clock.now)})
    assert response.status_code == 429
    assert len(_events(session, "login-failed")) == 10


def test_required_two_factor_sends_the_user_to_enrol(
    client: FlaskClient, app: Flask, clock: Clock
) -> None:
    app.config["REQUIRE_2FA"] = ("lawyer", "admin")
    sign_in(client, "lawyer")
    for path in ("/", "/cases/", "/account/password", "/account/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.location == "/account/two-factor", path
    page = client.get("/account/two-factor")
    assert b"Your role requires two-factor sign-in" in page.data
    _enrol(client, clock)
    assert client.get("/cases/").status_code == 200
    sign_in(app.test_client(), "viewer")  # other roles are not asked


def test_cli_enrols_and_removes(
    client: FlaskClient, runner: FlaskCliRunner, clock: Clock, session: Session
) -> None:
    result = runner.invoke(args=["users", "totp", "enable", "documenter", "--as", "ops"])
    assert result.exit_code == 0, result.output
    [uri] = [line for line in result.output.splitlines() if line.startswith("otpauth://")]
    parts = urlsplit(uri)
    assert parts.netloc == "totp" and "documenter" in parts.path
    secret = parse_qs(parts.query)["secret"][0]
    codes = re.findall(r"^  (\S+)$", result.output, flags=re.MULTILINE)
    assert len(codes) == 10
    again = runner.invoke(args=["users", "totp", "enable", "documenter"])
    assert again.exit_code == 1 and "already on" in again.output

    _password_step(client, "documenter")
    response = client.post("/sign-in/code", data={"code": pyotp.TOTP(secret).at(clock.now)})
    assert response.status_code == 302
    client.post("/sign-out")

    result = runner.invoke(args=["users", "totp", "disable", "documenter", "--as", "ops"])
    assert result.exit_code == 0, result.output
    sign_in(client, "documenter")  # the password alone is enough again
    assert [e.actor for e in _events(session, "totp-enrolled")] == ["ops"]
    assert [e.actor for e in _events(session, "totp-removed")] == ["ops"]
    assert all(secret not in e.detail for e in _events(session, "totp-enrolled"))
    unknown = runner.invoke(args=["users", "totp", "disable", "nobody"])
    assert unknown.exit_code == 1 and "no account named 'nobody'" in unknown.output


def test_required_roles_setting_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVIDENCE_REQUIRE_2FA", "admin, lawyer")
    assert Config().REQUIRE_2FA == ("admin", "lawyer")
    monkeypatch.setenv("EVIDENCE_REQUIRE_2FA", "admin,lawyers")
    with pytest.raises(ValueError, match="unknown role"):
        Config()


def test_new_recovery_codes_replace_the_old_ones(
    client: FlaskClient, clock: Clock, session: Session
) -> None:
    sign_in(client, "viewer")
    secret, old_codes = _enrol(client, clock)
    assert b"10 unused recovery codes left" in client.get("/account/").data
    wrong = client.post("/account/two-factor/recovery-codes", data={"code": "000000"})
    assert wrong.status_code == 400 and b"Code from your app: this code is wrong" in wrong.data
    clock.advance(30)
    response = client.post(
        "/account/two-factor/recovery-codes", data={"code": pyotp.TOTP(secret).at(clock.now)}
    )
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    new_codes = RECOVERY_CODE.findall(response.get_data(as_text=True))
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    assert [e.actor for e in _events(session, "recovery-codes-renewed")] == ["viewer"]
    client.post("/sign-out")
    _password_step(client, "viewer")
    assert client.post("/sign-in/code", data={"code": old_codes[0]}).status_code == 401
    assert client.post("/sign-in/code", data={"code": new_codes[0]}).status_code == 302
