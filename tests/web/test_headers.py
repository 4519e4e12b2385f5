"""Security headers on every route, for every role and for anonymous visitors.

The walk reads ``app.url_map``, so a route added later is checked without
changing this file. Route arguments are real records made by the factories,
so the walk sees record pages, edit forms and downloads, not only 404 pages.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from evidence import create_app
from evidence.config import config_for_tests
from evidence.permissions import requires
from evidence.vocabularies import ROLES
from tests.web.world import make_world
from tests.webclient import sign_in, without_csrf

# Anything that would run or style the page from inside the HTML itself.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|<[^>]+\sstyle\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def _urls(app: Flask, world: dict[str, Any]) -> list[tuple[str, str]]:
    """(method, url) of every route, with real arguments."""
    found = []
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.partition(".")[0]
        values = {
            name: world["keys"][blueprint] if name == "key" else world[name]
            for name in rule.arguments
        }
        with app.test_request_context():
            url = app.url_for(rule.endpoint, **values)
        found += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return found


def assert_secure_headers(response: TestResponse, where: str) -> None:
    headers = response.headers
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("Referrer-Policy") == "no-referrer", where
    policy = headers.get("Content-Security-Policy", "")
    directives = dict(d.strip().partition(" ")[::2] for d in policy.split(";"))
    assert directives.get("frame-ancestors") == "'none'", f"{where}: {policy}"
    assert directives.get("default-src") == "'none'", f"{where}: {policy}"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, where
    assert "Strict-Transport-Security" not in headers, f"{where}: HSTS without secure cookies"
    if not where.split()[1].startswith("/static/"):
        assert headers.get("Cache-Control") == "no-store", (
            f"{where}: {headers.get('Cache-Control')}"
        )
    if response.mimetype == "text/html" and "attachment" not in headers.get(
        "Content-Disposition", ""
    ):
        assert directives.get("script-src") == "'self'", f"{where}: {policy}"
        assert directives.get("style-src") == "'self'", f"{where}: {policy}"
        page = response.get_data(as_text=True)
        for pattern in (INLINE_SCRIPT, INLINE_HANDLER, INLINE_STYLE, JAVASCRIPT_URL):
            found = pattern.search(page)
            assert found is None, f"{where}: inline code {found and found.group(0)!r}"
    else:
        assert "sandbox" in directives, f"{where} is not a page but may render: {policy}"


def _walk(client: FlaskClient, urls: list[tuple[str, str]], who: str) -> set[int]:
    statuses = set()
    cookie = client.get_cookie("session")
    for method, url in urls:
        if cookie is not None:  # every request from the same session (sign-out ends it)
            client.set_cookie("session", cookie.value)
        response = client.open(url, method=method)
        assert_secure_headers(response, f"{method} {url} as {who} ({response.status_code})")
        statuses.add(response.status_code)
    return statuses


@pytest.mark.parametrize("role", ROLES)
def test_every_route_sends_the_security_headers(app: Flask, session: Session, role: str) -> None:
    urls = _urls(app, make_world(app, session))
    client = without_csrf(app).test_client()
    sign_in(client, role)
    statuses = _walk(client, urls, role)
    assert {200, 302} <= statuses


def test_every_route_sends_the_security_headers_to_anonymous_visitors(
    app: Flask, session: Session
) -> None:
    urls = _urls(app, make_world(app, session))
    statuses = _walk(without_csrf(app).test_client(), urls, "anonymous")
    assert {200, 302} <= statuses


def test_downloads_and_error_pages_send_them_too(own_app: Flask, session: Session) -> None:
    world = make_world(own_app, session)

    @requires("read")
    def broken() -> str:
        raise RuntimeError("a bug")

    own_app.add_url_rule("/broken", "broken", broken)
    own_app.config["PROPAGATE_EXCEPTIONS"] = False  # answer 500 as in production
    client = without_csrf(own_app).test_client()
    sign_in(client, "lawyer")
    exhibit = client.get(f"/exhibits/{world['keys']['exhibits']}/download")
    dossier = client.get(f"/dossiers/jobs/{world['job_id']}/download")
    assert exhibit.status_code == dossier.status_code == 200
    responses = {
        "exhibit download": exhibit,
        "dossier download": dossier,
        "404": client.get("/incidents/no-such-incident"),
        "405": client.delete("/incidents/"),
        "500": client.get("/broken"),
    }
    for where, response in responses.items():
        assert_secure_headers(response, f"GET {where}")
    assert responses["500"].status_code == 500


def test_hsts_is_sent_when_cookies_are_https_only(database_url: str, tmp_path: Path) -> None:
    config = replace(config_for_tests(database_url, str(tmp_path)), SESSION_COOKIE_SECURE=True)
    response = create_app(config).test_client().get("/sign-in")
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"
