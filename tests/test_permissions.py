"""Every route, every role: the outcome must be what the permission table says.

The test reads each endpoint's declared action (``@requires``) from
``app.url_map``, so routes added later are checked without changing it; an
endpoint that declares no action fails here.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.routing import FloatConverter, IntegerConverter, Rule, UUIDConverter

from evidence.audit.models import AuditEntry
from evidence.permissions import PUBLIC, required_action, role_allows
from evidence.vocabularies import ROLES
from tests.webclient import make_users, sign_in, without_csrf

UNDECLARED_ALLOWED = {"static"}
SIGN_IN_FIRST = "/sign-in?next="  # where Flask-Login sends a request that needs a session
# A value no record has, per URL converter; anything else gets a string.
SAMPLE_ARGUMENTS = (
    (IntegerConverter, 999999),
    (FloatConverter, 1.5),
    (UUIDConverter, "00000000-0000-0000-0000-000000000000"),
)


def _sample(converter: object) -> object:
    return next((v for kind, v in SAMPLE_ARGUMENTS if isinstance(converter, kind)), "no-such-key")


def _url(app: Flask, rule: Rule) -> str:
    values: dict[str, Any] = {name: _sample(rule._converters[name]) for name in rule.arguments}
    with app.test_request_context():
        return app.url_for(rule.endpoint, **values)


def _requests(app: Flask) -> list[tuple[Rule, str, str, str]]:
    """(rule, method, url, declared action) for every route except static files."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in UNDECLARED_ALLOWED:
            continue
        action = required_action(app.view_functions[rule.endpoint])
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule, method, _url(app, rule), action))
    return found


def test_every_endpoint_declares_its_action(app: Flask) -> None:
    undeclared = sorted(
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in UNDECLARED_ALLOWED
        and required_action(app.view_functions[rule.endpoint]) is None
    )
    assert undeclared == [], f"endpoints without @requires(action): {undeclared}"


def test_an_undeclared_endpoint_is_refused(own_app: Flask, session) -> None:
    own_app.add_url_rule("/undeclared", "undeclared", lambda: "open")
    make_users(session)
    client = without_csrf(own_app).test_client()
    sign_in(client, "admin")
    assert client.get("/undeclared").status_code == 403


def test_anonymous_is_sent_to_sign_in(app: Flask) -> None:
    client = without_csrf(app).test_client()
    for rule, method, url, action in _requests(app):
        response = client.open(url, method=method)
        to_sign_in = response.status_code == 302 and SIGN_IN_FIRST in response.location
        if action == PUBLIC:
            assert not to_sign_in, f"{method} {url} ({rule.endpoint}) is public"
        else:
            assert to_sign_in, f"anonymous {method} {url} ({rule.endpoint}): {response.status_code}"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_table_says(app: Flask, session, role: str) -> None:
    make_users(session)
    client = without_csrf(app).test_client()
    sign_in(client, role)
    signed_in_cookie = client.get_cookie("session").value
    checked = 0
    for rule, method, url, action in _requests(app):
        # Every request starts from the same signed-in session.
        client.set_cookie("session", signed_in_cookie)
        response = client.open(url, method=method)
        if rule.endpoint == "accounts.sign_out":
            # Sign-out ends the session on the server, so its cookie is dead: sign in again.
            sign_in(client, role)
            signed_in_cookie = client.get_cookie("session").value
        where = f"{role} {method} {url} ({rule.endpoint}, action {action})"
        assert response.status_code != 500, where
        if action is None or not role_allows(role, action):
            assert response.status_code == 403, f"{where} should be forbidden"
        else:
            assert response.status_code != 403, f"{where} should be allowed"
            assert SIGN_IN_FIRST not in (response.location or ""), f"{where} lost the session"
        checked += 1
    assert checked > 0


def test_denied_requests_are_audited(app: Flask, session) -> None:
    make_users(session)
    client = without_csrf(app).test_client()
    sign_in(client, "viewer")
    assert client.get("/accounts/").status_code == 403
    denied = session.scalars(select(AuditEntry).where(AuditEntry.action == "denied")).all()
    assert [entry.actor for entry in denied] == ["viewer"]
    assert "accounts" in denied[0].detail and "/accounts/" in denied[0].detail
