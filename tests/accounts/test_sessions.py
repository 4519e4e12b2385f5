"""Session lifetime (idle and absolute), a new session at sign-in, cookie flags."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

import evidence.accounts.views as account_views
from tests.webclient import PASSWORD, make_users, sign_in, without_csrf

MINUTE = 60.0
HOUR = 3600.0


class Clock:
    """The time the session checks see; tests move it forward."""

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


# Server-side sessions: a copied cookie is worthless once its session ends.


def _replay(app: Flask, cookie: str, **headers: str) -> int:
    """Status of the dashboard for a new browser holding a copy of ``cookie``."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief.get("/", headers=headers).status_code


def _cookie(client: FlaskClient) -> str:
    return client.get_cookie("session").value


def _signed_in(app: Flask, name: str) -> tuple[FlaskClient, str]:
    client = app.test_client()
    sign_in(client, name)
    return client, _cookie(client)


def _user_id(session: Session, name: str) -> int:
    from evidence.accounts.models import User

    return session.query(User).filter_by(name=name).one().id


def test_copied_cookie_works_until_sign_out_then_never(client: FlaskClient, app: Flask) -> None:
    sign_in(client, "viewer")
    cookie = _cookie(client)
    assert _replay(app, cookie) == 200  # a copy works while the session lives...
    client.post("/sign-out")
    assert _replay(app, cookie) == 302  # ...and not after sign-out


def test_cookie_from_another_browser_is_refused(client: FlaskClient, app: Flask) -> None:
    sign_in(client, "viewer")
    other_browser = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Firefox/128.0"}
    assert _replay(app, _cookie(client), **other_browser) == 302
    assert client.get("/").status_code == 200  # the owner's browser still works


def test_admin_password_change_ends_the_users_sessions(
    client: FlaskClient, app: Flask, session: Session
) -> None:
    _, cookie = _signed_in(app, "lawyer")
    sign_in(client, "admin")
    password = {"password": "a fresh passphrase", "confirm": "a fresh passphrase"}
    user_id = _user_id(session, "lawyer")
    assert client.post(f"/accounts/{user_id}/password", data=password).status_code == 302
    assert _replay(app, cookie) == 302
    assert client.get("/").status_code == 200  # the admin's own session is untouched


def test_role_change_ends_the_users_sessions(
    client: FlaskClient, app: Flask, session: Session
) -> None:
    _, cookie = _signed_in(app, "documenter")
    sign_in(client, "admin")
    user_id = _user_id(session, "documenter")
    assert client.post(f"/accounts/{user_id}/role", data={"role": "viewer"}).status_code == 302
    assert _replay(app, cookie) == 302


def test_re_enabling_an_account_does_not_revive_its_cookies(
    client: FlaskClient, app: Flask, session: Session
) -> None:
    _, cookie = _signed_in(app, "auditor")
    sign_in(client, "admin")
    user_id = _user_id(session, "auditor")
    client.post(f"/accounts/{user_id}/disable")
    assert _replay(app, cookie) == 302
    client.post(f"/accounts/{user_id}/enable")
    assert _replay(app, cookie) == 302
    sign_in(app.test_client(), "auditor")  # the account itself works again


def test_a_forged_remember_me_cookie_signs_nobody_in(app: Flask, session: Session) -> None:
    from flask_login.utils import encode_cookie

    make_users(session)
    user_id = _user_id(session, "admin")
    with app.test_request_context():
        remember = encode_cookie(str(user_id))
    forger = app.test_client()
    forger.set_cookie("remember_token", remember)
    response = forger.get("/accounts/")
    assert response.status_code == 302 and "/sign-in" in response.location


def test_the_table_holds_only_a_hash_of_the_cookies_token(
    client: FlaskClient, session: Session
) -> None:
    import hashlib

    from evidence.accounts.models import UserSession

    sign_in(client, "viewer")
    with client.session_transaction() as cookie_session:
        token = cookie_session["sid"]
    [row] = session.query(UserSession).all()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {row.token_hash, row.client}


def test_user_sees_and_ends_their_sessions(app: Flask, session: Session) -> None:
    from evidence.accounts.models import UserSession
    from evidence.audit.models import AuditEntry

    make_users(session)
    without_csrf(app)
    laptop = app.test_client()
    sign_in(laptop, "lawyer")
    phone = app.test_client()
    phone_agent = {
        "User-Agent": "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/131.0 Mobile"
    }
    phone.post("/sign-in", data={"name": "lawyer", "password": PASSWORD}, headers=phone_agent)
    page = laptop.get("/account/")
    assert page.status_code == 200
    assert b"Chrome on Android" in page.data and b"this browser" in page.data
    phone_session = session.query(UserSession).filter_by(client="Chrome on Android").one()
    assert laptop.post(f"/account/sessions/{phone_session.id}/end").status_code == 302
    assert phone.get("/", headers=phone_agent).status_code == 302
    assert laptop.get("/").status_code == 200
    ended = session.query(AuditEntry).filter_by(action="sessions-ended").all()
    assert [entry.actor for entry in ended] == ["lawyer"]


def test_nobody_ends_another_users_session(app: Flask, session: Session) -> None:
    from evidence.accounts.models import UserSession

    make_users(session)
    without_csrf(app)
    victim, cookie = _signed_in(app, "documenter")
    attacker, _ = _signed_in(app, "viewer")
    victim_session = session.query(UserSession).filter_by(user_id=_user_id(session, "documenter"))
    response = attacker.post(f"/account/sessions/{victim_session.one().id}/end")
    assert response.status_code == 404
    assert _replay(app, cookie) == 200


def test_ending_other_sessions_keeps_this_one(app: Flask, session: Session) -> None:
    make_users(session)
    without_csrf(app)
    here, _ = _signed_in(app, "viewer")
    _, elsewhere = _signed_in(app, "viewer")
    assert here.post("/account/sessions/end-others").status_code == 302
    assert _replay(app, elsewhere) == 302
    assert here.get("/").status_code == 200


def test_ended_sessions_are_in_the_audit_chain(
    client: FlaskClient, app: Flask, session: Session
) -> None:
    from evidence.audit.models import AuditEntry
    from evidence.audit.verify import verify

    _signed_in(app, "documenter")
    _signed_in(app, "documenter")
    sign_in(client, "admin")
    user_id = _user_id(session, "documenter")
    client.post(f"/accounts/{user_id}/role", data={"role": "viewer"})
    client.post(f"/accounts/{user_id}/sessions/end")  # none left: nothing to record
    [ended] = session.query(AuditEntry).filter_by(action="sessions-ended").all()
    assert ended.actor == "admin"
    assert ended.detail == "2 session(s) of documenter ended: role changed to viewer"
    assert verify(session).ok


def test_admin_ends_all_sessions_of_an_account(
    client: FlaskClient, app: Flask, session: Session
) -> None:
    _, first = _signed_in(app, "lawyer")
    _, second = _signed_in(app, "lawyer")
    sign_in(client, "admin")
    user_id = _user_id(session, "lawyer")
    assert b"<dt>Open sessions</dt><dd>2</dd>" in client.get(f"/accounts/{user_id}").data
    assert client.post(f"/accounts/{user_id}/sessions/end").status_code == 302
    assert _replay(app, first) == 302 and _replay(app, second) == 302
    assert b"<dt>Open sessions</dt><dd>0</dd>" in client.get(f"/accounts/{user_id}").data
